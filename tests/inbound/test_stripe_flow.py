"""The shipped stripe-payment journey fed by Stripe events on its fixed URL, signed exactly as Stripe signs.

Stripe sends every event of the account to one endpoint, retries by event id and puts our order id only in
the PaymentIntent's metadata: the journey must end on the PaymentIntent's outcome, record the rest, and never
let a retry or an event about something else move an order.
"""

from __future__ import annotations

from typing import Any

from tests.inbound.delivery_helpers import (
    history,
    log_page,
    outcome,
    send_stripe,
    start,
    status_of,
    stripe_event,
)
from tests.server.helpers import call
from tests.support import LiveServer


async def start_stripe(server: LiveServer, order_id: str, amount: int = 2500) -> str:
    return await start(server, "stripe-payment", {"orderId": order_id, "amount": amount, "currency": "eur"})


async def test_succeeded_payment_intent_pays_the_order(server: LiveServer) -> None:
    """`payment_intent.succeeded` for the charged amount ends the order paid, naming the PaymentIntent."""
    journey_id = await start_stripe(server, "ord-paid")
    reply = await send_stripe(server, stripe_event("evt_paid", "payment_intent.succeeded", "ord-paid"))
    assert (reply.status, reply.verdict) == (200, "applied")
    assert reply.json() == {"received": True, "verdict": "applied", "deliveryId": reply.delivery_id}
    result = await outcome(server, journey_id)
    assert result["phase"] == "Succeeded"
    assert result["output"] == {
        "status": "PAID",
        "orderId": "ord-paid",
        "amount": 2500,
        "currency": "eur",
        "paymentIntentId": "pi_ord-paid",
    }


async def test_failed_payment_intent_fails_the_order(server: LiveServer) -> None:
    """`payment_intent.payment_failed` (a declined card) fails the order with PAYMENT_FAILED."""
    journey_id = await start_stripe(server, "ord-declined")
    error = {"code": "card_declined", "decline_code": "insufficient_funds"}
    event = stripe_event("evt_declined", "payment_intent.payment_failed", "ord-declined", last_payment_error=error)
    assert (await send_stripe(server, event)).verdict == "applied"
    result = await outcome(server, journey_id)
    assert result["phase"] == "Failed"
    assert result["error"]["code"] == "PAYMENT_FAILED"


async def test_other_events_for_the_order_are_recorded_and_keep_it_waiting(server: LiveServer) -> None:
    """`payment_intent.created` is news, not an outcome: answered 2xx, in the history, journey still waits."""
    journey_id = await start_stripe(server, "ord-created")
    reply = await send_stripe(server, stripe_event("evt_created", "payment_intent.created", "ord-created"))
    assert (reply.status, reply.verdict) == (200, "applied")
    current = await status_of(server, journey_id)
    assert (current["phase"], current["currentState"]) == ("Running", "waitForEvent")
    items = await history(server, journey_id)
    assert [(i["event"], i["toState"]) for i in items] == [("start", "waitForEvent"), ("step", "waitForEvent")]
    assert items[1]["detail"] == {"step": "waitForEvent", "delivery": reply.delivery_id}

    succeeded = await send_stripe(server, stripe_event("evt_created_paid", "payment_intent.succeeded", "ord-created"))
    assert succeeded.verdict == "applied"
    assert (await outcome(server, journey_id))["phase"] == "Succeeded"


async def test_event_without_an_order_is_answered_and_logged_unmatched(server: LiveServer) -> None:
    """A refund event carries no orderId: Stripe still gets 200 (no retry storm) and operators see it."""
    journey_id = await start_stripe(server, "ord-bystander")
    refund: dict[str, Any] = stripe_event("evt_refund", "charge.refunded", None)
    refund["data"]["object"].update({"id": "ch_1", "object": "charge", "refunded": True})
    reply = await send_stripe(server, refund)
    assert (reply.status, reply.verdict) == (200, "unmatched")
    logged = await log_page(server, "verdict=unmatched")
    assert [i["deliveryId"] for i in logged["items"]] == [reply.delivery_id]
    assert logged["items"][0]["senderDeliveryId"] == "evt_refund"
    assert [i["event"] for i in await history(server, journey_id)] == ["start"]


async def test_resent_event_id_is_a_duplicate(server: LiveServer) -> None:
    """Stripe retries an event with the same id (and a fresh signature): it is answered, not applied twice."""
    journey_id = await start_stripe(server, "ord-retry")
    event = stripe_event("evt_retry", "payment_intent.created", "ord-retry")
    first = await send_stripe(server, event)
    server.clock.advance(seconds=90)  # a retry a little later: new timestamp, new signature, same event
    again = await send_stripe(server, event)
    assert (first.verdict, again.verdict) == ("applied", "duplicate")
    assert again.status == first.status == 200
    assert again.text == first.text
    assert [i["event"] for i in await history(server, journey_id)] == ["start", "step"]


async def test_second_journey_for_a_waiting_order_is_refused(server: LiveServer) -> None:
    """Two journeys waiting for one orderId could not both get its events: the second start is refused."""
    first_id = await start_stripe(server, "ord-twice")
    status, problem, content_type = await call(
        server,
        "POST",
        "/api/v1/journeys/stripe-payment/start",
        {"orderId": "ord-twice", "amount": 999, "currency": "eur"},
    )
    assert (status, content_type) == (409, "application/problem+json")
    assert problem["type"].endswith("correlation-key-in-use")
    status, listing, _ = await call(server, "GET", "/api/v1/journeys?journeyName=stripe-payment")
    assert status == 200
    assert [item["journeyId"] for item in listing["items"]] == [first_id]
