"""Body kinds and edge answers of the inbound URLs, over real HTTP against the live server.

Gateways do not all post JSON: PayPal's IPN is a form post, some senders post a bare text line. The journey must
see what they meant (an object of form fields, a string), its schema must judge that, and the inbound log must
keep it redacted. The edges are what a sender's retry logic depends on: a body the server cannot read, one that
is too large, a source that does not exist, secrets that are not configured (500, so the sender tries again).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable
from urllib.parse import urlencode

import orjson

from tests.gateways import razorpay_signature, standard_webhooks_headers
from tests.inbound.wire import (
    FORM,
    JSON,
    TEXT,
    Post,
    deliver,
    deliveries,
    events,
    result,
    send,
    start,
    status_of,
    stored,
)
from tests.support import INBOUND_SECRETS, LiveServer

StartServer = Callable[..., Awaitable[LiveServer]]

IPN_SECRET = INBOUND_SECRETS["fixture-paypal-ipn"][0]["secret"]
TEXT_SECRET = INBOUND_SECRETS["fixture-text"][0]["secret"]
RAZORPAY_SECRET = INBOUND_SECRETS["fixture-razorpay"][0]["secret"]
SW_SECRET = INBOUND_SECRETS["fixture-standard-webhooks"][0]["secret"]


def ipn(fields: list[tuple[str, str]]) -> Post:
    """A PayPal IPN-style form post, signed over its exact form bytes."""
    raw = urlencode(fields).encode()
    signature = hmac.new(IPN_SECRET.encode(), raw, hashlib.sha256).hexdigest()
    return Post(raw, {"Content-Type": f"{FORM}; charset=UTF-8", "X-Ipn-Signature": signature})  # as PayPal posts


def ipn_fields(invoice: str, status: str, track_id: str, gross: str = "12.50") -> list[tuple[str, str]]:
    return [
        ("mc_gross", gross),
        ("invoice", invoice),
        ("protection_eligibility", "Eligible"),
        ("payer_id", "LPLWNMTBWMFAY"),
        ("payment_date", "20:12:59 Jan 13, 2026 PST"),
        ("payment_status", status),
        ("charset", "UTF-8"),
        ("first_name", "Zoë"),
        ("mc_currency", "EUR"),
        ("item_name", "Two coffees & a croissant"),
        ("payer_email", "buyer@example.com"),
        ("txn_id", "61E67681CH3238416"),
        ("ipn_track_id", track_id),
    ]


def razorpay_event(order: str, extra: bytes = b"") -> Post:
    body = orjson.dumps(
        {
            "entity": "event",
            "event": "payment.captured",
            "payload": {"payment": {"entity": {"id": f"pay_{order}", "amount": 1250, "notes": {"orderId": order}}}},
            "padding": extra.decode(),
        }
    )
    return signed_razorpay(body, "evt_" + order)


def signed_razorpay(raw: bytes, event_id: str) -> Post:
    headers = {"X-Razorpay-Signature": razorpay_signature(RAZORPAY_SECRET, raw), "X-Razorpay-Event-Id": event_id}
    return Post(raw, {"Content-Type": JSON, **headers})


def text_line(line: bytes, secret: str | None = TEXT_SECRET) -> Post:
    headers = {"Content-Type": TEXT}
    if secret is not None:
        headers["X-Webhook-Secret"] = secret
    return Post(line, headers)


# -- form-encoded -------------------------------------------------------------------------------------------------


async def test_a_form_post_feeds_the_journey_its_fields_and_is_logged_redacted(server: LiveServer) -> None:
    journey_id = await start(server, "fixture-ipn-order", {"orderId": "inv-1001", "amount": 12.5})

    pending = await deliver(server, "fixture-paypal-ipn", ipn(ipn_fields("inv-1001", "Pending", "a1b2c3")))
    assert (pending.status, pending.verdict) == (200, "applied"), pending.text
    assert (await status_of(server, journey_id))["currentState"] == "waitForIpn"  # Pending keeps it waiting

    # The schema judges the form as an object: a status it does not know names no step, and moves nothing.
    bogus = await deliver(server, "fixture-paypal-ipn", ipn(ipn_fields("inv-1001", "Bogus", "d4e5f6")))
    assert (bogus.status, bogus.verdict) == (200, "unmatched"), bogus.text
    [row] = await deliveries(server, source="fixture-paypal-ipn", verdict="unmatched")
    assert "schema" in row["reason"] and row["correlationKey"] == "inv-1001"
    assert await events(server, journey_id) == ["start", "step"]

    completed = ipn(ipn_fields("inv-1001", "Completed", "0f9e8d"))
    answered = await deliver(server, "fixture-paypal-ipn", completed)
    assert (answered.status, answered.verdict) == (200, "applied"), answered.text
    outcome = await result(server, journey_id)
    assert outcome["phase"] == "Succeeded"
    # The journey's expressions read the form fields, as strings, decoded (the payer is not redacted for it).
    assert outcome["output"] == {
        "status": "PAID",
        "orderId": "inv-1001",
        "gross": "12.50",
        "currency": "EUR",
        "txnId": "61E67681CH3238416",
        "payer": "buyer@example.com",
    }

    # PayPal re-sends an IPN it got no 200 for; the same ipn_track_id is the same message whatever the field order.
    again = await deliver(
        server, "fixture-paypal-ipn", ipn(list(reversed(ipn_fields("inv-1001", "Completed", "0f9e8d"))))
    )
    assert (again.status, again.verdict, again.text) == (200, "duplicate", answered.text)
    assert await events(server, journey_id) == ["start", "step", "step"]

    log = await deliveries(server, journeyId=journey_id)
    assert [item["verdict"] for item in log] == ["duplicate", "applied", "unmatched", "applied"]
    row, text = await stored(server, log[1]["deliveryId"])
    assert row["contentType"] == FORM and row["senderDeliveryId"] == "0f9e8d" and row["keyId"] == "current"
    assert row["body"] == dict(ipn_fields("inv-1001", "Completed", "0f9e8d"), payer_email="[REDACTED]")
    assert "buyer@example.com" not in text and completed.headers["X-Ipn-Signature"] not in text


async def test_a_form_post_on_the_step_url_is_verified_with_the_steps_source(server: LiveServer) -> None:
    journey_id = await start(server, "fixture-ipn-order", {"orderId": "inv-2002", "amount": 30})
    path = f"/api/v1/journeys/{journey_id}/steps/waitForIpn"
    completed = ipn(ipn_fields("inv-2002", "Completed", "step-1", gross="30.00"))

    forged = await send(server, path, completed.with_body(completed.body.replace(b"30.00", b"0.01")))
    assert forged.status == 401 and forged.json()["cause"] == "invalid-signature"
    assert await events(server, journey_id) == ["start"]

    answered = await send(server, path, completed)
    assert (answered.status, answered.verdict) == (200, "applied"), answered.text
    assert answered.json()["phase"] == "Succeeded"
    assert (await result(server, journey_id))["output"]["gross"] == "30.00"
    # A retry of it on the fixed URL is the same delivery (deduplicated in the source's scope).
    again = await deliver(server, "fixture-paypal-ipn", completed)
    assert (again.status, again.verdict) == (200, "duplicate")
    assert await events(server, journey_id) == ["start", "step"]


# -- text/plain ---------------------------------------------------------------------------------------------------


async def test_a_text_plain_line_feeds_the_journey_a_string(server: LiveServer) -> None:
    journey_id = await start(server, "fixture-text-order", {"orderId": "ord-t1"})
    other_id = await start(server, "fixture-text-order", {"orderId": "ord-t2"})

    refused = await deliver(server, "fixture-text", text_line(b"ord-t1:PAID", secret=None))
    assert refused.status == 401 and refused.json()["cause"] == "missing-signature"

    pending = await deliver(server, "fixture-text", text_line(b"ord-t1:PENDING"))
    assert (pending.status, pending.verdict, pending.text) == (202, "applied", "accepted")  # the source's answer
    assert (await status_of(server, journey_id))["currentState"] == "waitForStatus"
    paid = await deliver(server, "fixture-text", text_line(b"ord-t1:PAID"))
    assert (paid.status, paid.verdict, paid.text, paid.content_type) == (202, "applied", "accepted", "text/plain")
    outcome = await result(server, journey_id)
    assert outcome["phase"] == "Succeeded" and outcome["output"]["line"] == "ord-t1:PAID"

    # The webhook's string schema judges the line: an unknown status is kept, unmatched, and moves nothing.
    unknown = await deliver(server, "fixture-text", text_line(b"ord-t2:MAYBE"))
    assert (unknown.status, unknown.verdict) == (202, "unmatched")
    # A line that is not UTF-8 cannot be read as text: verified, kept unmatched, answered 2xx (no use retrying).
    unreadable = await deliver(server, "fixture-text", text_line(b"ord-t2:\xff\xfePAID"))
    assert (unreadable.status, unreadable.verdict) == (202, "unmatched")
    assert await events(server, other_id) == ["start"]

    log = await deliveries(server, source="fixture-text")
    assert [item["verdict"] for item in log] == [
        "unmatched",
        "unmatched",
        "applied",
        "applied",
        "rejected:missing-signature",
    ]
    row, text = await stored(server, log[2]["deliveryId"])
    assert (row["contentType"], row["body"], row["journeyId"]) == ("text/plain", "ord-t1:PAID", journey_id)
    assert TEXT_SECRET not in text
    row, _ = await stored(server, log[0]["deliveryId"])
    assert row["body"] is None and "UTF-8" in row["reason"]


# -- bodies that cannot be read ---------------------------------------------------------------------------------


async def test_malformed_json_is_400_on_a_step_url_and_kept_unmatched_on_a_source_url(server: LiveServer) -> None:
    """A caller of the step URL can fix its request; a gateway cannot fix a body it already sent, so a verified one
    is acknowledged (2xx, or it would be retried forever) and kept for an operator, moving nothing."""
    journey_id = await start(server, "fixture-razorpay-order", {"orderId": "rzp-2"})
    raw = b'{"event": "payment.captured", "payload": {"payment": {"entity": {"notes": {"orderId": "rzp-2"'
    malformed = signed_razorpay(raw, "evt_truncated")

    answered = await send(server, f"/api/v1/journeys/{journey_id}/steps/waitForPayment", malformed)
    assert (answered.status, answered.content_type) == (400, "application/problem+json")
    assert "JSON" in answered.json()["detail"]
    [row] = await deliveries(server, journeyId=journey_id)
    assert (row["verdict"], row["status"], row["stepId"]) == ("rejected:malformed-body", 400, "waitForPayment")

    forged = await deliver(server, "fixture-razorpay", malformed.with_body(raw + b"}}}}}"))
    assert forged.status == 401 and forged.json()["cause"] == "invalid-signature"  # verified before it is read

    answered = await deliver(server, "fixture-razorpay", malformed)
    assert (answered.status, answered.verdict) == (200, "unmatched"), answered.text
    assert answered.json() == {"received": True, "verdict": "unmatched", "deliveryId": answered.delivery_id}
    row, _ = await stored(server, str(answered.delivery_id))
    assert (row["verdict"], row["body"], row["senderDeliveryId"]) == ("unmatched", None, "evt_truncated")
    assert "JSON" in row["reason"]
    again = await deliver(server, "fixture-razorpay", malformed)  # its retry is the same delivery
    assert (again.status, again.verdict, again.text) == (200, "duplicate", answered.text)
    assert await events(server, journey_id) == ["start"]
    assert (await status_of(server, journey_id))["currentState"] == "waitForPayment"


async def test_a_body_over_the_size_limit_is_413_and_changes_nothing(
    start_server: StartServer, database_url: str
) -> None:
    server = await start_server(database_url, max_body_bytes=4096)
    journey_id = await start(server, "fixture-razorpay-order", {"orderId": "rzp-big"})
    huge = razorpay_event("rzp-big", extra=b"x" * 8192)
    assert len(huge.body) > 4096
    for answered in (
        await deliver(server, "fixture-razorpay", huge),
        await send(server, f"/api/v1/journeys/{journey_id}/steps/waitForPayment", huge),
    ):
        assert (answered.status, answered.content_type) == (413, "application/problem+json")
        assert "4096 bytes" in answered.json()["detail"]
    assert await events(server, journey_id) == ["start"]
    small = await deliver(server, "fixture-razorpay", razorpay_event("rzp-big"))  # the limit, not the source, refused
    assert (small.status, small.verdict) == (200, "applied")


# -- sources that cannot answer -------------------------------------------------------------------------------------


async def test_an_unknown_source_is_a_404_problem(server: LiveServer) -> None:
    answered = await deliver(server, "no-such-gateway", Post(b'{"orderId": "x"}', {"Content-Type": JSON}))
    assert (answered.status, answered.content_type) == (404, "application/problem+json")
    problem = answered.json()
    assert problem["type"] == "urn:journeys:problem:inbound-source-not-found"
    assert "no-such-gateway" in problem["detail"]
    assert await deliveries(server) == []


async def test_an_unconfigured_secrets_profile_is_500_until_configured(
    start_server: StartServer, database_url: str
) -> None:
    """Fail closed, and fail with a 5xx: the sender retries, and the retry is applied once the secret is there."""
    server = await start_server(database_url, inbound_secrets={})
    journey_id = await start(server, "fixture-sw-order", {"orderId": "sw-500"})
    now = int(server.clock.now.timestamp())
    raw = orjson.dumps({"type": "order.paid", "data": {"orderId": "sw-500", "amount": 1}})
    post = Post(raw, {"Content-Type": JSON, **standard_webhooks_headers(SW_SECRET, "msg_500", now, raw)})

    answered = await deliver(server, "fixture-standard-webhooks", post)
    assert (answered.status, answered.content_type) == (500, "application/problem+json")
    problem = answered.json()
    assert "fixture-standard-webhooks" in problem["detail"] and SW_SECRET not in answered.text
    assert await events(server, journey_id) == ["start"]
    assert (await status_of(server, journey_id))["currentState"] == "waitForEvent"
    [row] = await deliveries(server, source="fixture-standard-webhooks")
    assert (row["verdict"], row["status"]) == ("rejected:configuration", 500)

    configured = await start_server(database_url)  # the operator adds the secret; the sender's retry arrives
    configured.clock.now = server.clock.now
    retried = await deliver(configured, "fixture-standard-webhooks", post)
    assert (retried.status, retried.verdict) == (200, "applied"), retried.text
    assert (await result(configured, journey_id))["phase"] == "Succeeded"
