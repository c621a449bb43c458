"""HTTP helpers for the inbound end-to-end tests: start the shipped gateway journeys, post signed deliveries
to their fixed URLs exactly as the gateways would, and read what a user reads back (outcome, history, log).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from tests.gateways import hub_signature, midtrans_notification, stripe_signature_header
from tests.server.helpers import call
from tests.support import DIGIFLAZZ_SECRET, MIDTRANS_SERVER_KEY, STRIPE_ENDPOINT_SECRET, LiveServer

INBOUND = "/api/v1/inbound"
DELIVERIES = f"{INBOUND}/deliveries"


@dataclass(frozen=True)
class Reply:
    """One answer of the server, as the sender sees it."""

    status: int
    text: str
    content_type: str
    verdict: str | None
    delivery_id: str | None

    def json(self) -> Any:
        return orjson.loads(self.text)


async def post(server: LiveServer, path: str, raw: bytes, headers: dict[str, str] | None = None) -> Reply:
    """POST raw bytes (what signatures cover) with a JSON content type unless told otherwise."""
    async with server.http.post(
        server.url(path), data=raw, headers={"Content-Type": "application/json", **(headers or {})}
    ) as response:
        return Reply(
            response.status,
            await response.text(),
            response.content_type,
            response.headers.get("Journeys-Delivery-Verdict"),
            response.headers.get("Journeys-Delivery-Id"),
        )


async def start(server: LiveServer, journey: str, body: dict[str, Any]) -> str:
    status, answer, _ = await call(server, "POST", f"/api/v1/journeys/{journey}/start", body)
    assert status == 200, answer
    assert answer["phase"] == "Running", answer
    return str(answer["journeyId"])


async def status_of(server: LiveServer, journey_id: str) -> dict[str, Any]:
    status, body, _ = await call(server, "GET", f"/api/v1/journeys/{journey_id}")
    assert status == 200, body
    return dict(body)


async def outcome(server: LiveServer, journey_id: str) -> dict[str, Any]:
    """The journey's outcome, long-polled (it may be applied by a background inbox drain)."""
    status, body, _ = await call(server, "GET", f"/api/v1/journeys/{journey_id}/result?waitSeconds=5")
    assert status == 200, body
    return dict(body)


async def history(server: LiveServer, journey_id: str) -> list[dict[str, Any]]:
    status, body, _ = await call(server, "GET", f"/api/v1/journeys/{journey_id}/history")
    assert status == 200, body
    return list(body["items"])


async def log_page(server: LiveServer, query: str = "") -> dict[str, Any]:
    status, body, _ = await call(server, "GET", f"{DELIVERIES}?{query}")
    assert status == 200, body
    return dict(body)


# -- Midtrans ------------------------------------------------------------------------------------


async def start_midtrans(server: LiveServer, order_id: str, amount: str = "10000.00") -> str:
    return await start(server, "midtrans-payment", {"orderId": order_id, "grossAmount": amount})


def midtrans(order_id: str, status: str, **extra: Any) -> dict[str, Any]:
    """A notification signed with the server key this test server is configured with."""
    return midtrans_notification(order_id, status, server_key=MIDTRANS_SERVER_KEY, **extra)


async def notify_midtrans(server: LiveServer, notification: dict[str, Any], path: str = f"{INBOUND}/midtrans") -> Reply:
    return await post(server, path, orjson.dumps(notification))


# -- Stripe --------------------------------------------------------------------------------------


def stripe_event(
    event_id: str, event_type: str, order_id: str | None, amount: int = 2500, **object_fields: Any
) -> dict[str, Any]:
    """A Stripe event around a PaymentIntent whose metadata names our order (or no order at all)."""
    metadata = {} if order_id is None else {"orderId": order_id}
    obj: dict[str, Any] = {
        "id": f"pi_{order_id or 'none'}",
        "object": "payment_intent",
        "amount": amount,
        "currency": "eur",
        "client_secret": f"pi_{order_id}_secret_do_not_store",
        "metadata": metadata,
        **object_fields,
    }
    return {
        "id": event_id,
        "object": "event",
        "api_version": "2024-06-20",
        "created": 1767225600,
        "type": event_type,
        "livemode": False,
        "data": {"object": obj},
    }


async def send_stripe(server: LiveServer, event: dict[str, Any]) -> Reply:
    """Signed as Stripe signs, with the server's own (fake) time so the 300 s tolerance holds."""
    raw = orjson.dumps(event)
    timestamp = int(server.clock.now.timestamp())
    signature = stripe_signature_header(STRIPE_ENDPOINT_SECRET, raw, timestamp)
    return await post(server, f"{INBOUND}/stripe", raw, {"Stripe-Signature": signature})


# -- Digiflazz -----------------------------------------------------------------------------------


def digiflazz_callback(ref_id: str, status: str, **fields: Any) -> dict[str, Any]:
    data = {
        "trx_id": f"trx-{ref_id}",
        "ref_id": ref_id,
        "customer_no": "081234567890",
        "buyer_sku_code": "xld10",
        "message": "Transaksi Pending" if status == "Pending" else f"Transaksi {status}",
        "status": status,
        "rc": {"Pending": "03", "Sukses": "00"}.get(status, "02"),
        "sn": "",
        "price": 10275,
        **fields,
    }
    return {"data": data}


async def send_digiflazz(server: LiveServer, callback: dict[str, Any], secret: str = DIGIFLAZZ_SECRET) -> Reply:
    raw = orjson.dumps(callback)
    return await post(server, f"{INBOUND}/digiflazz", raw, {"X-Hub-Signature": hub_signature(secret, raw)})
