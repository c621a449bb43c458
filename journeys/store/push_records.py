"""Plain records of result pushes (`journeys.store.outbox`), exchanged between the engine and the store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

PENDING, DELIVERED, ABANDONED = "pending", "delivered", "abandoned"


@dataclass(frozen=True, slots=True)
class ResultPush:
    """An ended journey's outcome to POST to `url`: the outbox row committed with the advance that ended it.

    `id` is the `webhook-id` every attempt carries, so a receiver recognises a repeat; `body` is the JSON text of
    the JourneyOutcome, exactly the bytes sent and signed.
    """

    id: str
    journey_id: str
    url: str
    body: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class PushAttempt:
    """One delivery attempt: the receiver's status, or (status None) why it gave no answer."""

    at: datetime
    status: int | None
    error: str | None
    duration_ms: float


@dataclass(frozen=True, slots=True)
class ClaimedPush:
    """A due push a worker holds until its lease ends: `claim` guards what the worker writes back."""

    push: ResultPush
    attempts: int
    """Attempts made before this one."""
    claim: str


@dataclass(frozen=True, slots=True)
class PushStatus:
    """A push as an operator or the journey's owner sees it: where it stands and every attempt so far."""

    push: ResultPush
    status: str
    attempts: tuple[PushAttempt, ...]
    next_attempt_at: datetime | None
    finished_at: datetime | None
