"""Subjourney states against a live server: children are journeys of their own, linked to their parents, and a
parent is resumed exactly once with its child's result, even across a restart between the child's end and it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from tests.server.helpers import call
from tests.support import ROOT, LiveServer

DEFINITIONS = ROOT / "tests" / "fixtures" / "subjourneys"
LINES = [{"price": 300}, {"price": 200}]


async def _server(start_server: Callable[..., Any], database_url: str) -> LiveServer:
    server: LiveServer = await start_server(database_url, definitions=(DEFINITIONS,))
    return server


async def _get(server: LiveServer, journey_id: str) -> dict[str, Any]:
    status, body, _ = await call(server, "GET", f"/api/v1/journeys/{journey_id}")
    assert status == 200, body
    return dict(body)


async def _history(server: LiveServer, journey_id: str) -> list[dict[str, Any]]:
    status, body, _ = await call(server, "GET", f"/api/v1/journeys/{journey_id}/history")
    assert status == 200, body
    return list(body["items"] if isinstance(body, dict) else body)


def _child_of(status: dict[str, Any]) -> str:
    return str(status["_links"]["subjourney"]["href"]).rsplit("/", 1)[-1]


async def test_children_that_end_at_once_settle_within_the_sync_start(
    start_server: Callable[..., Any], database_url: str
) -> None:
    server = await _server(start_server, database_url)
    status, body, _ = await call(
        server, "POST", "/api/v1/journeys/order-checks/start", {"lines": LINES, "customer": "ann"}
    )
    assert status == 200, body
    assert body["phase"] == "Succeeded"
    assert body["output"]["totals"] == {"count": 2, "amount": 500}  # resultKind output: the child's outputVar
    assert body["output"]["fraud"] == {
        "phase": "SUCCEEDED",
        "terminationKind": "Success",
        "output": {"amount": 500},
        "error": {"code": None, "reason": None},
    }


async def test_a_captured_failure_is_a_mini_outcome_and_a_propagated_one_fails_the_parent_there(
    start_server: Callable[..., Any], database_url: str
) -> None:
    server = await _server(start_server, database_url)
    lines = [{"price": 1500}]
    status, body, _ = await call(
        server, "POST", "/api/v1/journeys/order-checks/start", {"lines": lines, "customer": "x"}
    )
    assert status == 200 and body["phase"] == "Succeeded", body
    assert body["output"]["fraud"]["phase"] == "FAILED"
    assert body["output"]["fraud"]["terminationKind"] == "Fail"
    assert body["output"]["fraud"]["error"] == {"code": "FRAUD_SUSPECTED", "reason": "amount above the screening limit"}

    status, body, _ = await call(
        server, "POST", "/api/v1/journeys/order-checks/start", {"lines": LINES, "customer": "blocked"}
    )
    assert status == 200 and body["phase"] == "Failed", body
    assert body["error"] == {"code": "CREDIT_REFUSED", "reason": "the customer is blocked"}
    assert (await _get(server, body["journeyId"]))["currentState"] == "checkCredit"


async def test_a_child_that_waits_is_a_journey_of_its_own_linked_both_ways(
    start_server: Callable[..., Any], database_url: str
) -> None:
    server = await _server(start_server, database_url)
    status, parent, _ = await call(server, "POST", "/api/v1/journeys/supervised-order/start", {"orderId": "o-1"})
    assert status == 200, parent
    assert parent["phase"] == "Running" and parent["currentState"] == "supervise"
    child_id = _child_of(parent)
    child = await _get(server, child_id)
    assert child["phase"] == "Running" and child["currentState"] == "review"
    assert child["_links"]["parent"]["href"].endswith(f"/journeys/{parent['journeyId']}")
    assert child["_links"]["review"]["href"].endswith(f"/journeys/{child_id}/steps/review")

    status, body, _ = await call(server, "POST", f"/api/v1/journeys/{child_id}/steps/review", {"decision": "approve"})
    assert status == 200 and body["currentState"] == "coolOff", body
    assert (await _get(server, parent["journeyId"]))["currentState"] == "supervise"

    server.clock.advance(hours=1)
    assert await server.engine.fire_due_timers() == 1
    await server.engine.drain()
    status, outcome, _ = await call(server, "GET", f"/api/v1/journeys/{parent['journeyId']}/result")
    assert status == 200 and outcome["phase"] == "Succeeded", outcome
    assert outcome["output"]["supervision"] == {"approvedFor": "o-1"}
    assert "subjourney" not in (await _get(server, parent["journeyId"]))["_links"]


async def test_a_rejecting_child_fails_its_parent_with_the_childs_error(
    start_server: Callable[..., Any], database_url: str
) -> None:
    server = await _server(start_server, database_url)
    _, parent, _ = await call(server, "POST", "/api/v1/journeys/supervised-order/start", {"orderId": "o-2"})
    child_id = _child_of(parent)
    await call(server, "POST", f"/api/v1/journeys/{child_id}/steps/review", {"decision": "reject"})
    await server.engine.drain()
    status, outcome, _ = await call(server, "GET", f"/api/v1/journeys/{parent['journeyId']}/result")
    assert status == 200 and outcome["phase"] == "Failed"
    assert outcome["error"]["code"] == "SUPERVISOR_REJECTED"


async def test_cancelling_the_parent_cancels_its_running_child(
    start_server: Callable[..., Any], database_url: str
) -> None:
    server = await _server(start_server, database_url)
    _, parent, _ = await call(server, "POST", "/api/v1/journeys/supervised-order/start", {"orderId": "o-3"})
    child_id = _child_of(parent)
    status, body, _ = await call(server, "POST", f"/api/v1/journeys/{parent['journeyId']}/steps/cancel")
    assert status == 200 and body["phase"] == "Failed", body
    await server.engine.drain()
    child = await _get(server, child_id)
    assert child["phase"] == "Failed"
    status, outcome, _ = await call(server, "GET", f"/api/v1/journeys/{child_id}/result")
    assert outcome["error"]["code"] == "JOURNEY_CANCELLED"
    status, _, _ = await call(server, "POST", f"/api/v1/journeys/{child_id}/steps/review", {"decision": "approve"})
    assert status == 409


async def test_the_parents_deadline_cancels_its_waiting_child(
    start_server: Callable[..., Any], database_url: str
) -> None:
    server = await _server(start_server, database_url)
    _, parent, _ = await call(server, "POST", "/api/v1/journeys/supervised-order/start", {"orderId": "o-5"})
    child_id = _child_of(parent)
    server.clock.advance(days=1)
    assert await server.engine.fire_due_timers() == 1
    await server.engine.drain()
    _, outcome, _ = await call(server, "GET", f"/api/v1/journeys/{parent['journeyId']}/result")
    assert outcome["error"]["code"] == "SUPERVISION_TIMEOUT"
    _, child, _ = await call(server, "GET", f"/api/v1/journeys/{child_id}/result")
    assert child["phase"] == "Failed" and child["error"]["code"] == "JOURNEY_CANCELLED"


async def test_a_parent_is_resumed_once_after_a_crash_between_the_childs_end_and_its_resume(
    start_server: Callable[..., Any], database_url: str
) -> None:
    first = await _server(start_server, database_url)
    _, parent, _ = await call(first, "POST", "/api/v1/journeys/supervised-order/start", {"orderId": "o-4"})
    child_id = _child_of(parent)

    async def dies_first(child: str) -> bool:  # the process dies before it resumes the parent
        return False

    first.engine.subjourneys.resume_parent = dies_first  # type: ignore[method-assign]
    await call(first, "POST", f"/api/v1/journeys/{child_id}/steps/review", {"decision": "reject"})
    await first.engine.drain()
    assert (await _get(first, parent["journeyId"]))["phase"] == "Running"  # the child ended, the parent waits
    await first.stop()

    second = await _server(start_server, database_url)
    # The sweep of the restarted process, run twice at once: one resume, the notice consumed with it.
    await asyncio.gather(second.engine.recover(timedelta(0)), second.engine.recover(timedelta(0)))
    await second.engine.drain()
    status, outcome, _ = await call(second, "GET", f"/api/v1/journeys/{parent['journeyId']}/result")
    assert status == 200 and outcome["error"]["code"] == "SUPERVISOR_REJECTED"
    events = [item["event"] for item in await _history(second, parent["journeyId"])]
    assert events == ["start", "subjourney"]
    assert await second.engine.store.subjourneys.pending() == []


async def test_nested_children_resume_their_parents_in_turn(
    start_server: Callable[..., Any], database_url: str
) -> None:
    server = await _server(start_server, database_url)
    _, parent, _ = await call(server, "POST", "/api/v1/journeys/nested-signoff/start", {"document": "d-1"})
    assert parent["phase"] == "Running" and parent["currentState"] == "approve"
    child = await _get(server, _child_of(parent))
    assert child["currentState"] == "getSignature"
    grandchild_id = _child_of(child)
    grandchild = await _get(server, grandchild_id)
    assert grandchild["_links"]["parent"] == child["_links"]["self"]

    await call(server, "POST", f"/api/v1/journeys/{grandchild_id}/steps/sign", {"by": "manager-7"})
    await server.engine.drain()
    _, outcome, _ = await call(server, "GET", f"/api/v1/journeys/{parent['journeyId']}/result")
    assert outcome["phase"] == "Succeeded"
    assert outcome["output"] == {"document": "d-1", "signedBy": "manager-7"}


async def test_what_a_child_does_before_it_first_waits_is_committed_with_it(
    start_server: Callable[..., Any], database_url: str
) -> None:
    server = await _server(start_server, database_url)
    status, body, _ = await call(server, "POST", "/api/v1/journeys/announced-order/start", {"orderId": "o-9"})
    assert status == 200 and body["phase"] == "Running", body
    child = _child_of(body)
    status, events, _ = await call(server, "GET", f"/api/v1/journeys/{child}/events")
    assert status == 200 and [event["value"] for event in events["items"]] == [{"orderId": "o-9"}], events
    assert await server.engine.store.cache.get("order:o-9", server.clock()) == {"announced": True}
