"""schedule:v1 on a real server, SQLite and PostgreSQL: a journey binds a schedule in its own advance, and each due
occurrence starts one run, from the last run's final context, until `maxRuns`; the clock is moved, never slept on."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import jsonschema_rs
import pytest

from journeys.store.schedules import ScheduleRecord
from tests.server.helpers import call
from tests.support import ROOT, LiveServer

SCHEDULES = ROOT / "tests" / "fixtures" / "schedules"
FIRST_RUN = datetime(2026, 1, 1, 6, tzinfo=UTC)


async def _server(start_server: Callable[..., Any], database_url: str) -> LiveServer:
    live: LiveServer = await start_server(database_url, definitions=(SCHEDULES,))
    return live


@pytest.fixture
async def server(start_server: Callable[..., Any], database_url: str) -> LiveServer:
    return await _server(start_server, database_url)


async def _bind(server: LiveServer, **body: Any) -> dict[str, Any]:
    status, started, _ = await call(server, "POST", "/api/v1/journeys/tenant-sweep/start", {"tenant": "t-1", **body})
    assert status in (200, 201), started
    return started


async def _fire(server: LiveServer) -> int:
    fired = await server.engine.fire_due_timers()
    await server.engine.drain()
    return fired


async def _runs(server: LiveServer) -> list[dict[str, Any]]:
    """The scheduled runs (journeys that started at `sweep`), oldest first, as the API shows them."""
    snapshots = await server.engine.list(limit=100, after=None, journey_name="tenant-sweep")
    runs = []
    for snapshot in reversed(snapshots):
        history = await server.engine.store.history(snapshot.record.id)
        if history[0].event == "schedule":
            path = f"/api/v1/journeys/{snapshot.record.id}"
            _, body, _ = await call(server, "GET", path if snapshot.record.phase == "Running" else path + "/result")
            runs.append(body)
    return runs


async def _bindings(server: LiveServer) -> list[ScheduleRecord]:
    return await server.engine.store.schedules.list(journey_name="tenant-sweep", owner=None, limit=10, after=None)


async def test_each_occurrence_starts_one_run_from_the_last_runs_context_until_max_runs(server: LiveServer) -> None:
    started = await _bind(server)
    assert started["phase"] == "Succeeded"
    assert await _fire(server) == 0, "nothing is due before startAt"
    server.clock.now = FIRST_RUN
    assert await _fire(server) == 1
    assert await _fire(server) == 0, "an occurrence starts one run"
    for _ in range(3):
        server.clock.advance(days=1)
        await _fire(server)
    runs = await _runs(server)
    assert [run["phase"] for run in runs] == ["Succeeded"] * 3
    assert [run["output"]["sweeps"] for run in runs] == [1, 2, 3], "each run starts from the last one's context"
    assert runs[1]["output"]["sweptAt"] == "2026-01-02T06:00:00.000Z"
    [binding] = await _bindings(server)
    assert (binding.runs_started, binding.next_run_at) == (3, None)
    assert binding.bound_by == started["journeyId"]


async def test_an_occurrence_missed_while_no_server_ran_starts_once_after_the_restart(
    start_server: Callable[..., Any], database_url: str
) -> None:
    first = await _server(start_server, database_url)
    await _bind(first, maxRuns=10)
    await first.stop()
    second = await _server(start_server, database_url)
    second.clock.now = FIRST_RUN + timedelta(days=4, hours=3)  # five occurrences went by
    assert await _fire(second) == 1
    assert await _fire(second) == 0
    [binding] = await _bindings(second)
    assert binding.runs_started == 1
    assert binding.next_run_at == FIRST_RUN + timedelta(days=5), "the cadence resumes at the next occurrence"


async def test_an_occurrence_waits_for_the_last_run_to_end(server: LiveServer) -> None:
    await _bind(server, holdFor="P2D")
    server.clock.now = FIRST_RUN
    assert await _fire(server) == 1
    server.clock.advance(days=1)
    assert await _fire(server) == 0, "the first run still holds"
    server.clock.advance(days=1)
    assert await _fire(server) == 2  # the first run's timer, then the held occurrence
    runs = await _runs(server)
    assert [run["phase"] for run in runs] == ["Succeeded", "Running"]
    [binding] = await _bindings(server)
    assert binding.last_context["sweeps"] == 1, "the second run starts from the first one's final context"


async def test_on_existing_fail_fails_the_second_binding_at_its_task(server: LiveServer) -> None:
    await _bind(server)
    second = await _bind(server)
    assert second["phase"] == "Failed" and second["error"]["code"] == "SCHEDULE_EXISTS:scheduleOnce"
    _, status, _ = await call(server, "GET", f"/api/v1/journeys/{second['journeyId']}")
    assert status["currentState"] == "scheduleOnce", "it failed at its task, going no further"
    history = await server.engine.store.history(second["journeyId"])
    assert history[-1].path == ["route", "scheduleOnce"]
    assert len(await _bindings(server)) == 1
    other_tenant = await _bind(server, tenant="t-2")
    assert other_tenant["phase"] == "Succeeded", "the subject is part of the identity"
    later = await _bind(server, mode="later")
    server.clock.advance(hours=1)
    assert await _fire(server) == 1  # its timer: the advance that runs the task fails the journey at it
    _, outcome, _ = await call(server, "GET", f"/api/v1/journeys/{later['journeyId']}/result")
    assert outcome["error"]["code"] == "SCHEDULE_EXISTS:scheduleOnce"
    assert len(await _bindings(server)) == 2


async def test_upsert_replaces_the_binding_and_add_another_adds_one(server: LiveServer) -> None:
    await _bind(server, mode="upsert")
    server.clock.now = FIRST_RUN
    assert await _fire(server) == 1
    again = await _bind(server, mode="upsert", firstRunAt="2026-02-01T06:00:00Z")
    assert again["phase"] == "Succeeded"
    [binding] = await _bindings(server)
    assert (binding.runs_started, binding.next_run_at) == (0, datetime(2026, 2, 1, 6, tzinfo=UTC))
    assert binding.bound_by == again["journeyId"]
    await _bind(server, mode="addAnother")
    await _bind(server, mode="addAnother")
    assert len(await _bindings(server)) == 3
    assert await _fire(server) == 2, "an addAnother binding without startAt is due at once"


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"interval": "PT30S"}, "at least one minute"),
        ({"interval": "daily"}, "ISO-8601"),
        ({"maxRuns": 0}, "positive integer"),
        ({"firstRunAt": "tomorrow"}, "RFC 3339"),
        ({"interval": "P9000Y"}, "past the year 9999"),
    ],
)
async def test_a_schedule_the_mappers_make_invalid_fails_the_journey(
    server: LiveServer, body: dict[str, Any], problem: str
) -> None:
    started = await _bind(server, **body)
    assert started["phase"] == "Failed"
    _, outcome, _ = await call(server, "GET", f"/api/v1/journeys/{started['journeyId']}/result")
    assert outcome["error"]["code"] == "SCHEDULE_INVALID:scheduleOnce" and problem in outcome["error"]["reason"]
    assert await _bindings(server) == []


async def test_two_engines_on_one_postgresql_start_an_occurrence_once(
    start_server: Callable[..., Any], postgres_url: str
) -> None:
    first = await _server(start_server, postgres_url)
    second = await _server(start_server, postgres_url)
    await _bind(first, maxRuns=10)
    for _ in range(3):
        first.clock.advance(days=1)
        second.clock.now = first.clock.now
        started = await asyncio.gather(_fire(first), _fire(second))
        assert sum(started) == 1, started
    assert [run["output"]["sweeps"] for run in await _runs(first)] == [1, 2, 3]


async def test_the_bindings_are_listed_as_the_openapi_document_describes(server: LiveServer) -> None:
    started = await _bind(server)
    await _bind(server, tenant="t-2", mode="addAnother")
    server.clock.now = FIRST_RUN
    await _fire(server)
    status, page, _ = await call(server, "GET", "/api/v1/schedules?journeyName=tenant-sweep&limit=1")
    assert status == 200 and page["nextPageToken"] is not None
    status, rest, _ = await call(server, "GET", f"/api/v1/schedules?limit=1&pageToken={page['nextPageToken']}")
    assert status == 200 and rest["nextPageToken"] is None
    first = rest["items"][0]
    assert first["boundBy"] == started["journeyId"] and first["subjectId"] == "t-1"
    assert (first["runsStarted"], first["nextRunAt"], first["interval"]) == (1, "2026-01-02T06:00:00Z", "P1D")
    assert "lastContext" not in first, "what a binding hands on may hold secrets"
    _, document, _ = await call(server, "GET", "/api/v1/openapi.json")
    schema = {**document["components"]["schemas"]["SchedulePage"], "components": document["components"]}
    for body in (page, rest):
        assert not list(jsonschema_rs.validator_for(schema).iter_errors(body))
    status, problem, _ = await call(server, "GET", "/api/v1/schedules?pageToken=nonsense")
    assert status == 400 and problem["status"] == 400
