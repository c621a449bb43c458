"""Raw HTTP/1.1 over a socket, for requests no HTTP client library would send (bad bytes, bare LF, slow bodies)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import orjson


@dataclass(frozen=True)
class RawAnswer:
    status: int
    headers: dict[str, str]
    body: bytes
    closed: bool
    """The server closed the connection after answering."""

    @property
    def json(self) -> Any:
        return orjson.loads(self.body)


async def open_raw(base_url: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    parts = urlsplit(base_url)
    return await asyncio.open_connection(parts.hostname, parts.port)


async def read_answer(reader: asyncio.StreamReader, timeout: float = 10.0, close_wait: float = 1.0) -> RawAnswer:
    """One response (Content-Length framed, as this server answers), and whether the connection closed within
    `close_wait` seconds after it."""
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    body = await asyncio.wait_for(reader.readexactly(int(headers.get("content-length", "0"))), timeout)
    try:
        closed = await asyncio.wait_for(reader.read(1), close_wait) == b""
    except TimeoutError:
        closed = False
    return RawAnswer(int(status_line.split()[1]), headers, body, closed)


async def send_raw(base_url: str, data: bytes) -> RawAnswer:
    """Send `data` as is on a new connection and read the answer."""
    reader, writer = await open_raw(base_url)
    try:
        writer.write(data)
        await writer.drain()
        return await read_answer(reader)
    finally:
        writer.close()


def request_bytes(method: str, path: str, headers: dict[str, bytes | str], body: bytes = b"") -> bytes:
    """A well-framed HTTP/1.1 request whose header values may hold any bytes (the connection closes after it)."""
    lines = [f"{method} {path} HTTP/1.1".encode(), b"Host: 127.0.0.1", b"Connection: close"]
    for name, value in {**headers, "Content-Length": str(len(body))}.items():
        lines.append(name.encode() + b": " + (value if isinstance(value, bytes) else value.encode()))
    return b"\r\n".join(lines) + b"\r\n\r\n" + body
