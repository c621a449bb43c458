"""Test-side gateway signers: build inbound deliveries exactly as the real payment gateways sign them.

End-to-end tests post these to `/api/v1/inbound/{source}`; `tests/engine/test_verification.py` proves each
signer against the vendor's own verifier where one is installed (standardwebhooks, stripe), so a test that
passes here would pass against the real sender too.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import UTC, datetime
from typing import Any

from standardwebhooks import Webhook

MIDTRANS_SANDBOX_SERVER_KEY = "SB-Mid-server-TEST-journeys-0000"
MIDTRANS_MERCHANT_ID = "G141532850"

# Midtrans answers each transaction status with a fixed status_code in its HTTP notification.
MIDTRANS_STATUS_CODES = {
    "capture": "200",
    "settlement": "200",
    "refund": "200",
    "partial_refund": "200",
    "authorize": "200",
    "pending": "201",
    "deny": "202",
    "cancel": "202",
    "expire": "202",
    "failure": "202",
}


def standard_webhooks_headers(secret: str, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """`webhook-id`, `webhook-timestamp` and `webhook-signature`, signed by the `standardwebhooks` library."""
    signature = Webhook(secret).sign(msg_id, datetime.fromtimestamp(timestamp, tz=UTC), body.decode("utf-8"))
    return {"webhook-id": msg_id, "webhook-timestamp": str(timestamp), "webhook-signature": signature}


def stripe_signature_header(secret: str, body: bytes, timestamp: int) -> str:
    """`Stripe-Signature: t=<ts>,v1=<hex>`: HMAC-SHA256 over `{t}.{body}` keyed with the endpoint secret as is."""
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def midtrans_signature_key(order_id: str, status_code: str, gross_amount: str, server_key: str) -> str:
    """SHA-512 hex of `order_id + status_code + gross_amount + server_key`, as in Midtrans' notification docs."""
    return hashlib.sha512((order_id + status_code + gross_amount + server_key).encode("utf-8")).hexdigest()


def midtrans_notification(
    order_id: str,
    transaction_status: str,
    gross_amount: str = "10000.00",
    server_key: str = MIDTRANS_SANDBOX_SERVER_KEY,
    status_code: str | None = None,
    fraud_status: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A Midtrans HTTP notification body (bank transfer by default) with a valid `signature_key`.

    `status_code` defaults from the transaction status (200 settled/captured, 201 pending, 202 denied,
    cancelled, expired or failed); `extra` adds or overrides unsigned fields (payment_type, va_numbers, ...).
    The transaction id is derived from the order id so repeated notifications of one payment share it, as
    Midtrans' do.
    """
    if status_code is None:
        if transaction_status not in MIDTRANS_STATUS_CODES:
            raise ValueError(f"no default status_code for Midtrans status {transaction_status!r}; pass one")
        status_code = MIDTRANS_STATUS_CODES[transaction_status]
    body: dict[str, Any] = {
        "transaction_time": "2026-01-01 07:00:00",
        "transaction_status": transaction_status,
        "transaction_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"midtrans:{order_id}")),
        "status_message": "midtrans payment notification",
        "status_code": status_code,
        "signature_key": midtrans_signature_key(order_id, status_code, gross_amount, server_key),
        "payment_type": "bank_transfer",
        "order_id": order_id,
        "merchant_id": MIDTRANS_MERCHANT_ID,
        "gross_amount": gross_amount,
        "fraud_status": fraud_status or "accept",
        "currency": "IDR",
    }
    body.update(extra)
    return body


def hub_signature(secret: str, body: bytes, algorithm: str = "sha1") -> str:
    """`X-Hub-Signature` (Digiflazz, GitHub): `<algorithm>=<hex HMAC of the body>`."""
    return f"{algorithm}=" + hmac.new(secret.encode("utf-8"), body, algorithm).hexdigest()


def razorpay_signature(secret: str, body: bytes) -> str:
    """`X-Razorpay-Signature`: hex HMAC-SHA256 of the raw body keyed with the webhook secret."""
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
