"""Reading request bodies: bounded in time, and JSON bounded in depth, before any of it reaches the engine.

A client that sends its headers and then only part of its body would otherwise hold a connection (and a
handler) for as long as it likes; `read_body` gives the whole body `bodyTimeoutSeconds` to arrive, then
answers 408 and closes the connection.

aiohttp decodes a body sent with `Content-Encoding: gzip`, `deflate` (and `br`/`zstd` when their libraries are
installed) as it arrives, and passes any other coding through undecoded: `read_body` refuses those with 415
rather than parse compressed bytes as JSON, and a body that does not decode as its coding says with 400.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import http_exceptions, web
from aiohttp.compression_utils import HAS_BROTLI, HAS_ZSTD
from aiohttp.web_protocol import RequestPayloadError

from journeys.engine import InvalidBody
from journeys.engine.inbound_messages import BodyTooDeep, parse_json
from journeys.server.app_keys import BODY_TIMEOUT_SECONDS
from journeys.server.http_protocol import parse_error_detail
from journeys.server.problems import ProblemError

# The content codings aiohttp decodes here ("identity" is no coding at all).
DECODED_CODINGS: tuple[str, ...] = (
    "identity",
    "gzip",
    "deflate",
    *(("br",) if HAS_BROTLI else ()),
    *(("zstd",) if HAS_ZSTD else ()),
)


async def read_body(request: web.Request) -> bytes:
    """The raw (decoded) body; a 408 problem (connection closed) when it does not arrive in time, 415 for a
    content coding we cannot decode, 400 (connection closed) for bytes that do not decode."""
    coding = request.headers.get("Content-Encoding", "identity").strip()
    coding = coding.lower() if coding.isascii() else coding  # as aiohttp compares it: ASCII only
    if coding not in DECODED_CODINGS:
        detail = f"the Content-Encoding {coding[:40]!r} is not supported; send one of {', '.join(DECODED_CODINGS)}"
        headers = {"Accept-Encoding": ", ".join(DECODED_CODINGS)}  # RFC 9110 15.5.16: say which codings we take
        raise ProblemError(415, "unsupported-content-encoding", "Unsupported content encoding", detail, headers=headers)
    seconds = request.app[BODY_TIMEOUT_SECONDS]
    try:
        if request.content.is_eof():  # the whole body came with the head (most requests): no timer to arm
            return await request.read()
        async with asyncio.timeout(seconds):
            return await request.read()
    except TimeoutError as error:
        detail = f"the request body did not arrive within {seconds:g} seconds"
        raise ProblemError(408, "body-timeout", "Request body timeout", detail, close_connection=True) from error
    except RequestPayloadError as error:
        # The parser gave up on the body's bytes: what follows them on the connection cannot be framed either.
        detail = _payload_error_detail(error.__cause__, coding)
        raise ProblemError(400, "malformed-body", "Malformed request body", detail, close_connection=True) from error
    except ConnectionError as error:  # the client hung up mid-body; said here, or it would pass for a DB outage
        detail = "the connection closed before the request body was complete"
        raise ProblemError(400, "incomplete-body", "Incomplete request body", detail) from error


def _payload_error_detail(cause: BaseException | None, coding: str) -> str:
    if isinstance(cause, http_exceptions.ContentEncodingError):
        return f"the request body is not valid {coding} data, as its Content-Encoding header says it is"
    return parse_error_detail(cause)


async def read_json(request: web.Request) -> Any:
    """The body as JSON: 400 when it is empty, not JSON, or nested deeper than the documented limit."""
    raw = await read_body(request)
    if not raw:
        raise ProblemError(400, "malformed-json", "Malformed JSON", "the request body is empty; send a JSON document")
    try:
        return parse_json(raw)
    except BodyTooDeep:
        raise  # its own problem type, as on step and inbound URLs
    except InvalidBody as error:
        raise ProblemError(400, "malformed-json", "Malformed JSON", error.detail) from error
