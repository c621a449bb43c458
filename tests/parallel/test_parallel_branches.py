"""`parallel` states over HTTP, on SQLite and PostgreSQL: branches that wait for steps and timers side by side, each
position a durable part of the journey's row; joins that cancel the losers; two branches' callbacks arriving at
once both applied; failures as the error policy says; nested parallels; HTTP calls in branches."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from tests.server.helpers import call
from tests.support import ROOT, LiveServer, on_loopback

PARALLEL = ROOT / "tests" / "fixtures" / "parallel"
API = "/api/v1/journeys"


@pytest.fixture
async def server(start_server: Callable[..., Any], database_url: str) -> LiveServer:
    return await start_server(database_url, definitions=(PARALLEL,))  # type: ignore[no-any-return]


async def _start(server: LiveServer, name: str, body: dict[str, Any]) -> dict[str, Any]:
    status, started, _ = await call(server, "POST", f"{API}/{name}/start", body)
    assert status == 200, started
    return started


async def _submit(server: LiveServer, journey_id: str, step: str, body: dict[str, Any]) -> tuple[int, Any]:
    status, answer, _ = await call(server, "POST", f"{API}/{journey_id}/steps/{step}", body)
    return status, answer


async def _result(server: LiveServer, journey_id: str) -> dict[str, Any]:
    _, outcome, _ = await call(server, "GET", f"{API}/{journey_id}/result")
    return outcome  # type: ignore[no-any-return]


async def _fire(server: LiveServer, minutes: int) -> int:
    server.clock.advance(minutes=minutes)
    return await server.engine.fire_due_timers()


async def test_the_callback_wins_the_race_and_the_sla_timer_is_discarded(server: LiveServer) -> None:
    started = await _start(server, "sla-race", {"orderId": "o-1"})
    journey_id = started["journeyId"]
    assert started["phase"] == "Running"
    assert started["_links"]["confirm"]["href"].endswith("/steps/confirm")  # the waiting branch's step
    assert list((await server.engine.store.get(journey_id)).timers) == ["timer@race/sla"]  # the SLA branch's timer

    status, answer = await _submit(server, journey_id, "confirm", {"status": "APPROVED"})
    assert status == 200 and answer["phase"] == "Succeeded", answer
    assert (await _result(server, journey_id))["output"] == {"status": "APPROVED", "orderId": "o-1"}
    assert (await server.engine.store.get(journey_id)).timers == {}  # the loser's timer went with it
    assert await _fire(server, 10) == 0


async def test_the_sla_fires_first_and_the_callback_step_closes(server: LiveServer) -> None:
    journey_id = (await _start(server, "sla-race", {"orderId": "o-2"}))["journeyId"]
    assert await _fire(server, 4) == 0
    assert await _fire(server, 1) == 1
    assert (await _result(server, journey_id))["output"] == {"status": "TIMED_OUT", "orderId": "o-2"}
    status, answer = await _submit(server, journey_id, "confirm", {"status": "APPROVED"})
    assert status == 409, answer  # the losing branch's step answers as closed
    assert (await _result(server, journey_id))["output"]["status"] == "TIMED_OUT"


async def test_each_branch_waits_durably_and_the_join_maps_both(
    start_server: Callable[..., Any], database_url: str, server: LiveServer
) -> None:
    started = await _start(server, "two-approvals", {})
    journey_id = started["journeyId"]
    assert {"financeApproval", "legalApproval"} <= set(started["_links"])
    status, answer = await _submit(server, journey_id, "financeApproval", {"approved": True})
    assert status == 200 and answer["phase"] == "Running" and answer["currentState"] == "legalApproval"
    assert "financeApproval" not in answer["_links"] and "legalApproval" in answer["_links"]
    assert (await _submit(server, journey_id, "financeApproval", {"approved": False}))[0] == 409  # closed now
    # A restart between the two approvals loses nothing: where each branch stands is part of the row.
    await server.stop()
    server = await start_server(database_url, definitions=(PARALLEL,), now=server.clock())
    status, answer = await _submit(server, journey_id, "legalApproval", {"approved": True})
    assert status == 200 and answer["phase"] == "Succeeded", answer
    output = (await _result(server, journey_id))["output"]
    assert output == {"finance": True, "legal": True, "legalError": None, "both": True}


async def test_two_branch_callbacks_at_the_same_moment_both_apply(server: LiveServer) -> None:
    journeys = [(await _start(server, "two-approvals", {}))["journeyId"] for _ in range(8)]
    answers = await asyncio.gather(
        *(
            _submit(server, journey_id, step, {"approved": True})
            for journey_id in journeys
            for step in ("financeApproval", "legalApproval")
        )
    )
    assert [status for status, _ in answers] == [200] * 16, answers
    for journey_id in journeys:
        outcome = await _result(server, journey_id)
        assert outcome["phase"] == "Succeeded" and outcome["output"]["both"] is True, outcome  # no lost update


async def test_a_failed_branch_is_data_for_the_join_mapper(server: LiveServer) -> None:
    journey_id = (await _start(server, "two-approvals", {}))["journeyId"]
    assert (await _submit(server, journey_id, "legalApproval", {"approved": False}))[0] == 200
    status, answer = await _submit(server, journey_id, "financeApproval", {"approved": True})
    assert status == 200 and answer["phase"] == "Succeeded"
    output = (await _result(server, journey_id))["output"]
    assert output == {"finance": True, "legal": False, "legalError": "LEGAL_REFUSED", "both": False}


async def test_without_a_mapper_a_failed_branch_fails_the_journey_at_the_join(server: LiveServer) -> None:
    journey_id = (await _start(server, "guarded-pair", {}))["journeyId"]
    status, answer = await _submit(server, journey_id, "primaryCheck", {"ok": False})
    assert status == 200 and answer["phase"] == "Running"  # collectAll: the other branch still runs
    status, answer = await _submit(server, journey_id, "secondaryCheck", {})
    assert status == 200 and answer["phase"] == "Failed"
    error = (await _result(server, journey_id))["error"]
    assert error["code"] == "PRIMARY_REFUSED" and "branch 'primary'" in error["reason"]


@pytest.fixture
def fail_fast(tmp_path: Path) -> Path:
    """guarded-pair with `errorPolicy: failFast`."""
    text = (PARALLEL / "guarded-pair.journey.yaml").read_text()
    fast = text.replace("name: guarded-pair", "name: guarded-pair-fast").replace("collectAll", "failFast")
    (tmp_path / "guarded-pair-fast.journey.yaml").write_text(fast)
    return tmp_path


async def test_fail_fast_fails_the_journey_at_the_first_branch_failure(
    start_server: Callable[..., Any], database_url: str, fail_fast: Path
) -> None:
    server: LiveServer = await start_server(database_url, definitions=(fail_fast,))
    journey_id = (await _start(server, "guarded-pair-fast", {}))["journeyId"]
    status, answer = await _submit(server, journey_id, "primaryCheck", {"ok": False})
    assert status == 200 and answer["phase"] == "Failed"
    assert (await _result(server, journey_id))["error"]["code"] == "PRIMARY_REFUSED"
    assert (await _submit(server, journey_id, "secondaryCheck", {}))[0] == 409


async def test_a_nested_parallel_joins_inside_its_branch(server: LiveServer) -> None:
    started = await _start(server, "nested-review", {})
    journey_id = started["journeyId"]
    assert {"reviewerA", "reviewerB"} <= set(started["_links"])
    status, answer = await _submit(server, journey_id, "reviewerB", {})
    assert status == 200 and answer["phase"] == "Running"  # the cooling-off period still runs
    assert "reviewerA" not in answer["_links"]  # the inner race is over: the other reviewer's step closed
    assert (await _submit(server, journey_id, "reviewerA", {}))[0] == 409
    assert await _fire(server, 59) == 0
    assert await _fire(server, 1) == 1
    outcome = await _result(server, journey_id)
    assert outcome["phase"] == "Succeeded" and outcome["output"] == "B"


@pytest.fixture
async def carriers() -> AsyncIterator[str]:
    async def north(_: web.Request) -> web.Response:
        return web.json_response({"price": 120})

    async def south(_: web.Request) -> web.Response:
        return web.json_response({"price": 95})

    app = web.Application()
    app.router.add_get("/north", north)
    app.router.add_get("/south", south)
    async with on_loopback(app) as base:
        yield base


async def test_each_branch_keeps_its_own_call_result_for_the_join(server: LiveServer, carriers: str) -> None:
    started = await _start(server, "priced-quotes", {"base": carriers})
    assert started["phase"] == "Succeeded", started
    assert (await _result(server, started["journeyId"]))["output"] == {"north": 120, "south": 95}


class Card:
    """A card processor answering each charge with the next scripted status (the last one repeats)."""

    def __init__(self) -> None:
        self.statuses = [200]
        self.keys: list[str | None] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.keys.append(request.headers.get("Idempotency-Key"))
        return web.json_response({}, status=self.statuses[min(len(self.keys), len(self.statuses)) - 1])


@pytest.fixture
async def card() -> AsyncIterator[tuple[Card, str]]:
    processor = Card()
    app = web.Application()
    app.router.add_post("/charge", processor.handle)
    async with on_loopback(app) as base:
        yield processor, f"{base}/charge"


async def test_a_branch_step_times_out_while_the_other_branch_retries_its_call(
    server: LiveServer, card: tuple[Card, str]
) -> None:
    processor, url = card
    processor.statuses = [503, 200]
    started = await _start(server, "pickup-and-charge", {"url": url})
    journey_id = started["journeyId"]
    assert started["phase"] == "Running" and "pickup" in started["_links"] and len(processor.keys) == 1
    timers = (await server.engine.store.get(journey_id)).timers
    assert set(timers) == {"step-timeout@pickupAndCharge/courier", "retry@pickupAndCharge/card"}
    assert await _fire(server, 1) == 2  # the step's timeout and the call's second attempt, each in its branch
    outcome = await _result(server, journey_id)
    assert outcome["phase"] == "Succeeded", outcome
    assert outcome["output"]["pickup"] == "MISSED" and outcome["output"]["charge"]["ok"] is True
    assert len(processor.keys) == 2 and len(set(processor.keys)) == 1  # one idempotency key for both attempts


async def test_cancelling_a_journey_in_a_parallel_closes_every_branch(server: LiveServer) -> None:
    journey_id = (await _start(server, "sla-race", {"orderId": "o-3"}))["journeyId"]
    status, answer, _ = await call(server, "POST", f"{API}/{journey_id}/steps/cancel", {})
    assert status == 200 and answer["phase"] == "Failed", answer
    record = await server.engine.store.get(journey_id)
    assert record.timers == {} and not record.branches
    assert (await _submit(server, journey_id, "confirm", {"status": "APPROVED"}))[0] == 409
    assert await _fire(server, 10) == 0


@pytest.fixture
def with_deadline(tmp_path: Path) -> Path:
    """sla-race with a journey deadline of two minutes routed to a state of its own."""
    text = (PARALLEL / "sla-race.journey.yaml").read_text()
    deadline = "  execution:\n    maxDurationSec: 120\n    onTimeout:\n      next: tooLate\n  start: race\n"
    text = text.replace("name: sla-race", "name: sla-race-deadline").replace("  start: race\n", deadline)
    text += "    tooLate:\n      type: wait\n      wait: { input: { schema: { type: object } } }\n      next: finish\n"
    (tmp_path / "sla-race-deadline.journey.yaml").write_text(text)
    return tmp_path


async def test_the_journey_deadline_takes_it_out_of_its_parallel(
    start_server: Callable[..., Any], database_url: str, with_deadline: Path
) -> None:
    server: LiveServer = await start_server(database_url, definitions=(with_deadline,))
    journey_id = (await _start(server, "sla-race-deadline", {"orderId": "o-4"}))["journeyId"]
    assert await _fire(server, 2) == 1
    _, status, _ = await call(server, "GET", f"{API}/{journey_id}")
    assert status["phase"] == "Running" and status["currentState"] == "tooLate"
    assert set(status["_links"]) & {"confirm", "tooLate"} == {"tooLate"}
    record = await server.engine.store.get(journey_id)
    assert record.timers == {} and not record.branches  # the SLA branch's timer went with its branch
    assert (await _submit(server, journey_id, "confirm", {"status": "APPROVED"}))[0] == 409
    assert await _fire(server, 10) == 0


async def test_the_console_offers_the_open_step_of_a_parallel(server: LiveServer) -> None:
    journey_id = (await _start(server, "two-approvals", {}))["journeyId"]
    assert (await _submit(server, journey_id, "financeApproval", {"approved": True}))[0] == 200
    async with server.http.get(f"{server.base_url}/console/journeys/{journey_id}") as response:
        page = await response.text()
    assert response.status == 200
    assert 'name="step" value="legalApproval"' in page and 'value="financeApproval"' not in page


async def test_a_branch_reads_the_cache_and_another_fills_it(server: LiveServer) -> None:
    first = (await _start(server, "remembered-answer", {"topic": "life"}))["journeyId"]
    status, answer = await _submit(server, first, "answer", {"text": "42"})
    assert status == 200 and answer["phase"] == "Succeeded"
    assert (await _result(server, first))["output"] is None  # nothing was cached when its branch read
    second = await _start(server, "remembered-answer", {"topic": "life"})
    assert second["phase"] == "Running" and "answer" in second["_links"]  # the read went on to the other branch
    status, answer = await _submit(server, second["journeyId"], "answer", {"text": "43"})
    assert status == 200 and answer["phase"] == "Succeeded"
    assert (await _result(server, second["journeyId"]))["output"] == "42"


async def test_a_retry_to_a_branch_step_meets_only_the_checks_of_its_own_path(server: LiveServer) -> None:
    journey_id = (await _start(server, "countersigned-note", {}))["journeyId"]
    path = f"{API}/{journey_id}/steps/addNote"
    retry = {"Idempotency-Key": "note-1"}
    first = await call(server, "POST", path, {"text": "hi"}, retry)
    again = await call(server, "POST", path, {"text": "hi"}, retry)  # no key: the other branch's check is not its own
    assert first[0] == again[0] == 200 and first[1] == again[1], again
    status, _ = await _submit(server, journey_id, "countersignIt", {})
    assert status == 401  # the countersigning branch's own check still holds


async def test_a_journey_a_branch_failed_is_compensated_as_a_failure_at_its_parallel(server: LiveServer) -> None:
    journey_id = (await _start(server, "refunded-checks", {}))["journeyId"]
    assert (await _submit(server, journey_id, "primaryCheck", {"ok": False}))[0] == 200
    status, answer = await _submit(server, journey_id, "secondaryCheck", {})
    assert status == 200 and answer["phase"] == "Failed"
    await server.engine.drain()
    _, ended, _ = await call(server, "GET", f"{API}/{journey_id}")
    compensation_id = ended["_links"]["compensation"]["href"].rsplit("/", 1)[-1]
    outcome = await _result(server, compensation_id)
    assert outcome["output"] == {"because": "Fail", "at": "checks", "code": "PRIMARY_REFUSED"}, outcome
