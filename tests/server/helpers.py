"""Small HTTP helpers shared by the server tests (they speak to a live server, never to handlers)."""

from __future__ import annotations

from typing import Any

from tests.support import WEBHOOK_SECRET, LiveServer

PAYMENT = {"paymentId": "pay-123", "amount": 42.5, "currency": "EUR"}


async def call(
    server: LiveServer, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, Any, str]:
    """Send a request; return (status, parsed JSON body, content type)."""
    kwargs: dict[str, Any] = {"headers": headers or {}}
    if isinstance(body, (bytes, str)):
        kwargs["data"] = body
    elif body is not None:
        kwargs["json"] = body
    async with server.http.request(method, server.url(path), **kwargs) as response:
        payload = await response.json(content_type=None)
        return response.status, payload, response.content_type


async def start_payment(server: LiveServer, payment: dict[str, Any] | None = None) -> str:
    status, body, _ = await call(server, "POST", "/api/v1/journeys/payment-callback/start", payment or PAYMENT)
    assert status == 200, body
    assert body["phase"] == "Running" and body["currentState"] == "waitForCallback"
    return str(body["journeyId"])


async def callback(
    server: LiveServer,
    journey_id: str,
    status: str = "SUCCESS",
    secret: str | None = WEBHOOK_SECRET,
    payment_id: str = "pay-123",
) -> tuple[int, Any, str]:
    headers = {} if secret is None else {"X-Webhook-Secret": secret}
    body = {"paymentId": payment_id, "status": status}
    return await call(server, "POST", f"/api/v1/journeys/{journey_id}/steps/waitForCallback", body, headers)
