"""The inbox of early deliveries and the inbound log API, end to end over real HTTP.

Gateways do not wait for our start to commit: a notification may come before its journey exists, and an
operator must be able to see, page, count and replay every delivery the server received.
"""

from __future__ import annotations

from typing import Any

from tests.inbound.delivery_helpers import (
    DELIVERIES,
    history,
    log_page,
    midtrans,
    notify_midtrans,
    outcome,
    send_stripe,
    start,
    start_midtrans,
    status_of,
    stripe_event,
)
from tests.server.helpers import call
from tests.support import LiveServer

INBOX_TTL = 86400


async def delivery(server: LiveServer, delivery_id: str) -> dict[str, Any]:
    status, body, _ = await call(server, "GET", f"{DELIVERIES}/{delivery_id}")
    assert status == 200, body
    return dict(body)


async def replay(server: LiveServer, delivery_id: str) -> tuple[int, Any, str]:
    return await call(server, "POST", f"{DELIVERIES}/{delivery_id}/replay")


# -- the inbox ------------------------------------------------------------------------------------


async def test_early_delivery_is_buffered_then_applied_when_the_journey_starts(server: LiveServer) -> None:
    """A settlement that overtakes our start is kept, then pays the order the moment its journey waits."""
    early = await notify_midtrans(server, midtrans("early-1", "settlement"))
    assert (early.status, early.text, early.verdict) == (200, "OK", "buffered")
    kept = await delivery(server, str(early.delivery_id))
    assert (kept["verdict"], kept["correlationKey"], kept["journeyId"]) == ("buffered", "early-1", None)
    assert kept["expiresAt"] == "2026-01-02T00:00:00Z"  # received at the fake clock's now + inbox.ttlSec

    journey_id = await start_midtrans(server, "early-1")
    result = await outcome(server, journey_id)
    assert (result["phase"], result["output"]["transactionStatus"]) == ("Succeeded", "settlement")
    applied = await delivery(server, str(early.delivery_id))
    assert (applied["verdict"], applied["journeyId"]) == ("applied", journey_id)


async def test_early_deliveries_are_applied_in_arrival_order(server: LiveServer) -> None:
    """A buffered pending then a buffered settlement: applied oldest first, so the order ends paid."""
    pending = await notify_midtrans(server, midtrans("early-2", "pending"))
    settlement = await notify_midtrans(server, midtrans("early-2", "settlement"))
    assert (pending.verdict, settlement.verdict) == ("buffered", "buffered")

    journey_id = await start_midtrans(server, "early-2")
    result = await outcome(server, journey_id)
    assert (result["phase"], result["output"]["transactionStatus"]) == ("Succeeded", "settlement")
    items = await history(server, journey_id)
    assert [(i["event"], i["toState"]) for i in items] == [
        ("start", "waitForNotification"),
        ("step", "waitForNotification"),
        ("step", "succeeded"),
    ]
    assert [i["detail"]["delivery"] for i in items[1:]] == [pending.delivery_id, settlement.delivery_id]


async def test_buffered_delivery_expires_and_a_replay_applies_it(server: LiveServer) -> None:
    """Past the inbox TTL an early delivery is no longer applied on its own; an operator's replay applies it."""
    early = await notify_midtrans(server, midtrans("early-3", "settlement"))
    assert early.verdict == "buffered"
    server.clock.advance(seconds=INBOX_TTL + 1)
    await server.engine.inbound.sweep()
    expired = await log_page(server, "verdict=expired")
    assert [(i["deliveryId"], i["verdict"]) for i in expired["items"]] == [(early.delivery_id, "expired")]

    journey_id = await start_midtrans(server, "early-3")
    await server.engine.drain()  # let any inbox run the start triggered finish before looking
    current = await status_of(server, journey_id)
    assert (current["phase"], current["currentState"]) == ("Running", "waitForNotification")
    assert [i["event"] for i in await history(server, journey_id)] == ["start"]

    status, replayed, _ = await replay(server, str(early.delivery_id))
    assert status == 200, replayed
    assert (replayed["verdict"], replayed["journeyId"]) == ("applied", journey_id)
    result = await outcome(server, journey_id)
    assert result["phase"] == "Succeeded"
    assert [i["detail"] for i in await history(server, journey_id)][1] == {
        "step": "waitForNotification",
        "delivery": early.delivery_id,
    }


async def test_replay_refusals(server: LiveServer) -> None:
    """Replay is for deliveries that found no journey: one without a key, an applied one or none is refused."""
    refund: dict[str, Any] = stripe_event("evt_no_order", "charge.refunded", None)
    unmatched = await send_stripe(server, refund)
    assert unmatched.verdict == "unmatched"
    status, problem, content_type = await replay(server, str(unmatched.delivery_id))
    assert (status, content_type) == (409, "application/problem+json")
    assert problem["type"].endswith("delivery-not-replayable")
    assert (await delivery(server, str(unmatched.delivery_id)))["verdict"] == "unmatched"

    journey_id = await start(server, "stripe-payment", {"orderId": "ord-r", "amount": 2500, "currency": "eur"})
    applied = await send_stripe(server, stripe_event("evt_r", "payment_intent.created", "ord-r"))
    assert applied.verdict == "applied"
    status, problem, content_type = await replay(server, str(applied.delivery_id))
    assert (status, content_type) == (409, "application/problem+json")
    assert problem["type"].endswith("delivery-not-replayable")
    assert [i["event"] for i in await history(server, journey_id)] == ["start", "step"]

    status, problem, content_type = await replay(server, "no-such-delivery")
    assert (status, content_type) == (404, "application/problem+json")
    assert problem["type"].endswith("delivery-not-found")


