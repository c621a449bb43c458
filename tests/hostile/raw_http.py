"""A raw HTTP/1.1 client for the hostile tests: exact bytes on the wire, the answer as it came.

aiohttp's and requests' clients refuse to send what a hostile client sends (invalid UTF-8 or a NUL in a request
line or header, a bare CR or LF, obs-fold, two Content-Lengths, a body that never completes), so these tests
write their requests themselves on a plain socket. `exchange` sends a whole request, in pieces and as slowly as a
case wants, and reads the answer while it is still writing: a server may answer (413, 408, 400) before it has
read the whole request. Tests that drive a connection step by step (keep-alive, a client that hangs up, timing)
use `open_raw` and `read_answer`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

import orjson
from multidict import CIMultiDict

PROBLEM = "application/problem+json"
CHUNK = 64 * 1024
Header = tuple[bytes, bytes]


@dataclass(frozen=True)
class Reply:
    """What the server answered: status, headers (decoded as Latin-1, as they are bytes on the wire) and body."""

    status: int
    headers: CIMultiDict[str]
    body: bytes
    closed: bool | None = None
    """Whether the server closed the connection right after answering; None when the reader did not wait to see
    (`close_wait=0`), so a test asserting it must ask for it."""

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "").split(";")[0].strip().lower()

    @property
    def json(self) -> Any:
        return orjson.loads(self.body)

    def problem(self) -> Any:
        """The problem document, or None when the body is not one (wrong type or not JSON)."""
        if self.content_type != PROBLEM:
            return None
        try:
            return orjson.loads(self.body)
        except orjson.JSONDecodeError:
            return None

    def summary(self) -> str:
        return f"{self.status} {self.content_type or '(no content type)'} {self.body[:160]!r}"


def request_bytes(
    method: str,
    target: str | bytes,
    headers: Mapping[str, str | bytes] | Iterable[Header] = (),
    body: bytes = b"",
) -> bytes:
    """A well-framed request as bytes: Host, `Connection: close` and (with a body, or for a POST) Content-Length come
    first, then `headers` exactly as given, whatever bytes they hold (pairs of bytes keep their order and may
    repeat a name)."""
    if isinstance(headers, Mapping):
        headers = [
            (name.encode(), value if isinstance(value, bytes) else value.encode()) for name, value in headers.items()
        ]
    target = target if isinstance(target, bytes) else target.encode()
    lines = [method.encode() + b" " + target + b" HTTP/1.1", b"Host: 127.0.0.1", b"Connection: close"]
    if body or method == "POST":
        lines.append(b"Content-Length: %d" % len(body))
    lines.extend(name + b": " + value for name, value in headers)
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


async def open_raw(base_url: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    parts = urlsplit(base_url)
    return await asyncio.open_connection(parts.hostname, parts.port)


async def exchange(
    base_url: str,
    request: bytes | Sequence[bytes],
    *,
    pause: float = 0.0,
    timeout: float = 10.0,
    close_wait: float = 0.0,
) -> Reply:
    """Send `request` (or its pieces, with `pause` seconds between them) on a new connection and read the answer.

    The answer is read while the request is still being written: a server may answer (413, 408, 400) before it
    has read everything. The client never closes its side first: a slow client keeps it open.
    """
    pieces = [request] if isinstance(request, bytes) else list(request)
    reader, writer = await open_raw(base_url)

    async def write() -> None:
        with contextlib.suppress(ConnectionError):
            for index, piece in enumerate(pieces):
                if index and pause:
                    await asyncio.sleep(pause)
                for start in range(0, len(piece), CHUNK):
                    writer.write(piece[start : start + CHUNK])
                    await writer.drain()

    writing = asyncio.create_task(write())
    try:
        return await read_answer(
            reader, timeout=timeout, close_wait=close_wait, bodiless=pieces[0].startswith(b"HEAD ")
        )
    finally:
        writing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await writing
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


async def read_answer(
    reader: asyncio.StreamReader, *, timeout: float = 10.0, close_wait: float = 0.0, bodiless: bool = False
) -> Reply:
    """The next answer on the connection: read until it is complete (its Content-Length or last chunk arrived) or
    the server closes, whichever is first; interim answers (`100 Continue`) are skipped. With `close_wait`, then
    wait that long to see whether the server closes the connection (`Reply.closed`)."""
    received = bytearray()

    async def read() -> Reply:
        with contextlib.suppress(ConnectionError):
            while chunk := await reader.read(CHUNK):
                received.extend(chunk)
                reply = parse_reply(bytes(received), bodiless=bodiless, closed=False)
                if reply is not None:
                    return replace(reply, closed=await _closes(reader, close_wait))
        reply = parse_reply(bytes(received), bodiless=bodiless, closed=True)
        if reply is None:
            raise AssertionError(f"the connection closed without a complete answer: {bytes(received[:200])!r}")
        return replace(reply, closed=True)

    try:
        return await asyncio.wait_for(read(), timeout)
    except TimeoutError:
        raise AssertionError(f"no complete answer within {timeout} s; received {bytes(received[:200])!r}") from None


async def _closes(reader: asyncio.StreamReader, wait: float) -> bool | None:
    """Whether the server closes the connection within `wait` seconds (None: not waited for)."""
    if reader.at_eof():
        return True
    if wait <= 0:
        return None
    try:
        return await asyncio.wait_for(reader.read(1), wait) == b""
    except TimeoutError:
        return False
    except ConnectionError:
        return True


def parse_reply(raw: bytes, *, bodiless: bool = False, closed: bool = True) -> Reply | None:
    """The final HTTP/1.x answer in `raw` once it is complete, else None. A body without Content-Length or chunked
    framing ends at the close; a HEAD answer (`bodiless`) has none."""
    while True:
        head, separator, rest = raw.partition(b"\r\n\r\n")
        if not separator:
            return None
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        version, status, *_ = status_line.split(" ", 2)
        assert version.startswith("HTTP/"), status_line
        if not 100 <= int(status) < 200:
            break
        raw = rest  # an interim answer: the final one follows
    headers: CIMultiDict[str] = CIMultiDict()
    for line in header_lines:
        name, _, value = line.partition(":")
        headers.add(name.strip(), value.strip())
    if bodiless or int(status) in (204, 304):
        return Reply(int(status), headers, b"")
    if headers.get("Transfer-Encoding", "").lower() == "chunked":
        body = _dechunk(rest)
        return None if body is None else Reply(int(status), headers, body)
    if "Content-Length" in headers:
        length = int(headers["Content-Length"])
        return Reply(int(status), headers, rest[:length]) if len(rest) >= length else None
    return Reply(int(status), headers, rest) if closed else None


def _dechunk(raw: bytes) -> bytes | None:
    """The body of a chunked answer, or None while its last chunk has not arrived."""
    body = bytearray()
    while True:
        size_line, separator, raw = raw.partition(b"\r\n")
        if not separator:
            return None
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            return bytes(body)
        if len(raw) < size + 2:
            return None
        body.extend(raw[:size])
        raw = raw[size + 2 :]
