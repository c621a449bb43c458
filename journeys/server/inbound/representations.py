"""JSON bodies of the inbound log: one `InboundDelivery` per logged delivery."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from journeys.server.representations import journey_path, rfc3339
from journeys.store import DeliveryRecord


def _timestamp(value: datetime | None) -> str | None:
    return None if value is None else rfc3339(value)


def delivery_body(item: DeliveryRecord, *, with_body: bool = False) -> dict[str, Any]:
    """A delivery as operators read it; the body (already redacted when stored) only on the single view."""
    body: dict[str, Any] = {
        "deliveryId": item.id,
        "source": item.source,
        "journeyId": item.journey_id,
        "stepId": item.step_id,
        "correlationKey": item.correlation_key,
        "senderDeliveryId": item.delivery_id,
        "verdict": item.verdict,
        "reason": item.reason,
        "status": item.status,
        "receivedAt": _timestamp(item.received_at),
        "processingMs": item.processing_ms,
        "expiresAt": _timestamp(item.expires_at),
        "keyId": item.key_id,
        "contentType": item.content_type,
    }
    if with_body:
        body["body"] = None if item.body is None else orjson.loads(item.body)
    if item.journey_id:
        body["_links"] = {"journey": {"href": journey_path(item.journey_id), "method": "GET"}}
    return body
