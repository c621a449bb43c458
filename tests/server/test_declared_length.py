"""A body declared too large is refused from its headers: no `100 Continue` for it, no reading it first.

curl sends `Expect: 100-continue` for bodies over 1 MB and waits for the go-ahead; told to go ahead for a body the
server will refuse, it would upload it all (or stall until the body timeout) before learning so.
"""

from __future__ import annotations

import asyncio

import orjson

from tests.hostile.raw_http import open_raw, read_answer
from tests.server.helpers import PAYMENT, start_payment
from tests.support import WEBHOOK_SECRET, LiveServer

LIMIT = 1024 * 1024  # the default maxBodyBytes


def _head(path: str, length: int, *extra: str) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json", f"Content-Length: {length}"]
    return ("\r\n".join([*lines, *extra]) + "\r\n\r\n").encode()


async def test_a_body_declared_over_the_limit_is_refused_without_a_continue(server: LiveServer) -> None:
    journey_id = await start_payment(server)
    before = await server.engine.store.get(journey_id)
    path = f"/api/v1/journeys/{journey_id}/steps/waitForCallback"
    reader, writer = await open_raw(server.base_url)
    writer.write(_head(path, LIMIT + 1, "Expect: 100-continue", f"X-Webhook-Secret: {WEBHOOK_SECRET}"))
    # The answer comes at once, though no byte of the body was sent; and it is the answer, not a 100.
    reply = await read_answer(reader, timeout=2.0, close_wait=2.0)
    writer.close()
    assert (reply.status, reply.content_type) == (413, "application/problem+json")
    assert f"{LIMIT} bytes" in reply.problem()["detail"] and reply.closed
    assert await server.engine.store.get(journey_id) == before


async def test_a_body_declared_over_the_limit_is_refused_before_it_is_read(server: LiveServer) -> None:
    reader, writer = await open_raw(server.base_url)
    writer.write(_head("/api/v1/journeys/payment-callback/start", 50 * LIMIT) + b'{"paymentId": ')
    reply = await read_answer(reader, timeout=2.0)
    writer.close()
    assert reply.status == 413 and "declared Content-Length" in reply.problem()["detail"]


async def test_a_body_within_the_limit_is_told_to_continue(server: LiveServer) -> None:
    body = orjson.dumps(PAYMENT)
    reader, writer = await open_raw(server.base_url)
    writer.write(_head("/api/v1/journeys/payment-callback/start", len(body), "Expect: 100-continue"))
    interim = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 2.0)
    assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
    writer.write(body)
    reply = await read_answer(reader, timeout=5.0)
    writer.close()
    assert reply.status == 200 and reply.json["phase"] == "Running"
