"""One inbound delivery while it is handled: its keys (dedupe, correlation), the receipt it ends with, and the
answers senders get."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from journeys.definitions.inbound_model import InboundSource
from journeys.definitions.model import ExternalInputState
from journeys.engine.inbound_messages import (
    COLUMN_WIDTH,
    Answer,
    InboundMessage,
    body_digest,
    header_text,
    lower_headers,
)
from journeys.engine.verification import proof_headers
from journeys.expressions import ExpressionEvaluationError
from journeys.store import DeliveryRecord

APPLIED, DUPLICATE, BUFFERED, LATE, UNMATCHED, EXPIRED = (
    "applied",
    "duplicate",
    "buffered",
    "late",
    "unmatched",
    "expired",
)


@dataclass(frozen=True, slots=True)
class Receipt:
    """How a delivery was handled: its verdict, the answer for its sender, and our log id for it."""

    verdict: str
    answer: Answer
    delivery_id: str


@dataclass(slots=True)
class PendingDelivery:
    """A delivery being handled; becomes exactly one row of the inbound log."""

    id: str
    received_at: datetime
    started: float
    message: InboundMessage
    source: InboundSource | None = None
    payload: Any = None
    stored: str | None = None
    key_id: str | None = None
    sender_id: str | None = None
    dedupe: str | None = None
    journey_id: str | None = None
    step_id: str | None = None
    correlation_key: str | None = None
    logged: str | None = None  # the verdict it was logged with, once it was

    def row(
        self,
        verdict: str,
        answer: Answer,
        *,
        owner: bool = False,
        reason: str | None = None,
        expires_at: datetime | None = None,
    ) -> DeliveryRecord:
        return DeliveryRecord(
            id=self.id,
            verdict=verdict,
            status=answer.status,
            received_at=self.received_at,
            source=None if self.source is None else self.source.name,
            journey_id=self.journey_id,
            step_id=_clip(self.step_id),
            correlation_key=self.correlation_key,
            dedupe_key=self.dedupe if owner else None,
            delivery_id=_clip(self.sender_id),
            reason=None if reason is None else reason.replace("\x00", "\ufffd"),
            answer=answer.stored(),
            content_type=_clip(self.message.media_type or None),
            body=self.stored,
            key_id=_clip(self.key_id),
            processing_ms=round((time.perf_counter() - self.started) * 1000, 3),
            expires_at=expires_at,
        )


def _clip(value: str | None) -> str | None:
    """Values taken from a request (URL, headers) fit their columns: a long one, a NUL (PostgreSQL text refuses
    it) or an undecodable header byte must not fail the write."""
    return None if value is None else header_text(value[:COLUMN_WIDTH]).replace("\x00", "\ufffd")


def delivery_key(d: PendingDelivery, source: InboundSource) -> str:
    """The sender's own id of the delivery (dedupe key): declared, the preset's, or a digest of the bytes."""
    if source.delivery_id is not None:
        try:
            value = _evaluate(source.delivery_id, d.payload, d.message, source)
        except ExpressionEvaluationError:
            value = None  # a delivery without the field is still deduplicated, by its bytes
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value):
            d.sender_id = str(value)
    return d.sender_id or body_digest(d.message.body)


def correlate(payload: Any, message: InboundMessage, source: InboundSource) -> tuple[str | None, str]:
    """The correlation key of a delivery, or None with the reason it has none."""
    try:
        value = _evaluate(source.correlation, payload, message, source)
    except ExpressionEvaluationError as error:
        return None, f"the correlation expression failed: {error}"
    if isinstance(value, bool) or value is None or value == "":
        return None, "the correlation expression gave no key"
    key = value if isinstance(value, str) else orjson.dumps(value).decode()
    if len(key) > COLUMN_WIDTH or "\x00" in key:
        return None, f"the correlation key is longer than {COLUMN_WIDTH} characters or holds a NUL character"
    return key, ""


def _evaluate(expression: Any, payload: Any, message: InboundMessage, source: InboundSource) -> Any:
    """A source expression over the delivery: `payload`, and `context.headers` without the proof headers."""
    return expression.evaluate({"headers": lower_headers(message, proof_headers(source.verify))}, payload, None)


def schema_reason(step: ExternalInputState, errors: list[str]) -> str:
    """Why a delivery does not fit a step, naming only where: schema messages quote the values (redaction)."""
    places = sorted({error.split(":", 1)[0] for error in errors})
    return f"does not match the input schema of step '{step.id}' at {', '.join(places[:5])}"


def problem_answer(status: int, detail: str) -> Answer:
    return Answer(status, "application/problem+json", orjson.dumps({"status": status, "detail": detail}).decode())


def source_answer(source: InboundSource, d: PendingDelivery, verdict: str = APPLIED) -> Answer:
    """The answer a source declares for every 2xx verdict, or our JSON receipt naming the verdict."""
    spec = source.answer
    if spec.body is not None:
        return Answer(spec.status, spec.content_type, spec.body)
    body = {"received": True, "verdict": verdict, "deliveryId": d.id}
    return Answer(spec.status, "application/json", orjson.dumps(body).decode())
