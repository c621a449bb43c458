"""A client that never finishes its request line or headers (slowloris) no longer holds a connection for ever:
the head has `bodyTimeoutSeconds` to arrive, then the answer is a 408 problem and the connection is closed. A
new connection that sends nothing is closed; an idle keep-alive connection is left to the keep-alive timeout."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import orjson
import pytest

from tests.hostile.raw_http import open_raw, read_answer
from tests.server.helpers import PAYMENT, call, start_payment
from tests.support import WEBHOOK_SECRET, LiveServer

TIMEOUT = 0.5
SLACK = 2.5
# asyncio fires a timer up to its clock resolution early, so the server may close a hair before TIMEOUT has passed.
EARLY = 0.01


@pytest.fixture
async def live(start_server: Callable[..., Awaitable[LiveServer]], sqlite_url: str) -> LiveServer:
    return await start_server(sqlite_url, body_timeout_seconds=TIMEOUT)


def _get(path: str, *, close: bool = False) -> bytes:
    connection = b"Connection: close\r\n" if close else b""
    return b"GET " + path.encode() + b" HTTP/1.1\r\nHost: x\r\n" + connection + b"\r\n"


async def test_a_head_that_stops_arriving_is_a_408_and_the_connection_is_closed(live: LiveServer) -> None:
    journey_id = await start_payment(live)
    body = orjson.dumps({"paymentId": PAYMENT["paymentId"], "status": "SUCCESS"})
    step = f"/api/v1/journeys/{journey_id}/steps/waitForCallback"
    head = (
        f"POST {step} HTTP/1.1\r\nHost: x\r\nX-Webhook-Secret: {WEBHOOK_SECRET}\r\nContent-Length: {len(body)}\r\n"
    ).encode()
    for partial in (head[:10], head, head + b"X-Slow: s"):  # half a request line; no blank line; half a header
        reader, writer = await open_raw(live.base_url)
        began = time.monotonic()
        writer.write(partial)
        await writer.drain()
        answer = await read_answer(reader, close_wait=1.0)
        writer.close()
        assert (answer.status, answer.headers["content-type"]) == (408, "application/problem+json"), partial
        assert answer.json["type"] == "urn:journeys:problem:request-timeout" and answer.json["status"] == 408
        assert answer.closed
        assert TIMEOUT - EARLY <= time.monotonic() - began < TIMEOUT + SLACK
    _, journey, _ = await call(live, "GET", f"/api/v1/journeys/{journey_id}")
    assert journey["currentState"] == "waitForCallback"


async def test_a_connection_that_sends_nothing_is_closed_without_an_answer(live: LiveServer) -> None:
    reader, writer = await open_raw(live.base_url)
    began = time.monotonic()
    received = await asyncio.wait_for(reader.read(), TIMEOUT + SLACK)
    writer.close()
    assert received == b""
    assert time.monotonic() - began >= TIMEOUT


async def test_a_head_sent_slowly_but_within_the_timeout_is_served(live: LiveServer) -> None:
    reader, writer = await open_raw(live.base_url)
    request = _get("/api/v1/journeys", close=True)
    for piece in (request[:5], request[5:20], request[20:]):
        writer.write(piece)
        await writer.drain()
        await asyncio.sleep(TIMEOUT / 4)
    answer = await read_answer(reader)
    writer.close()
    assert answer.status == 200


async def test_each_request_on_a_keep_alive_connection_gets_its_own_head_timeout(live: LiveServer) -> None:
    reader, writer = await open_raw(live.base_url)
    writer.write(_get("/api/v1/journeys"))
    assert (await read_answer(reader)).status == 200
    # Idle between requests for longer than the head timeout: that is the keep-alive timeout's business.
    await asyncio.sleep(TIMEOUT * 3)
    writer.write(_get("/api/v1/journeys"))
    assert (await read_answer(reader)).status == 200
    # A later request's head that stops arriving is timed from its first byte.
    await asyncio.sleep(TIMEOUT * 2)
    began = time.monotonic()
    writer.write(b"GET /api/v1/jour")
    await writer.drain()
    answer = await read_answer(reader, close_wait=1.0)
    writer.close()
    assert answer.status == 408 and answer.json["type"] == "urn:journeys:problem:request-timeout" and answer.closed
    assert TIMEOUT - EARLY <= time.monotonic() - began < TIMEOUT + SLACK
