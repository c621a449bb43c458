"""Requests aiohttp's parser refuses before any handler runs are answered as problem documents too, naming the
kind of error without echoing the request (which may hold a secret), and the connection is closed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from tests.hostile.raw_http import exchange
from tests.support import LiveServer

SECRET = b"hostile-test-secret-value"
BODY = b'{"paymentId":"pay-1","status":"SUCCESS"}'
STEP = b"/api/v1/journeys/some-id/steps/waitForCallback"

MALFORMED = {
    "header line over 8190 bytes": (
        b"GET /api/v1/journeys HTTP/1.1\r\nHost: x\r\nX-Webhook-Secret: " + SECRET + b"a" * 9000 + b"\r\n\r\n",
        "longer than 8190 bytes",
    ),
    "9,000-character id": (b"GET /api/v1/journeys/" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", "longer than"),
    "too many headers": (
        b"GET /api/v1/journeys HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(200)) + b"\r\n",
        "too many header fields",
    ),
    "obs-fold": (
        b"POST " + STEP + b" HTTP/1.1\r\nHost: x\r\nX-Webhook-Secret: " + SECRET + b"\r\n  folded\r\n"
        b"Content-Length: %d\r\n\r\n" % len(BODY) + BODY,
        "not valid HTTP/1.1",
    ),
    "bare LF": (
        b"POST "
        + STEP
        + b" HTTP/1.1\nHost: x\nX-Webhook-Secret: "
        + SECRET
        + b"\nContent-Length: %d\n\n" % len(BODY)
        + BODY,
        "must end with CRLF",
    ),
    "invalid method": (b"G\x01T / HTTP/1.1\r\nHost: x\r\n\r\n", "method"),
}


@pytest.fixture
async def live(start_server: Callable[..., Awaitable[LiveServer]], sqlite_url: str) -> LiveServer:
    return await start_server(sqlite_url)


@pytest.mark.parametrize("case", MALFORMED)
async def test_a_request_the_parser_refuses_is_a_400_problem_that_quotes_nothing(live: LiveServer, case: str) -> None:
    request, detail = MALFORMED[case]
    answer = await exchange(live.base_url, request, close_wait=1.0)
    assert (answer.status, answer.headers["content-type"]) == (400, "application/problem+json"), answer.body
    problem = answer.json
    assert problem["type"] == "urn:journeys:problem:malformed-request"
    assert problem["status"] == 400 and detail in problem["detail"]
    assert SECRET not in answer.body and b"aaaa" not in answer.body
    assert answer.closed
