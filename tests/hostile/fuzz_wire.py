"""A raw HTTP/1.1 client for the hostile sweep (`test_fuzz_*.py`): exact bytes on the wire, the answer as it came.

aiohttp's and requests' clients refuse to send what a hostile client sends (invalid UTF-8 or a NUL in a request
line or header, a bare CR or LF, obs-fold, two Content-Lengths, a body that never completes), so the sweep writes
its requests itself on a plain socket, in pieces and as slowly as a case wants, and reads the answer while it is
still writing: a server may answer (413, 408, 400) before it has read the whole request.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

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

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "").split(";")[0].strip().lower()

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


def request_bytes(method: str, target: bytes, *, headers: Sequence[Header] = (), body: bytes = b"") -> bytes:
    """A well-framed request as bytes: Host, `Connection: close` and (with a body, or for a POST) Content-Length come
    first, then `headers` exactly as given, whatever bytes they hold."""
    lines = [method.encode() + b" " + target + b" HTTP/1.1", b"Host: 127.0.0.1", b"Connection: close"]
    if body or method == "POST":
        lines.append(b"Content-Length: %d" % len(body))
    lines.extend(name + b": " + value for name, value in headers)
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


async def exchange(port: int, pieces: Sequence[bytes], *, pause: float = 0.0, timeout: float = 10.0) -> Reply:
    """Send `pieces` (with `pause` seconds between them) and read the answer: until it is complete (its
    Content-Length or last chunk arrived) or the server closes, whichever is first.

    The answer is read while the request is still being written: a server may answer (413, 408, 400) before it
    has read everything. The client never closes its side first: a slow client keeps it open. Interim answers
    (`100 Continue`) are skipped.
    """
    bodiless = pieces[0].startswith(b"HEAD ")
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    received = bytearray()

    async def read() -> Reply:
        with contextlib.suppress(ConnectionError):
            while chunk := await reader.read(CHUNK):
                received.extend(chunk)
                reply = parse_reply(bytes(received), bodiless=bodiless, closed=False)
                if reply is not None:
                    return reply
        reply = parse_reply(bytes(received), bodiless=bodiless, closed=True)
        if reply is None:
            raise AssertionError(f"the connection closed without a complete answer: {bytes(received[:200])!r}")
        return reply

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
        return await asyncio.wait_for(read(), timeout)
    except TimeoutError:
        raise AssertionError(f"no complete answer within {timeout} s; received {bytes(received[:200])!r}") from None
    finally:
        writing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await writing
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


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
