"""Durable time on a real server: timer states, step timeouts, the journey's deadline, all fired from the timer
table by the engine's clock (moved forward, never slept on), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from journeys.server.app import build_app
from tests.server.helpers import call
from tests.support import ROOT, LiveServer, on_loopback, server_config

TIMER_DEFINITIONS = ROOT / "tests" / "fixtures" / "timers"


@pytest.fixture
async def server(start_server: Callable[..., Any], database_url: str) -> LiveServer:
    live: LiveServer = await start_server(database_url, definitions=(TIMER_DEFINITIONS,))
    return live


async def _start(server: LiveServer, journey: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    status, started, _ = await call(server, "POST", f"/api/v1/journeys/{journey}/start", body or {})
    assert status in (200, 201), started
    return started


async def _outcome(server: LiveServer, journey_id: str) -> dict[str, Any]:
    _, body, _ = await call(server, "GET", f"/api/v1/journeys/{journey_id}/result")
    return body


async def _events(server: LiveServer, journey_id: str) -> list[str]:
    return [t.event for t in await server.engine.store.history(journey_id)]


async def test_a_timer_state_waits_its_duration_then_goes_on(server: LiveServer) -> None:
    started = await _start(server, "reminder-timer", {"delay": "PT2H"})
    assert started["phase"] == "Running" and started["currentState"] == "pause"
    assert "pause" not in started.get("_links", {}), "a timer is not a step anyone can submit"
    server.clock.advance(hours=1, minutes=59)
    assert await server.engine.fire_due_timers() == 0
    server.clock.advance(minutes=1)
    assert await server.engine.fire_due_timers() == 1
    outcome = await _outcome(server, started["journeyId"])
    # DataWeave's now() is the engine's clock, as the timers' is: two hours after the start.
    assert outcome["phase"] == "Succeeded"
    assert outcome["output"] == {"reminded": True, "remindedAt": "2026-01-01T02:00:00.000Z"}
    assert await _events(server, started["journeyId"]) == ["start", "timer"]
    assert await server.engine.store.next_timer_due(server.clock()) is None


async def test_a_timer_whose_time_has_passed_does_not_pause(server: LiveServer) -> None:
    started = await _start(server, "reminder-timer", {"delay": "PT0S"})
    assert started["phase"] == "Succeeded"


async def test_a_duration_that_does_not_parse_fails_the_journey_naming_the_state(server: LiveServer) -> None:
    started = await _start(server, "reminder-timer", {"delay": "two hours"})
    assert started["phase"] == "Failed"
    outcome = await _outcome(server, started["journeyId"])
    assert outcome["error"]["code"] == "TIMER_INVALID:pause" and "ISO-8601" in outcome["error"]["reason"]


async def test_a_timer_survives_a_restart(start_server: Callable[..., Any], database_url: str) -> None:
    first: LiveServer = await start_server(database_url, definitions=(TIMER_DEFINITIONS,))
    started = await _start(first, "reminder-timer", {"delay": "P2D"})
    await first.stop()
    second: LiveServer = await start_server(database_url, definitions=(TIMER_DEFINITIONS,))
    second.clock.advance(days=2)
    assert await second.engine.fire_due_timers() == 1
    assert (await _outcome(second, started["journeyId"]))["phase"] == "Succeeded"


async def test_cancelling_at_a_timer_discards_it(server: LiveServer) -> None:
    started = await _start(server, "reminder-timer", {"delay": "PT1H"})
    status, _, _ = await call(server, "POST", f"/api/v1/journeys/{started['journeyId']}/steps/cancel")
    assert status == 200
    assert await server.engine.store.next_timer_due(server.clock()) is None
    server.clock.advance(hours=2)
    assert await server.engine.fire_due_timers() == 0


async def test_the_deadline_fails_a_journey_that_is_still_waiting(server: LiveServer) -> None:
    started = await _start(server, "approval-deadline")
    journey_id = started["journeyId"]
    server.clock.advance(hours=1)
    assert await server.engine.fire_due_timers() == 1  # the first review timed out: escalated, not failed
    _, status_body, _ = await call(server, "GET", f"/api/v1/journeys/{journey_id}")
    assert status_body["currentState"] == "escalate"
    server.clock.advance(minutes=59)
    assert await server.engine.fire_due_timers() == 0
    server.clock.advance(minutes=1)
    assert await server.engine.fire_due_timers() == 1
    outcome = await _outcome(server, journey_id)
    assert outcome["phase"] == "Failed"
    assert outcome["error"] == {"code": "APPROVAL_TIMEOUT", "reason": "No decision within two hours"}
    assert await _events(server, journey_id) == ["start", "timeout", "deadline"]
    status, _, _ = await call(server, "POST", f"/api/v1/journeys/{journey_id}/steps/escalate", {"decision": "ok"})
    assert status == 409


async def test_a_journey_that_ends_in_time_leaves_no_deadline_behind(server: LiveServer) -> None:
    started = await _start(server, "approval-deadline")
    path = f"/api/v1/journeys/{started['journeyId']}/steps/firstReview"
    status, body, _ = await call(server, "POST", path, {"decision": "approve"})
    assert status == 200 and body["phase"] == "Succeeded"
    assert await server.engine.store.next_timer_due(server.clock()) is None


async def test_a_deadline_can_route_the_journey_instead_of_failing_it(server: LiveServer) -> None:
    started = await _start(server, "routed-deadline")
    server.clock.advance(minutes=1)
    assert await server.engine.fire_due_timers() == 1
    outcome = await _outcome(server, started["journeyId"])
    assert outcome["error"]["code"] == "EXPIRED"
    history = await server.engine.store.history(started["journeyId"])
    assert history[-1].event == "deadline" and history[-1].path == ["expire", "expired"]


async def test_a_timer_racing_a_submission_makes_one_transition(server: LiveServer) -> None:
    for _ in range(8):
        started = await _start(server, "approval-deadline")
        journey_id = started["journeyId"]
        server.clock.advance(hours=1)
        path = f"/api/v1/journeys/{journey_id}/steps/firstReview"
        _, (status, _, _) = await asyncio.gather(
            server.engine.fire_due_timers(), call(server, "POST", path, {"decision": "approve"})
        )
        events = await _events(server, journey_id)
        assert events in (["start", "timeout"], ["start", "step"]), events
        assert status == (200 if events[-1] == "step" else 409)


async def test_two_engines_fire_each_due_timer_once(
    start_server: Callable[..., Any], database_url: str, tmp_path: Path
) -> None:
    first: LiveServer = await start_server(database_url, definitions=(TIMER_DEFINITIONS,))
    second: LiveServer = await start_server(database_url, definitions=(TIMER_DEFINITIONS,))
    ids = [(await _start(first, "reminder-timer", {"delay": "PT5M"}))["journeyId"] for _ in range(60)]
    first.clock.advance(minutes=5)
    second.clock.advance(minutes=5)
    fired = await asyncio.gather(first.engine.fire_due_timers(), second.engine.fire_due_timers())
    assert sum(fired) == 60
    for journey_id in ids:
        assert await _events(first, journey_id) == ["start", "timer"]


async def test_the_test_clock_endpoint_moves_time_and_fires(sqlite_url: str) -> None:
    """The server as `journeys serve` builds it (its own engine and clock), with `testClock: true`."""
    config = server_config(sqlite_url, definitions=(TIMER_DEFINITIONS,), test_clock=True)
    async with on_loopback(build_app(config)) as server_url, aiohttp.ClientSession() as http:
        base = f"{server_url}/api/v1"
        async with http.post(f"{base}/journeys/reminder-timer/start", json={"delay": "P2D"}) as answer:
            journey_id = (await answer.json())["journeyId"]
        async with http.post(f"{base}/test/clock", json={"advance": "P2D"}) as answer:
            assert answer.status == 200 and (await answer.json())["fired"] == 1
        async with http.get(f"{base}/journeys/{journey_id}/result") as answer:
            outcome = await answer.json()
        assert outcome["phase"] == "Succeeded"
        reminded_at = datetime.fromisoformat(outcome["output"]["remindedAt"].replace("Z", "+00:00"))
        assert reminded_at > datetime.now(UTC) + timedelta(days=1, hours=23)  # now() on the moved clock
        async with http.post(f"{base}/test/clock", json={"advance": "soon"}) as answer:
            assert answer.status == 400 and "ISO-8601" in (await answer.json())["detail"]


async def test_without_the_test_clock_setting_the_endpoint_does_not_exist(server: LiveServer) -> None:
    status, _, _ = await call(server, "POST", "/api/v1/test/clock", {"advance": "P2D"})
    assert status in (404, 405)