# -- the log API ----------------------------------------------------------------------------------


async def test_log_filters_and_pages(server: LiveServer) -> None:
    """Operators find deliveries by source, verdict and journey, and page through every one of them once."""
    order_journey = await start_midtrans(server, "log-1")
    sent: list[str] = []

    async def midtrans_delivery(note: dict[str, Any]) -> str | None:
        server.clock.advance(seconds=1)  # distinct arrival times: newest first is then unambiguous
        reply = await notify_midtrans(server, note)
        assert reply.delivery_id is not None
        sent.append(reply.delivery_id)
        return reply.verdict

    assert await midtrans_delivery(midtrans("log-1", "pending")) == "applied"
    assert await midtrans_delivery(midtrans("log-1", "pending")) == "duplicate"
    forged = midtrans("log-1", "settlement")
    forged["signature_key"] = "f" * 128
    server.clock.advance(seconds=1)
    rejected = await notify_midtrans(server, forged)
    assert rejected.status == 401
    assert await midtrans_delivery(midtrans("log-1", "settlement")) == "applied"
    server.clock.advance(seconds=1)
    stripe_journey = await start(server, "stripe-payment", {"orderId": "log-2", "amount": 2500, "currency": "eur"})
    stripe = await send_stripe(server, stripe_event("evt_log", "payment_intent.created", "log-2"))
    assert stripe.verdict == "applied" and stripe.delivery_id is not None
    sent.append(stripe.delivery_id)

    by_source = await log_page(server, "source=stripe")
    assert [(i["deliveryId"], i["journeyId"]) for i in by_source["items"]] == [(stripe.delivery_id, stripe_journey)]
    by_verdict = await log_page(server, "verdict=duplicate")
    assert [(i["deliveryId"], i["journeyId"]) for i in by_verdict["items"]] == [(sent[1], order_journey)]
    by_journey = await log_page(server, f"journeyId={order_journey}")
    assert [i["deliveryId"] for i in by_journey["items"]] == [sent[2], sent[1], sent[0]]
    assert all(i["source"] == "midtrans" for i in by_journey["items"])

    stored = await delivery(server, sent[0])
    assert stored["body"]["transaction_status"] == "pending"
    assert stored["body"]["signature_key"] == "[REDACTED]"

    seen: list[str] = []
    query = "limit=2"
    for _ in range(10):
        page = await log_page(server, query)
        assert len(page["items"]) <= 2
        seen.extend(i["deliveryId"] for i in page["items"])
        if page["nextPageToken"] is None:
            break
        query = f"limit=2&pageToken={page['nextPageToken']}"
    refused = await log_page(server, "verdict=rejected:invalid-signature")
    assert [(i["source"], i["status"]) for i in refused["items"]] == [("midtrans", 401)]
    newest_first = [stripe.delivery_id, sent[2], refused["items"][0]["deliveryId"], sent[1], sent[0]]
    assert seen == newest_first

    for bad in ("verdict=accepted", "pageToken=not-a-token", "limit=0"):
        status, problem, content_type = await call(server, "GET", f"{DELIVERIES}?{bad}")
        assert (status, content_type) == (400, "application/problem+json"), bad
        assert problem["status"] == 400 and problem["detail"], bad


async def test_stats_count_per_source_and_verdict(server: LiveServer) -> None:
    """The stats tell an operator how each gateway is doing: verdict counts, 2xx rate, processing time."""
    await start_midtrans(server, "stats-1")
    await start(server, "stripe-payment", {"orderId": "stats-2", "amount": 2500, "currency": "eur"})
    pending = midtrans("stats-1", "pending")
    forged = midtrans("stats-1", "settlement")
    forged["signature_key"] = "e" * 128
    replies = [
        await notify_midtrans(server, pending),
        await notify_midtrans(server, pending),
        await notify_midtrans(server, forged),
        await notify_midtrans(server, midtrans("stats-1", "settlement")),
        await send_stripe(server, stripe_event("evt_stats", "payment_intent.created", "stats-2")),
    ]
    assert [r.status for r in replies] == [200, 200, 401, 200, 200]

    status, stats, _ = await call(server, "GET", "/api/v1/inbound/stats")
    assert status == 200, stats
    window = stats["sources"]["midtrans"]["5m"]
    assert window["total"] == 4
    assert window["verdicts"] == {"applied": 2, "duplicate": 1, "rejected:invalid-signature": 1}
    assert window["successRate"] == 0.75
    assert set(window["processingMs"]) == {"p50", "p95", "p99"}
    assert all(isinstance(value, float | int) for value in window["processingMs"].values())
    assert stats["sources"]["stripe"]["5m"]["verdicts"] == {"applied": 1}
