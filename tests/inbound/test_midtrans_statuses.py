"""Every Midtrans transaction status through the shipped midtrans-payment journey, over real HTTP.

Midtrans tells a merchant about a payment only through these notifications, so each status must end (or
keep) the journey the way the merchant's order should: paid, declined, cancelled, expired, still open.
"""

from __future__ import annotations

from tests.inbound.delivery_helpers import (
    INBOUND,
    history,
    midtrans,
    notify_midtrans,
    outcome,
    start_midtrans,
    status_of,
)
from tests.support import LiveServer


async def test_settlement_pays_the_order(server: LiveServer) -> None:
    """A settled bank transfer is the money arriving: the journey succeeds with Midtrans' transaction data."""
    journey_id = await start_midtrans(server, "order-settle")
    reply = await notify_midtrans(server, midtrans("order-settle", "settlement"))
    assert (reply.status, reply.text, reply.content_type, reply.verdict) == (200, "OK", "text/plain", "applied")
    result = await outcome(server, journey_id)
    assert result["phase"] == "Succeeded"
    assert result["output"]["status"] == "PAID"
    assert result["output"]["orderId"] == "order-settle"
    assert result["output"]["transactionStatus"] == "settlement"
    assert result["output"]["paymentType"] == "bank_transfer"


async def test_accepted_card_capture_pays_the_order(server: LiveServer) -> None:
    """A card capture that passed the fraud check is final for Midtrans: the order is paid."""
    journey_id = await start_midtrans(server, "order-capture")
    note = midtrans("order-capture", "capture", fraud_status="accept", payment_type="credit_card")
    assert (await notify_midtrans(server, note)).verdict == "applied"
    result = await outcome(server, journey_id)
    assert result["phase"] == "Succeeded"
    assert result["output"]["transactionStatus"] == "capture"
    assert result["output"]["paymentType"] == "credit_card"


async def test_challenged_capture_keeps_waiting_for_the_review(server: LiveServer) -> None:
    """A capture under fraud review is not money yet: the journey waits, and the review's outcome ends it."""
    journey_id = await start_midtrans(server, "order-challenge")
    challenged = midtrans("order-challenge", "capture", fraud_status="challenge", payment_type="credit_card")
    reply = await notify_midtrans(server, challenged)
    assert (reply.status, reply.verdict) == (200, "applied")
    current = await status_of(server, journey_id)
    assert (current["phase"], current["currentState"]) == ("Running", "waitForNotification")
    accepted = midtrans(
        "order-challenge", "settlement", payment_type="credit_card", transaction_time="2026-01-01 08:00:00"
    )
    assert (await notify_midtrans(server, accepted)).verdict == "applied"
    assert (await outcome(server, journey_id))["phase"] == "Succeeded"


FINAL_FAILURES = {
    "deny": "PAYMENT_DECLINED",
    "failure": "PAYMENT_DECLINED",
    "cancel": "PAYMENT_CANCELLED",
    "expire": "PAYMENT_EXPIRED",
}


async def test_final_failures_fail_the_journey(server: LiveServer) -> None:
    """Each unsuccessful final status ends its order with the error code the merchant reacts to."""
    journeys = {status: await start_midtrans(server, f"order-{status}") for status in FINAL_FAILURES}
    for transaction_status, journey_id in journeys.items():
        reply = await notify_midtrans(server, midtrans(f"order-{transaction_status}", transaction_status))
        assert (reply.status, reply.text, reply.verdict) == (200, "OK", "applied"), transaction_status
        result = await outcome(server, journey_id)
        assert result["phase"] == "Failed", transaction_status
        assert result["error"]["code"] == FINAL_FAILURES[transaction_status], transaction_status


async def test_status_updates_then_settlement_then_a_late_settlement(server: LiveServer) -> None:
    """Two different pendings are status updates, settlement ends it, a later notification is only logged."""
    journey_id = await start_midtrans(server, "order-seq")
    first = await notify_midtrans(server, midtrans("order-seq", "pending"))
    second = await notify_midtrans(server, midtrans("order-seq", "pending", transaction_time="2026-01-01 07:05:00"))
    assert [(r.status, r.verdict) for r in (first, second)] == [(200, "applied"), (200, "applied")]
    assert (await status_of(server, journey_id))["currentState"] == "waitForNotification"
    settled = await notify_midtrans(server, midtrans("order-seq", "settlement", transaction_time="2026-01-01 07:10:00"))
    assert (settled.status, settled.verdict) == (200, "applied")
    late = await notify_midtrans(server, midtrans("order-seq", "settlement", transaction_time="2026-01-01 09:00:00"))
    assert (late.status, late.text, late.verdict) == (200, "OK", "late")

    result = await outcome(server, journey_id)
    assert result["phase"] == "Succeeded"
    items = await history(server, journey_id)
    assert [(i["event"], i["toState"], i["phase"]) for i in items] == [
        ("start", "waitForNotification", "Running"),
        ("step", "waitForNotification", "Running"),
        ("step", "waitForNotification", "Running"),
        ("step", "succeeded", "Succeeded"),
    ]
    assert [i["detail"]["delivery"] for i in items[1:]] == [first.delivery_id, second.delivery_id, settled.delivery_id]


