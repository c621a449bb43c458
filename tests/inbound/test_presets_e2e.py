"""Every verification preset end to end: gateways post signed deliveries to `/api/v1/inbound/{source}` over HTTP.

For each preset one journey waits for its order while the attacks a gateway URL sees arrive: no signature, a
wrong secret, a tampered body, a signature too old or dated in the future. Each must be refused with the
preset's reject status and a cause, and leave the journey exactly where it was. Then a status update and a retry
of it (for senders with delivery ids, re-signed with a fresh timestamp, so only the id can tell it is a retry):
one transition, the retry answered as the first. The final delivery ends the journey; a second journey is paid
with the secret being rotated out, and the log names that key. Finally the inbound log must show those verdicts
and must not hold any secret, signature or redacted body value.

Deliveries are signed as the gateways sign: Standard Webhooks by the `standardwebhooks` library, Stripe and
Midtrans by `tests.gateways` (cross-checked against the vendors' verifiers in tests/engine/test_verification.py).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from tests.gateways import midtrans_notification, razorpay_signature, standard_webhooks_headers, stripe_signature_header
from tests.inbound.wire import JSON, Post, deliver, deliveries, events, result, start, status_of, stored
from tests.server.helpers import call
from tests.support import INBOUND_SECRETS, LiveServer

Build = Callable[[str, str, str, str, int], Post]  # (order id, status, secret, sender's event id, unix time)

AMOUNT = 10000  # every body carries it; tampering turns it into 99000
TOLERANCE = 300  # seconds: the default of every timestamped preset


def _iso(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, tz=UTC).isoformat()


def _json_post(body: dict[str, Any], headers: dict[str, str]) -> Post:
    return Post(orjson.dumps(body), {"Content-Type": JSON, **headers})


def standard_webhooks(order: str, status: str, secret: str, event_id: str, at: int) -> Post:
    body = {
        "type": f"order.{status}",
        "timestamp": _iso(at),
        "data": {"orderId": order, "amount": AMOUNT, "customer": {"email": f"{order}@example.com"}},
    }
    raw = orjson.dumps(body)
    return Post(raw, {"Content-Type": JSON, **standard_webhooks_headers(secret, event_id, at, raw)})


def stripe(order: str, status: str, secret: str, event_id: str, at: int) -> Post:
    body = {
        "id": event_id,
        "object": "event",
        "created": at,
        "type": f"payment_intent.{status}",
        "data": {
            "object": {
                "id": f"pi_{order}",
                "object": "payment_intent",
                "amount": AMOUNT,
                "currency": "idr",
                "client_secret": f"pi_{order}_secret_DoNotLog",
                "metadata": {"orderId": order},
            }
        },
    }
    raw = orjson.dumps(body)
    return Post(raw, {"Content-Type": JSON, "Stripe-Signature": stripe_signature_header(secret, raw, at)})


def xendit(order: str, status: str, secret: str, event_id: str, at: int) -> Post:
    body = {
        "id": f"inv-{order}",
        "external_id": order,
        "status": status,
        "amount": AMOUNT,
        "payer_email": f"{order}@example.com",
        "updated": _iso(at),
    }
    return _json_post(body, {"x-callback-token": secret})


def shared_secret(order: str, status: str, secret: str, event_id: str, at: int) -> Post:
    body = {"orderId": order, "status": status, "amount": AMOUNT, "card": {"number": "4111111111111111"}, "sentAt": at}
    return _json_post(body, {"X-Webhook-Secret": secret})


def razorpay(order: str, status: str, secret: str, event_id: str, at: int) -> Post:
    entity = {
        "id": f"pay_{order}",
        "entity": "payment",
        "amount": AMOUNT,
        "currency": "INR",
        "email": f"{order}@example.com",
        "contact": "+919876543210",
        "notes": {"orderId": order},
    }
    body = {
        "entity": "event",
        "event": f"payment.{status}",
        "contains": ["payment"],
        "payload": {"payment": {"entity": entity}},
        "created_at": at,
    }
    raw = orjson.dumps(body)
    headers = {"X-Razorpay-Signature": razorpay_signature(secret, raw), "X-Razorpay-Event-Id": event_id}
    return Post(raw, {"Content-Type": JSON, **headers})


def signed_hmac_headers(secret: str, raw: bytes, at: int) -> dict[str, str]:
    """`X-Signature: sha256=<base64 HMAC-SHA256 of "{X-Timestamp}.{body}">`, as fixture-signed-hmac declares."""
    digest = hmac.new(secret.encode(), f"{at}.".encode() + raw, hashlib.sha256).digest()
    return {"X-Timestamp": str(at), "X-Signature": "sha256=" + base64.b64encode(digest).decode()}


def signed_hmac(order: str, status: str, secret: str, event_id: str, at: int) -> Post:
    body = {
        "eventId": event_id,
        "orderId": order,
        "status": status,
        "amount": AMOUNT,
        "customer": {"email": f"{order}@example.com"},
        "sentAt": at,
    }
    raw = orjson.dumps(body)
    return Post(raw, {"Content-Type": JSON, **signed_hmac_headers(secret, raw, at)})


def midtrans(order: str, status: str, secret: str, event_id: str, at: int) -> Post:
    """Midtrans signs inside the body (`signature_key`); it has no delivery id and no timestamp to check."""
    return _json_post(midtrans_notification(order, status, gross_amount=f"{AMOUNT}.00", server_key=secret), {})


def _unsigned_midtrans(post: Post) -> Post:
    body = orjson.loads(post.body)
    del body["signature_key"]
    return post.with_body(orjson.dumps(body))


@dataclass(frozen=True)
class Preset:
    """A fixture source and journey for one preset, and how its gateway builds and signs a delivery."""

    id: str
    source: str
    journey: str
    state: str
    build: Build
    statuses: tuple[str, str]  # (a status that keeps the journey waiting, the final one)
    wrong_secret: str
    proof_headers: tuple[str, ...] = ()  # the headers carrying the proof; empty when it is in the body
    signs_body: bool = True
    timestamped: bool = False
    sender_ids: bool = False  # deduplicated by the sender's own delivery id rather than the body bytes
    reject_status: int = 401
    redacted: tuple[tuple[str, ...], ...] = ()  # the body paths the source redacts in the log
    start_input: Callable[[str], dict[str, Any]] = lambda order: {"orderId": order}

    @property
    def secrets(self) -> list[dict[str, str]]:
        """The source's secrets profile (each source names the profile after itself): current, then previous."""
        return INBOUND_SECRETS[self.source]

    def unsigned(self, post: Post) -> Post:
        return post.without(*self.proof_headers) if self.proof_headers else _unsigned_midtrans(post)

    def proofs(self, post: Post) -> list[str]:
        """The values a delivery presents as proof: none of them may ever be stored."""
        if not self.proof_headers:
            return [str(orjson.loads(post.body).get("signature_key", ""))]
        values = [post.headers[name] for name in self.proof_headers if name in post.headers]
        # the signatures themselves, without the scheme's framing (`v1,<base64>`, `t=<ts>,v1=<hex>`, `sha256=`)
        for entry in post.headers.get("webhook-signature", "").split():
            values.append(entry.partition(",")[2])
        for item in post.headers.get("Stripe-Signature", "").split(","):
            name, _, value = item.partition("=")
            if name == "v1":
                values.append(value)
        values += [value.removeprefix("sha256=") for value in values]
        return values


