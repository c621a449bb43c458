"""Plain records exchanged between the engine and the store (no SQL types leak upwards)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from journeys.store.effect_records import SideEffects
from journeys.store.push_records import ResultPush

if TYPE_CHECKING:
    from journeys.store.schedules import ScheduleRequest
    from journeys.store.subjourneys import LineageWrites

TIMER_KINDS = ("timer", "step-timeout", "deadline", "retry")


@dataclass(slots=True, frozen=True)
class Timer:
    """A durable timer of a journey: one per kind at a time (`TIMER_KINDS`), fired once by the scheduler.

    `state` is the state that armed it (the step timing out, the timer state, the task to try again; empty for the
    journey's deadline). A `retry` timer also carries the attempt it starts and the idempotency key every attempt
    of that call sends, so a retry after a restart is the same call to the downstream service.
    """

    kind: str
    state: str
    fires_at: datetime
    attempt: int = 0
    key: str | None = None


@dataclass(slots=True)
class InstanceRecord:
    id: str
    journey_name: str
    journey_version: str
    phase: str
    current_state: str
    waiting: bool
    context: dict[str, Any]
    outcome: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime
    version: int = 1
    due_at: datetime | None = None
    inbound_source: str | None = None
    inbound_key: str | None = None
    inbound_open_key: str | None = None
    """Set (to `inbound_key`) only while the journey waits in the sourced webhook state that declared it."""
    started_by: str | None = None
    """The principal (authenticated client) that started the journey; None without client authentication."""
    definition_digest: str | None = None
    """The definition version the journey runs by; None only on a row from before versions, not yet adopted."""
    timers: dict[str, Timer] = field(default_factory=dict)
    """The journey's armed timers by kind; `due_at` is the earliest of them."""
    timers_changed: bool = False
    """Set on a record to commit when its timers differ from the committed ones: the timer table is rewritten."""
    search_keys: dict[str, str] | None = None
    """Business keys (`spec.metadata.searchKeys`) as rendered by the advance that made this record, to be indexed
    with it; None when the definition declares none (or the record was read back: keys live in their own table)."""
    callback_url: str | None = None
    """Where the outcome is POSTed when the journey ends (fixed at its start); None when nobody asked."""
    branches: dict[str, dict[str, Any]] | None = None
    """The positions of the branches of the `parallel` states the journey is in, by scope path; None outside."""
    parent_id: str | None = None
    """A child journey (subjourney): its parent, the parent's subjourney state, the local graph it runs."""
    parent_state: str | None = None
    graph: str | None = None
    child_id: str | None = None
    """The child journey a parent waits for in its subjourney state; None otherwise."""
    lineage: LineageWrites | None = None
    """The children the advance that made this record created and the child-end notices it writes or consumes,
    written with it (journeys.store.subjourneys); None when it did neither (and on every record read back)."""
    result_push: ResultPush | None = None
    """The push of the outcome this record ends the journey with, to be put in the outbox with it (result push);
    None unless the record is a committed end of a journey with a callback URL (and on every record read back)."""
    side_effects: SideEffects | None = None
    """The cache puts and Kafka records of the advance that made this record, written with it (`side_effects`);
    None when it made none (and on every record read back)."""
    schedules: tuple[ScheduleRequest, ...] = ()
    """The bindings the advance's `schedule:v1` tasks asked for, written with it (journeys.store.schedules)."""


@dataclass(slots=True, frozen=True)
class DefinitionVersionRecord:
    """A stored version of a journey definition: its source, as loaded from `file_name`."""

    journey_name: str
    digest: str
    label: str
    file_name: str
    source: str
    stored_at: datetime


@dataclass(slots=True, frozen=True)
class TransitionRecord:
    """One committed advance: the event that caused it and the states it walked through."""

    journey_id: str
    seq: int
    event: str
    from_state: str | None
    to_state: str
    phase: str
    path: list[str]
    at: datetime
    detail: dict[str, Any] | None = field(default=None)
    request: Any = None
    """The request body that caused the advance (a start's, a step's), redacted as its definition says; None when
    no request did (a timer, a recovered run, a cancel)."""
    context: dict[str, Any] | None = None
    """The context after the advance, redacted as its definition says (None on rows from before it was kept)."""


@dataclass(slots=True)
class DeliveryRecord:
    """One inbound delivery as logged; `dedupe_key` is set only on the first (owning) delivery of a key."""

    id: str
    verdict: str
    status: int
    received_at: datetime
    source: str | None = None
    journey_id: str | None = None
    step_id: str | None = None
    correlation_key: str | None = None
    dedupe_key: str | None = None
    delivery_id: str | None = None
    reason: str | None = None
    answer: dict[str, Any] | None = None
    content_type: str | None = None
    body: str | None = None
    key_id: str | None = None
    processing_ms: float = 0.0
    expires_at: datetime | None = None


@dataclass(slots=True, frozen=True)
class StartKeyRecord:
    """An idempotency key of a start and the answer its first start got (replayed to every retry of it).

    `scope_key` is a fixed-width digest of (principal, journey name, key); `fingerprint` one of the start body.
    """

    scope_key: str
    fingerprint: str
    journey_id: str
    answer: dict[str, Any] | None
    created_at: datetime
    expires_at: datetime


class KeyInUse(Exception):
    """The advance would make a journey wait for an inbound (source, key) another waiting journey holds."""


class AdvanceOutcome:
    """What a compare-and-set carrying a delivery did (plain strings, compared by value)."""

    APPLIED = "applied"
    CONFLICT = "conflict"  # another advance changed the journey first: nothing was written
    DUPLICATE = "duplicate"  # another delivery with the same dedupe key was recorded first: nothing was written
