"""Records of what an advance writes besides its journey (`side_effects`): cache puts and outbox events."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class CachePut:
    """A value (any JSON) to keep under `key` (the configured prefix included) until `expires_at`."""

    key: str
    value: Any
    stored_at: datetime
    expires_at: datetime
    position: int = 0
    """How many states the run had walked when it made the put: a run cut back to an earlier state drops it."""


@dataclass(frozen=True, slots=True)
class OutboxEvent:
    """A Kafka record to publish: `value` any JSON, `key` a string or None, `headers` strings.

    `event_key` identifies it across re-runs of an advance (journey, committed version, position in the run), so a
    consumer can drop a copy; `connection` is the task's `connectionSecretRef` (None: the default connection).
    """

    id: str
    event_key: str
    journey_id: str
    state: str
    topic: str
    key: str | None
    value: Any
    headers: dict[str, str]
    created_at: datetime
    connection: str | None = None
    published_at: datetime | None = None
    position: int = 0
    """As `CachePut.position` (not stored)."""


@dataclass(slots=True)
class SideEffects:
    """The puts and records of one advance, in the order the run made them."""

    cache_puts: list[CachePut] = field(default_factory=list)
    events: list[OutboxEvent] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.cache_puts or self.events)

    def cut(self, position: int) -> None:
        """Forget what was made at or after `position` (states the run is cut back from, e.g. a schedule clash)."""
        self.cache_puts = [put for put in self.cache_puts if put.position < position]
        self.events = [event for event in self.events if event.position < position]