async def test_out_of_order_pending_after_settlement_changes_nothing(server: LiveServer) -> None:
    """Midtrans may deliver an older `pending` after the settlement; the paid order must stay paid."""
    journey_id = await start_midtrans(server, "order-ooo")
    assert (await notify_midtrans(server, midtrans("order-ooo", "settlement"))).verdict == "applied"
    before = await history(server, journey_id)
    stale = await notify_midtrans(server, midtrans("order-ooo", "pending", transaction_time="2026-01-01 06:59:00"))
    assert (stale.status, stale.verdict) == (200, "late")
    assert await history(server, journey_id) == before
    result = await outcome(server, journey_id)
    assert (result["phase"], result["output"]["transactionStatus"]) == ("Succeeded", "settlement")


async def test_notification_for_another_amount_fails_the_journey(server: LiveServer) -> None:
    """A genuinely signed settlement of a smaller amount must not mark the order paid."""
    journey_id = await start_midtrans(server, "order-amount", amount="10000.00")
    reply = await notify_midtrans(server, midtrans("order-amount", "settlement", gross_amount="5000.00"))
    assert (reply.status, reply.verdict) == (200, "applied")
    result = await outcome(server, journey_id)
    assert result["phase"] == "Failed"
    assert result["error"]["code"] == "PAYMENT_AMOUNT_MISMATCH"


async def test_no_final_notification_times_out(server: LiveServer) -> None:
    """After the journey's day-long wait with no notification, the order fails instead of hanging forever."""
    journey_id = await start_midtrans(server, "order-silent")
    server.clock.advance(seconds=86401)
    assert await server.engine.fire_due_timers() == 1
    result = await outcome(server, journey_id)
    assert result["phase"] == "Failed"
    assert result["error"]["code"] == "PAYMENT_NOTIFICATION_TIMEOUT"


async def test_pending_update_does_not_extend_the_deadline(server: LiveServer) -> None:
    """A stream of `pending` notifications must not keep an unpaid order open past its deadline."""
    journey_id = await start_midtrans(server, "order-pending-late")
    server.clock.advance(seconds=80000)
    assert (await notify_midtrans(server, midtrans("order-pending-late", "pending"))).verdict == "applied"
    assert await server.engine.fire_due_timers() == 0
    server.clock.advance(seconds=6401)  # t + 86401 s: past the first wait's deadline, not past a renewed one
    assert await server.engine.fire_due_timers() == 1
    result = await outcome(server, journey_id)
    assert result["phase"] == "Failed"
    assert result["error"]["code"] == "PAYMENT_NOTIFICATION_TIMEOUT"
    assert [i["event"] for i in await history(server, journey_id)] == ["start", "step", "timeout"]


async def test_override_url_is_verified_applied_and_shares_the_dedupe_scope(server: LiveServer) -> None:
    """X-Override-Notification points Midtrans at the journey's step URL: same preset, same dedupe scope."""
    journey_id = await start_midtrans(server, "order-override")
    step_url = f"/api/v1/journeys/{journey_id}/steps/waitForNotification"

    forged = midtrans("order-override", "settlement")
    forged["signature_key"] = "0" * 128
    rejected = await notify_midtrans(server, forged, path=step_url)
    assert rejected.status == 401
    assert rejected.json()["cause"] == "invalid-signature"
    assert [i["event"] for i in await history(server, journey_id)] == ["start"]

    settlement = midtrans("order-override", "settlement")
    applied = await notify_midtrans(server, settlement, path=step_url)
    assert (applied.status, applied.verdict) == (200, "applied")
    assert applied.json()["phase"] == "Succeeded"  # the step URL answers the JourneyStatus
    assert (await outcome(server, journey_id))["phase"] == "Succeeded"

    retry = await notify_midtrans(server, settlement)  # the same notification, retried on the fixed URL
    assert (retry.status, retry.verdict) == (200, "duplicate")
    assert (retry.text, retry.content_type) == (applied.text, applied.content_type)
    assert [i["event"] for i in await history(server, journey_id)] == ["start", "step"]


async def test_fixed_url_first_then_override_url_retry_answers_ok(server: LiveServer) -> None:
    """Whichever URL saw the notification first, the retry on the other one is answered `OK` as the first."""
    journey_id = await start_midtrans(server, "order-override-2")
    settlement = midtrans("order-override-2", "settlement")
    first = await notify_midtrans(server, settlement, path=f"{INBOUND}/midtrans")
    assert (first.status, first.text, first.content_type, first.verdict) == (200, "OK", "text/plain", "applied")
    retry = await notify_midtrans(server, settlement, path=f"/api/v1/journeys/{journey_id}/steps/waitForNotification")
    assert (retry.status, retry.text, retry.content_type, retry.verdict) == (200, "OK", "text/plain", "duplicate")
    assert [i["event"] for i in await history(server, journey_id)] == ["start", "step"]
