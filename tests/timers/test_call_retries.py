"""Outbound resilience: a failing call is tried again after durable backoffs (`retry` timers), with one
idempotency key for every attempt, surviving a restart between attempts, and giving up after `maxAttempts`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp import web

from tests.server.helpers import call
from tests.support import ROOT, LiveServer, on_loopback

TIMER_DEFINITIONS = ROOT / "tests" / "fixtures" / "timers"


class Flaky:
    """A downstream service answering each POST with the next scripted status (the last one repeats)."""

    def __init__(self) -> None:
        self.statuses: list[int] = [200]
        self.keys: list[str | None] = []
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.keys.append(request.headers.get("Idempotency-Key"))
        status = self.statuses[min(len(self.keys), len(self.statuses)) - 1]
        return web.json_response({"attempt": len(self.keys)}, status=status)


@pytest.fixture
async def flaky() -> AsyncIterator[Flaky]:
    service = Flaky()
    app = web.Application()
    app.router.add_post("/charge", service.handle)
    async with on_loopback(app) as base:
        service.url = f"{base}/charge"
        yield service


async def _start(server: LiveServer, flaky: Flaky) -> dict[str, Any]:
    status, body, _ = await call(server, "POST", "/api/v1/journeys/flaky-call/start", {"url": flaky.url})
    assert status in (200, 201), body
    return body


async def _retry(server: LiveServer, minutes: int) -> int:
    server.clock.advance(minutes=minutes)
    return await server.engine.fire_due_timers()


async def test_a_retryable_failure_is_tried_again_after_the_backoff(
    start_server: Callable[..., Any], database_url: str, flaky: Flaky
) -> None:
    server: LiveServer = await start_server(database_url, definitions=(TIMER_DEFINITIONS,))
    flaky.statuses = [503, 409, 200]
    started = await _start(server, flaky)
    assert started["phase"] == "Running" and started["currentState"] == "charge" and len(flaky.keys) == 1
    assert await _retry(server, 0) == 0  # the first backoff is a minute: nothing yet
    assert await _retry(server, 1) == 1 and len(flaky.keys) == 2
    # A restart between attempts loses nothing: the next attempt is a row in the timer table.
    await server.stop()
    server = await start_server(database_url, definitions=(TIMER_DEFINITIONS,), now=server.clock())
    assert await _retry(server, 1) == 0  # the second backoff is two minutes
    assert await _retry(server, 1) == 1 and len(flaky.keys) == 3
    _, outcome, _ = await call(server, "GET", f"/api/v1/journeys/{started['journeyId']}/result")
    assert outcome["phase"] == "Succeeded" and outcome["output"]["attempts"] == 3
    assert len(set(flaky.keys)) == 1, "every attempt of one call sends the same idempotency key"
    events = [t.event for t in await server.engine.store.history(started["journeyId"])]
    assert events == ["start", "call-retry", "call-retry"]


async def test_after_max_attempts_the_failure_is_the_result(server_on_timers: LiveServer, flaky: Flaky) -> None:
    flaky.statuses = [500]
    started = await _start(server_on_timers, flaky)
    assert await _retry(server_on_timers, 1) == 1
    assert await _retry(server_on_timers, 2) == 1
    assert len(flaky.keys) == 3
    _, outcome, _ = await call(server_on_timers, "GET", f"/api/v1/journeys/{started['journeyId']}/result")
    assert outcome["phase"] == "Failed" and outcome["error"]["code"] == "CHARGE_FAILED"
    assert await server_on_timers.engine.store.next_timer_due(server_on_timers.clock()) is None


async def test_a_status_the_policy_does_not_list_is_not_retried(server_on_timers: LiveServer, flaky: Flaky) -> None:
    flaky.statuses = [422]
    started = await _start(server_on_timers, flaky)
    assert started["phase"] == "Failed" and len(flaky.keys) == 1


@pytest.fixture
async def server_on_timers(start_server: Callable[..., Any], sqlite_url: str) -> LiveServer:
    live: LiveServer = await start_server(sqlite_url, definitions=(TIMER_DEFINITIONS,))
    return live
