"""Bodies declared too large are refused from their headers, before a byte of them is read.

A client that sends `Content-Length` over `maxBodyBytes` would otherwise have its body read up to the limit
before the 413, and one that sends `Expect: 100-continue` (curl does for bodies over 1 MB) would be told to go
ahead by aiohttp's default expect handler and then wait for an answer that comes only after its upload, or after
the body timeout if it stops. `oversized_body_middleware` answers 413 from the header and closes the connection
(its unread body cannot be framed past); `continue_unless_oversized` is every POST route's expect handler: it
sends `100 Continue` only to a body within the limit, so a too-large one gets the 413 instead (RFC 9110 10.1.1).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import HttpVersion11, web
from aiohttp.web_request import BaseRequest

from journeys.server.app_keys import MAX_BODY_BYTES
from journeys.server.problems import ProblemError

CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


def _oversized(request: BaseRequest) -> bool:
    return (request.content_length or 0) > request.app[MAX_BODY_BYTES]


@web.middleware
async def oversized_body_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    if _oversized(request):
        detail = (
            f"the request body's declared Content-Length ({request.content_length} bytes) exceeds the limit of "
            f"{request.app[MAX_BODY_BYTES]} bytes"
        )
        raise ProblemError(413, "request-entity-too-large", "Request body too large", detail, close_connection=True)
    return await handler(request)


async def continue_unless_oversized(request: BaseRequest) -> None:
    """aiohttp's expect handler, but silent for a body declared over the limit (the middleware refuses it)."""
    if request.version != HttpVersion11:
        return
    expect = request.headers.get("Expect", "")
    if expect.lower() != "100-continue":
        raise web.HTTPExpectationFailed(text=f"Unknown Expect: {expect[:40]}")
    if not _oversized(request):
        await request.writer.write(CONTINUE)
        request.writer.output_size = 0  # the 100 is not the answer: the answer has not started


def add_post(
    app: web.Application, path: str, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.AbstractRoute:
    """Every POST route goes through here, so none answers `100 Continue` to a body it will refuse."""
    return app.router.add_post(path, handler, expect_handler=continue_unless_oversized)