PRESETS = [
    Preset(
        "standard-webhooks",
        "fixture-standard-webhooks",
        "fixture-sw-order",
        "waitForEvent",
        standard_webhooks,
        ("pending", "paid"),
        "whsec_Zml4dHVyZS1zdGFuZGFyZC13ZWJob29rcy13cm9uZyE=",
        proof_headers=("webhook-signature",),
        timestamped=True,
        sender_ids=True,
        redacted=(("data", "customer", "email"),),
    ),
    Preset(
        "stripe",
        "fixture-stripe",
        "fixture-stripe-order",
        "waitForEvent",
        stripe,
        ("processing", "succeeded"),
        "whsec_fixture_stripe_wrong",
        proof_headers=("Stripe-Signature",),
        timestamped=True,
        sender_ids=True,
        redacted=(("data", "object", "client_secret"),),
    ),
    Preset(
        "midtrans",
        "midtrans",
        "midtrans-payment",
        "waitForNotification",
        midtrans,
        ("pending", "settlement"),
        "SB-Mid-server-not-ours",
        redacted=(("signature_key",),),
        start_input=lambda order: {"orderId": order, "grossAmount": f"{AMOUNT}.00"},
    ),
    Preset(
        "token",
        "fixture-xendit",
        "fixture-xendit-invoice",
        "waitForCallback",
        xendit,
        ("PENDING", "PAID"),
        "fixture-xendit-callback-token-wrong",
        proof_headers=("x-callback-token",),
        signs_body=False,
        reject_status=403,
        redacted=(("payer_email",),),
    ),
    Preset(
        "shared-secret",
        "fixture-shared-secret",
        "fixture-shared-secret-order",
        "waitForCallback",
        shared_secret,
        ("PENDING", "SUCCESS"),
        "fixture-shared-secret-wrong",
        proof_headers=("X-Webhook-Secret",),
        signs_body=False,
        redacted=(("card", "number"),),
    ),
    Preset(
        "hmac-razorpay",
        "fixture-razorpay",
        "fixture-razorpay-order",
        "waitForPayment",
        razorpay,
        ("authorized", "captured"),
        "fixture-razorpay-webhook-secret-wrong",
        proof_headers=("X-Razorpay-Signature",),
        sender_ids=True,
        redacted=(("payload", "payment", "entity", "email"), ("payload", "payment", "entity", "contact")),
    ),
    Preset(
        "hmac-timestamped",
        "fixture-signed-hmac",
        "fixture-signed-hmac-order",
        "waitForEvent",
        signed_hmac,
        ("pending", "paid"),
        "fixture-signed-hmac-wrong",
        proof_headers=("X-Signature",),
        timestamped=True,
        sender_ids=True,
        redacted=(("customer", "email"),),
    ),
]


