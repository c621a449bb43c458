"""The shipped midtrans-payment journey fed over its fixed URL, signed exactly as Midtrans signs."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson

from tests.gateways import midtrans_notification
from tests.server.helpers import call
from tests.support import MIDTRANS_SERVER_KEY, LiveServer

INBOUND = "/api/v1/inbound/midtrans"


async def start(server: LiveServer, order_id: str, amount: str = "10000.00") -> str:
    status, body, _ = await call(
        server, "POST", "/api/v1/journeys/midtrans-payment/start", {"orderId": order_id, "grossAmount": amount}
    )
    assert status == 200, body
    return str(body["journeyId"])


async def notify(server: LiveServer, notification: dict[str, Any]) -> tuple[int, str, dict[str, str]]:
    raw = orjson.dumps(notification)
    async with server.http.post(
        server.url(INBOUND), data=raw, headers={"Content-Type": "application/json"}
    ) as response:
        return response.status, await response.text(), dict(response.headers)


def note(order_id: str, status: str, **extra: Any) -> dict[str, Any]:
    return midtrans_notification(order_id, status, server_key=MIDTRANS_SERVER_KEY, **extra)


async def test_pending_then_settlement_then_late_ones(server: LiveServer) -> None:
    journey_id = await start(server, "order-1")
    status, text, headers = await notify(server, note("order-1", "pending"))
    assert (status, text, headers["Journeys-Delivery-Verdict"]) == (200, "OK", "applied")
    _, body, _ = await call(server, "GET", f"/api/v1/journeys/{journey_id}")
    assert body["phase"] == "Running" and body["currentState"] == "waitForNotification"
    settlement = note("order-1", "settlement")
    assert (await notify(server, settlement))[:2] == (200, "OK")
    status, _, headers = await notify(server, settlement)  # Midtrans sends it again
    assert status == 200 and headers["Journeys-Delivery-Verdict"] == "duplicate"
    status, _, headers = await notify(server, note("order-1", "pending", transaction_time="2026-01-01 10:00:09"))
    assert status == 200 and headers["Journeys-Delivery-Verdict"] == "late"
    _, outcome, _ = await call(server, "GET", f"/api/v1/journeys/{journey_id}/result")
    assert outcome["phase"] == "Succeeded" and outcome["output"]["transactionStatus"] == "settlement"
    history = await server.engine.store.history(journey_id)
    assert [t.event for t in history] == ["start", "step", "step"]


async def test_forged_notification_is_401_and_changes_nothing(server: LiveServer) -> None:
    journey_id = await start(server, "order-2")
    forged = note("order-2", "settlement")
    forged["signature_key"] = "0" * 128
    status, text, _ = await notify(server, forged)
    assert status == 401 and "invalid-signature" in text
    assert [t.event for t in await server.engine.store.history(journey_id)] == ["start"]


async def test_early_notification_waits_in_the_inbox(server: LiveServer) -> None:
    status, _, headers = await notify(server, note("order-3", "settlement"))
    assert status == 200 and headers["Journeys-Delivery-Verdict"] == "buffered"
    journey_id = await start(server, "order-3")
    _, outcome, _ = await call(server, "GET", f"/api/v1/journeys/{journey_id}/result?waitSeconds=5")
    assert outcome["phase"] == "Succeeded"


async def test_racing_duplicates_apply_once(server: LiveServer) -> None:
    journey_id = await start(server, "order-4")
    settlement = note("order-4", "settlement")
    results = await asyncio.gather(*(notify(server, settlement) for _ in range(32)))
    verdicts = sorted(headers["Journeys-Delivery-Verdict"] for _, _, headers in results)
    assert all(status == 200 for status, _, _ in results)
    assert verdicts.count("applied") == 1 and verdicts.count("duplicate") == 31, verdicts
    assert [t.event for t in await server.engine.store.history(journey_id)] == ["start", "step"]


async def test_the_log_resources_are_not_sources(server: LiveServer) -> None:
    for resource in ("deliveries", "stats"):
        async with server.http.post(server.url(f"/api/v1/inbound/{resource}"), data=b"{}") as response:
            assert response.status == 405 and "POST" not in response.headers["Allow"]


async def test_a_status_whose_signed_code_disagrees_does_not_count(server: LiveServer) -> None:
    """Midtrans signs status_code, not transaction_status: a captured `pending` (201) edited to say
    `settlement` still verifies, and must not pay the order."""
    journey_id = await start(server, "order-edited")
    edited = note("order-edited", "settlement", status_code="201")
    status, _, headers = await notify(server, edited)
    assert status == 200 and headers["Journeys-Delivery-Verdict"] == "applied"
    _, body, _ = await call(server, "GET", f"/api/v1/journeys/{journey_id}")
    assert body["phase"] == "Running" and body["currentState"] == "waitForNotification"


async def test_a_notification_on_another_journeys_step_url_goes_to_its_own_journey(server: LiveServer) -> None:
    """The step URL of a sourced step verifies, then follows the delivery's key: order B's settlement posted
    to journey A's URL must pay B, never A."""
    journey_a = await start(server, "order-a")
    journey_b = await start(server, "order-b")
    raw = orjson.dumps(note("order-b", "settlement"))
    url = server.url(f"/api/v1/journeys/{journey_a}/steps/waitForNotification")
    async with server.http.post(url, data=raw, headers={"Content-Type": "application/json"}) as response:
        assert response.status == 200 and response.headers["Journeys-Delivery-Verdict"] == "applied"
    _, outcome, _ = await call(server, "GET", f"/api/v1/journeys/{journey_b}/result")
    assert outcome["phase"] == "Succeeded"
    _, status_a, _ = await call(server, "GET", f"/api/v1/journeys/{journey_a}")
    assert status_a["phase"] == "Running"


async def test_nul_characters_are_refused_or_matched_with_nothing(server: LiveServer) -> None:
    """PostgreSQL text cannot hold NUL: such input must get a clear answer, never a 500."""
    status, problem, _ = await call(server, "GET", "/api/v1/inbound/deliveries?journeyId=%00x")
    assert status == 400 and "NUL" in problem["detail"]
    assert (await call(server, "GET", "/api/v1/inbound/deliveries/%00x"))[0] == 404
    assert (await call(server, "POST", "/api/v1/journeys/%00x/steps/waitForNotification", {}))[0] == 404
    status, _, headers = await notify(server, note("order\x00nul", "settlement"))
    assert status == 200 and headers["Journeys-Delivery-Verdict"] == "unmatched"
