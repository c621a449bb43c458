"""Compressed bodies: `Content-Encoding: gzip` (or deflate) is decoded; bytes that do not decode as their coding
says are a 400 problem, a coding the server does not decode is 415, and neither changes anything (it used to be
a 500 on start, step and inbound delivery). On both databases."""

from __future__ import annotations

import gzip
import logging
from collections.abc import Awaitable, Callable

import orjson
import pytest

from tests.hostile.raw_http import exchange, request_bytes
from tests.server.helpers import PAYMENT, call, start_payment
from tests.support import WEBHOOK_SECRET, LiveServer

PROBLEM = "application/problem+json"
SHARED_SECRET = "fixture-shared-secret-current"
START = "/api/v1/journeys/payment-callback/start"
INBOUND = "/api/v1/inbound/fixture-shared-secret"
CALLBACK = orjson.dumps({"paymentId": PAYMENT["paymentId"], "status": "SUCCESS"})


@pytest.fixture
async def live(start_server: Callable[..., Awaitable[LiveServer]], database_url: str) -> LiveServer:
    return await start_server(database_url)


async def _state(live: LiveServer, journey_id: str) -> tuple[str, int, int, int]:
    """What a refused request must not change: the journey, its history, how many journeys and deliveries."""
    _, journey, _ = await call(live, "GET", f"/api/v1/journeys/{journey_id}")
    _, history, _ = await call(live, "GET", f"/api/v1/journeys/{journey_id}/history")
    _, journeys, _ = await call(live, "GET", "/api/v1/journeys?limit=100")
    _, deliveries, _ = await call(live, "GET", "/api/v1/inbound/deliveries?limit=100")
    return journey["currentState"], len(history["items"]), len(journeys["items"]), len(deliveries["items"])


def _requests(journey_id: str, coding: bytes, encode: Callable[[bytes], bytes]) -> dict[str, bytes]:
    """A start, a step submission and an inbound delivery, their bodies `encode`d and sent as `coding`."""
    json = {"Content-Type": "application/json", "Content-Encoding": coding}
    step = f"/api/v1/journeys/{journey_id}/steps/waitForCallback"
    return {
        "start": request_bytes("POST", START, json, encode(orjson.dumps(PAYMENT))),
        "step": request_bytes("POST", step, {**json, "X-Webhook-Secret": WEBHOOK_SECRET}, encode(CALLBACK)),
        "inbound": request_bytes("POST", INBOUND, {**json, "X-Webhook-Secret": SHARED_SECRET}, encode(CALLBACK)),
    }


def _sent_as_is(body: bytes) -> bytes:
    return body


async def test_a_gzip_body_is_decoded(live: LiveServer) -> None:
    journey_id = await start_payment(live)
    for route, raw in _requests(journey_id, b"gzip", gzip.compress).items():
        answer = await exchange(live.base_url, raw)
        assert answer.status < 300, (route, answer.body)
    _, journey, _ = await call(live, "GET", f"/api/v1/journeys/{journey_id}")
    assert journey["phase"] == "Succeeded"  # the gzip callback was applied


async def test_a_body_that_does_not_decode_is_a_400_that_changes_nothing(
    live: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    journey_id = await start_payment(live)
    before = await _state(live, journey_id)
    for coding in (b"gzip", b"deflate"):
        for route, raw in _requests(journey_id, coding, _sent_as_is).items():
            with caplog.at_level(logging.ERROR):
                answer = await exchange(live.base_url, raw, close_wait=1.0)
            assert (answer.status, answer.headers["content-type"]) == (400, PROBLEM), (route, answer.body)
            problem = answer.json
            assert problem["type"] == "urn:journeys:problem:malformed-body", route
            assert f"not valid {coding.decode()} data" in problem["detail"]
            assert answer.closed  # what follows undecodable bytes cannot be framed
    assert await _state(live, journey_id) == before
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]


async def test_a_content_coding_the_server_does_not_decode_is_a_415_that_changes_nothing(live: LiveServer) -> None:
    journey_id = await start_payment(live)
    before = await _state(live, journey_id)
    for coding in (b"x-unknown", b"gzip, gzip", b"compress"):
        for route, raw in _requests(journey_id, coding, _sent_as_is).items():
            answer = await exchange(live.base_url, raw)
            assert (answer.status, answer.headers["content-type"]) == (415, PROBLEM), (route, answer.body)
            assert answer.json["type"] == "urn:journeys:problem:unsupported-content-encoding"
            assert "gzip" in answer.headers["accept-encoding"].split(", ")
    assert await _state(live, journey_id) == before