def _at(body: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        body = body[part]
    return body


def _find(body: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        body = body.get(part) if isinstance(body, dict) else None
    return body


def tampered(post: Post) -> Post:
    """The amount changed in the bytes, the proof left as it was."""
    body = post.body.replace(str(AMOUNT).encode(), b"99000")
    assert body != post.body
    return post.with_body(body)


@pytest.mark.parametrize("preset", PRESETS, ids=lambda preset: preset.id)
async def test_a_preset_applies_what_its_gateway_signs_and_refuses_everything_else(
    server: LiveServer, preset: Preset
) -> None:
    current, previous = preset.secrets[0]["secret"], preset.secrets[1]["secret"]
    assert (preset.secrets[0]["id"], preset.secrets[1]["id"]) == ("current", "previous")
    pending, final = preset.statuses
    now = int(server.clock.now.timestamp())
    order = f"{preset.id}-order-1"
    journey_id = await start(server, preset.journey, preset.start_input(order))
    sent: list[Post] = []

    def build(status: str, *, secret: str = current, event_id: str = "evt-final", at: int = now) -> Post:
        post = preset.build(order, status, secret, event_id, at)
        sent.append(post)
        return post

    # -- refused: each one answered with the preset's reject status and a cause, the journey untouched ----------
    # They carry the final delivery's event id: a refused delivery must not take the id from the genuine one.
    refused: Counter[str] = Counter()

    async def refuse(post: Post, cause: str) -> None:
        answered = await deliver(server, preset.source, post)
        assert answered.status == preset.reject_status, (cause, answered.text)
        assert answered.content_type == "application/problem+json"
        assert answered.json()["cause"] == cause, answered.text
        refused[f"rejected:{cause}"] += 1
        sent.append(post)

    signed = build(final)
    await refuse(preset.unsigned(signed), "missing-signature")
    await refuse(build(final, secret=preset.wrong_secret), "invalid-signature")
    if preset.signs_body:
        await refuse(tampered(signed), "invalid-signature")
    if preset.timestamped:
        await refuse(build(final, at=now - TOLERANCE - 1), "stale-timestamp")
        await refuse(build(final, at=now + TOLERANCE + 1), "stale-timestamp")
    assert await events(server, journey_id) == ["start"]
    waiting = await status_of(server, journey_id)
    assert (waiting["phase"], waiting["currentState"]) == ("Running", preset.state)

    # -- a status update, then a retry of it: one transition, the retry answered exactly as the first ---------
    update = build(pending, event_id="evt-update")
    first = await deliver(server, preset.source, update)
    assert (first.status, first.verdict) == (200, "applied"), first.text
    server.clock.advance(seconds=60)
    if preset.sender_ids:  # the sender retries with a fresh timestamp and signature: other bytes, same id
        retry = build(pending, event_id="evt-update", at=now + 60)
        assert retry.body != update.body and retry.headers != update.headers
    else:  # without delivery ids a retry is recognised by its bytes
        retry = update
    again = await deliver(server, preset.source, retry)
    assert (again.status, again.verdict, again.text) == (200, "duplicate", first.text)
    assert again.delivery_id != first.delivery_id  # the retry has its own log row
    assert await events(server, journey_id) == ["start", "step"]
    waiting = await status_of(server, journey_id)
    assert (waiting["phase"], waiting["currentState"]) == ("Running", preset.state)

    # -- the final delivery ends the journey ----------------------------------------------------------------------
    final_post = build(final, at=now + 60)
    answered = await deliver(server, preset.source, final_post)
    assert (answered.status, answered.verdict) == (200, "applied"), answered.text
    outcome = await result(server, journey_id)
    assert (outcome["phase"], outcome["output"]["status"]) == ("Succeeded", "PAID"), outcome
    assert await events(server, journey_id) == ["start", "step", "step"]

    # -- rotation: a delivery signed with the second configured secret is accepted, and the log says which ------
    rotated_order = f"{preset.id}-order-2"
    rotated_id = await start(server, preset.journey, preset.start_input(rotated_order))
    rotated = preset.build(rotated_order, final, previous, "evt-rotated", now + 60)
    sent.append(rotated)
    answered = await deliver(server, preset.source, rotated)
    assert (answered.status, answered.verdict) == (200, "applied"), answered.text
    assert (await result(server, rotated_id))["phase"] == "Succeeded"

    # -- the inbound log ------------------------------------------------------------------------------------------
    log = await deliveries(server, journeyId=journey_id)
    assert [(item["verdict"], item["keyId"]) for item in log] == [
        ("applied", "current"),
        ("duplicate", "current"),
        ("applied", "current"),
    ]
    assert all(item["source"] == preset.source and item["correlationKey"] == order for item in log)
    assert log[1]["reason"] and log[2]["deliveryId"] in log[1]["reason"]  # the retry names the first delivery
    if preset.sender_ids:
        assert log[1]["senderDeliveryId"] == log[2]["senderDeliveryId"] == "evt-update"
    assert [(item["verdict"], item["keyId"]) for item in await deliveries(server, journeyId=rotated_id)] == [
        ("applied", "previous")
    ]
    everything = await deliveries(server, source=preset.source)
    rejections = [item for item in everything if item["verdict"].startswith("rejected:")]
    assert Counter(item["verdict"] for item in rejections) == refused
    assert all(item["journeyId"] is None and item["status"] == preset.reject_status for item in rejections)
    assert len(everything) == len(rejections) + 4
    for cause in {verdict.removeprefix("rejected:") for verdict in refused}:
        filtered = await deliveries(server, source=preset.source, verdict=f"rejected:{cause}")
        assert len(filtered) == refused[f"rejected:{cause}"]
    status, stats, _ = await call(server, "GET", "/api/v1/inbound/stats")
    assert status == 200, stats
    day = stats["sources"][preset.source]["24h"]
    assert day["verdicts"] == {"applied": 3, "duplicate": 1, **refused}
    assert (day["total"], day["successRate"]) == (len(everything), round(4 / len(everything), 4))

    # -- nothing stored holds a secret, a presented proof or a redacted value --------------------------------------
    forbidden = {secret["secret"] for secret in preset.secrets} | {preset.wrong_secret}
    for post in sent:
        forbidden.update(preset.proofs(post))
        forbidden.update(str(_find(orjson.loads(post.body), path) or "") for path in preset.redacted)
    forbidden.discard("")
    for item in everything:
        row, text = await stored(server, item["deliveryId"])
        leaked = [value for value in forbidden if value in text]
        assert not leaked, (item["verdict"], leaked)
        if item["verdict"].startswith("rejected:"):
            assert row["body"] is None  # an unverified body is not evidence and is not kept
        elif item["verdict"] != "duplicate" or row["body"] is not None:  # a retry may point at the first's body
            assert all(_at(row["body"], path) == "[REDACTED]" for path in preset.redacted), row["body"]
    applied_row, _ = await stored(server, log[0]["deliveryId"])
    expected = orjson.loads(final_post.body)  # the body as sent, with only the redacted field replaced
    for path in preset.redacted:
        _at(expected, path[:-1])[path[-1]] = "[REDACTED]"
    assert (applied_row["contentType"], applied_row["body"]) == (JSON, expected)
