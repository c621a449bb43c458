"""`spec.compensation` against a live server: a journey that ends badly (or partially) gets exactly one compensation
journey, linked to it, that sees its context and how it ended; a crash before it ran does not lose it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from tests.server.helpers import call
from tests.support import ROOT, LiveServer

DEFINITIONS = ROOT / "tests" / "fixtures" / "subjourneys"


async def _started(server: LiveServer, order: str) -> str:
    status, body, _ = await call(server, "POST", "/api/v1/journeys/refundable-order/start", {"orderId": order})
    assert status == 200 and body["currentState"] == "deliver", body
    return str(body["journeyId"])


async def _delivered(server: LiveServer, journey_id: str, delivery: str) -> None:
    status, body, _ = await call(server, "POST", f"/api/v1/journeys/{journey_id}/steps/deliver", {"delivery": delivery})
    assert status == 200, body
    await server.engine.drain()


async def _compensation(server: LiveServer, journey_id: str) -> dict[str, Any] | None:
    """The outcome of the journey's compensation journey, None when it has none."""
    _, status, _ = await call(server, "GET", f"/api/v1/journeys/{journey_id}")
    link = status["_links"].get("compensation")
    if link is None:
        return None
    compensation_id = str(link["href"]).rsplit("/", 1)[-1]
    _, child, _ = await call(server, "GET", f"/api/v1/journeys/{compensation_id}")
    assert child["_links"]["parent"]["href"].endswith(f"/journeys/{journey_id}")
    _, outcome, _ = await call(server, "GET", f"/api/v1/journeys/{compensation_id}/result")
    return dict(outcome)


async def test_a_failed_journey_is_compensated_with_its_context_and_outcome(
    start_server: Callable[..., Any], database_url: str
) -> None:
    server: LiveServer = await start_server(database_url, definitions=(DEFINITIONS,))
    journey_id = await _started(server, "o-1")
    await _delivered(server, journey_id, "LOST")
    _, outcome, _ = await call(server, "GET", f"/api/v1/journeys/{journey_id}/result")
    assert outcome["phase"] == "Failed" and outcome["error"]["code"] == "PARCEL_LOST"  # compensation changes nothing

    compensation = await _compensation(server, journey_id)
    assert compensation is not None and compensation["phase"] == "Succeeded"
    assert compensation["output"] == {"refunded": "o-1", "because": "Fail", "at": "lost"}


async def test_a_cancelled_journey_is_compensated_as_a_cancellation(
    start_server: Callable[..., Any], database_url: str
) -> None:
    server: LiveServer = await start_server(database_url, definitions=(DEFINITIONS,))
    journey_id = await _started(server, "o-2")
    status, _, _ = await call(server, "POST", f"/api/v1/journeys/{journey_id}/steps/cancel")
    assert status == 200
    await server.engine.drain()
    compensation = await _compensation(server, journey_id)
    assert compensation is not None and compensation["output"]["because"] == "Cancel"


async def test_a_success_is_compensated_only_when_an_also_for_rule_holds(
    start_server: Callable[..., Any], database_url: str
) -> None:
    server: LiveServer = await start_server(database_url, definitions=(DEFINITIONS,))
    full, partial = await _started(server, "o-3"), await _started(server, "o-4")
    await _delivered(server, full, "FULL")
    await _delivered(server, partial, "PARTIAL")
    assert await _compensation(server, full) is None
    compensation = await _compensation(server, partial)
    assert compensation is not None and compensation["output"]["because"] == "Success"


async def test_a_compensation_the_process_died_before_running_runs_after_the_restart(
    start_server: Callable[..., Any], database_url: str
) -> None:
    first: LiveServer = await start_server(database_url, definitions=(DEFINITIONS,))
    journey_id = await _started(first, "o-5")

    async def dies_first(compensation_id: str) -> None:  # the process dies right after the journey's end commits
        return None

    first.engine.resume = dies_first  # type: ignore[method-assign]
    await _delivered(first, journey_id, "LOST")
    _, status, _ = await call(first, "GET", f"/api/v1/journeys/{journey_id}")
    _, pending, _ = await call(first, "GET", status["_links"]["compensation"]["href"])
    await first.stop()
    assert pending["phase"] == "Running" and pending["currentState"] == "refund"

    second: LiveServer = await start_server(database_url, definitions=(DEFINITIONS,))  # its start-up recovers runs
    await second.engine.recover(timedelta(0))
    await second.engine.drain()
    compensation = await _compensation(second, journey_id)
    assert compensation is not None and compensation["phase"] == "Succeeded"
    assert compensation["output"]["refunded"] == "o-5"
