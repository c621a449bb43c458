"""Start modes, cancellability, link opt-out and expression failures, through the live API."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from tests.server.helpers import PAYMENT, call
from tests.support import LiveServer


async def test_async_start_answers_202_and_runs_in_the_background(server: LiveServer) -> None:
    status, body, _ = await call(server, "POST", "/api/v1/journeys/async-greeting/start", {"name": "Ada"})
    assert status == 202
    journey_id = body["journeyId"]
    assert body["statusUrl"] == server.url(f"/api/v1/journeys/{journey_id}")
    status, outcome, _ = await call(server, "GET", f"/api/v1/journeys/{journey_id}/result?waitSeconds=5")
    assert status == 200 and outcome["phase"] == "Succeeded"
    assert outcome["output"] == {"status": "GREETED", "greeting": "Hello, Ada"} and outcome["status"] == "GREETED"


async def test_long_poll_returns_as_soon_as_the_journey_ends(server: LiveServer) -> None:
    status, body, _ = await call(server, "POST", "/api/v1/journeys/locked-approval/start", {})
    journey_id = body["journeyId"]
    poll = asyncio.create_task(call(server, "GET", f"/api/v1/journeys/{journey_id}/result?waitSeconds=10"))
    await asyncio.sleep(0.2)
    assert not poll.done()
    await call(server, "POST", f"/api/v1/journeys/{journey_id}/steps/approve", {"approved": True})
    status, outcome, _ = await asyncio.wait_for(poll, timeout=3)
    assert status == 200 and outcome["phase"] == "Succeeded"


async def test_non_cancellable_journey_refuses_cancel_and_has_no_links(server: LiveServer) -> None:
    status, body, _ = await call(server, "POST", "/api/v1/journeys/locked-approval/start", {})
    assert status == 200 and "_links" not in body
    journey_id = body["journeyId"]
    status, problem, _ = await call(server, "POST", f"/api/v1/journeys/{journey_id}/steps/cancel")
    assert status == 409 and "not cancellable" in problem["detail"]
    status, body, _ = await call(server, "POST", f"/api/v1/journeys/{journey_id}/steps/approve", {"approved": False})
    assert status == 200 and body["phase"] == "Failed"
    _, outcome, _ = await call(server, "GET", f"/api/v1/journeys/{journey_id}/result")
    assert outcome["error"] == {"code": "REJECTED", "reason": "The approver said no."}


async def test_expression_error_fails_the_journey_naming_the_state(server: LiveServer) -> None:
    status, outcome, _ = await call(server, "POST", "/api/v1/journeys/broken-arithmetic/start", {"label": "x"})
    assert status == 200 and outcome["phase"] == "Failed"
    assert outcome["error"]["code"] == "EXPRESSION_ERROR:compute"
    assert "compute" in outcome["error"]["reason"]


async def test_a_missing_api_key_profile_is_a_500_that_changes_nothing(
    start_server: Callable[..., Any], sqlite_url: str
) -> None:
    server = await start_server(sqlite_url, api_keys={})  # the operator forgot the payments-callback keys
    status, body, _ = await call(server, "POST", "/api/v1/journeys/payment-callback/start", PAYMENT)
    journey_id = body["journeyId"]
    before = await server.engine.store.get(journey_id)
    status, problem, content_type = await call(
        server,
        "POST",
        f"/api/v1/journeys/{journey_id}/steps/waitForCallback",
        {"paymentId": "pay-123", "status": "SUCCESS"},
        {"X-Webhook-Secret": "anything"},
    )
    assert status == 500 and content_type == "application/problem+json"
    assert "payments-callback" in problem["detail"] and "not configured" in problem["detail"]
    assert await server.engine.store.get(journey_id) == before  # the journey keeps waiting for a retry
