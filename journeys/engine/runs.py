"""The working copy of one journey during an advance (`Run`), and the request that caused it (`InboundRequest`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from journeys.engine.cookie_jar import CookieJar
from journeys.engine.http_calls import PendingCall
from journeys.engine.inbound_messages import InboundMessage
from journeys.engine.lifecycle import RUNNING
from journeys.engine.lineage import Lineage
from journeys.store import InstanceRecord, Timer
from journeys.store.effect_records import SideEffects

if TYPE_CHECKING:
    from journeys.engine.cache_tasks import PendingRead
    from journeys.store.schedules import ScheduleRequest


@dataclass(frozen=True, slots=True)
class InboundRequest:
    """What auth tasks may read from the HTTP request that triggered this advance."""

    headers: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, str] = field(default_factory=dict)
    operator: str | None = None
    """Set when an operator submits the step on a caller's behalf: the journey's API-key checks are vouched for."""
    client_certificates: tuple[bytes, ...] = ()
    """The client's certificate chain (DER, its own first) from TLS or a trusted proxy, for `mtlsValidate:v1`."""


NO_REQUEST = InboundRequest()


def request_of(message: InboundMessage) -> InboundRequest:
    """What auth tasks read of an inbound delivery (a step submission or a source's message)."""
    return InboundRequest(message.headers, message.query, client_certificates=message.client_certificates)


class Run:
    """The mutable working copy of one instance during an advance (a `transitions` model)."""

    def __init__(self, journey_id: str, state: str, context: dict[str, Any], started_at: datetime) -> None:
        self.journey_id = journey_id
        self.phase = RUNNING
        self.state = state
        self.context = context
        self.started_at = started_at
        self.outcome: dict[str, Any] | None = None
        self.waiting = False
        # The armed timers by kind (journeys.store.records.Timer), and those the advance started with: the
        # commit rewrites the timer table only when they differ.
        self.timers: dict[str, Timer] = {}
        self.timers_before: dict[str, Timer] = {}
        # The step timeout the run had when it left its step: a submission routed back to that step keeps it.
        self.left_step_timer: Timer | None = None
        # A call attempt a `retry` timer started: its number (1 = the first retry) and the idempotency key every
        # attempt of the call sends.
        self.attempt = 0
        self.call_key: str | None = None
        self.path: list[str] = []
        self.auth_problem: dict[str, Any] | None = None
        self.platform: dict[str, Any] | None = None
        self.pending_call: PendingCall | None = None
        self.base_version = 0  # the committed version this advance started from (for idempotency keys)
        self.resumed_from: str | None = None  # the step whose submission started this advance
        # The inbound (source, key) of the last sourced webhook state; open while the run waits there.
        self.inbound_source: str | None = None
        self.inbound_key: str | None = None
        self.inbound_open = False
        # What the history keeps of this advance: the request body that caused it, redacted by these paths.
        self.request: Any = None
        self.redact: tuple[str, ...] = ()
        # The business keys to index with this advance: None when the definition declares none or they did not
        # change (`keys_before`, rendered when a loaded journey's first advance began, tells).
        self.search_keys: dict[str, str] | None = None
        self.keys_before: dict[str, str] | None = None
        self.loaded = False
        # Result push (journeys.engine.result_push): where the outcome goes when the run ends (fixed at the start),
        # and whether the outcome document shows `_links` (the definition's `httpSurface.links`).
        self.callback_url: str | None = None
        self.links_enabled = True
        # The run's cookie jar (`spec.cookies`): in memory only, for a run that cannot pause (cookie_jar.py).
        self.jar: CookieJar | None = None
        # Parallel branches (journeys.engine.parallel_runs): each branch's position by scope path, committed with
        # the row; the scope the interpreter is executing now, and that of the call it asked for.
        self.branches: dict[str, dict[str, Any]] = {}
        self.scope = ""
        self.call_scope = ""
        # `cache:v1` and `kafkaPublish:v1` (cache_tasks, event_tasks): a cache read the engine performs before the
        # run goes on, and the puts and records to write with the advance's commit.
        self.pending_read: PendingRead | None = None
        self.side_effects = SideEffects()
        # `schedule:v1` (journeys.engine.schedule_tasks): the bindings to write with the advance's commit.
        self.schedules: list[ScheduleRequest] = []
        # Subjourneys (journeys.engine.subjourneys): the parent or child this run is, and what its commit writes.
        self.lineage = Lineage()

    @property
    def suspended(self) -> bool:
        """The run stopped for work its caller does (an HTTP call, a cache read, a child journey) before it goes on."""
        return self.pending_call is not None or self.pending_read is not None or self.lineage.entering is not None

    @property
    def due_at(self) -> datetime | None:
        """When the earliest armed timer fires."""
        return min((timer.fires_at for timer in self.timers.values()), default=None)

    def idempotency_key(self) -> str:
        """Stable for the call at this point of this advance: a re-run after a crash sends the same key."""
        return f"{self.journey_id}:{self.base_version}:{len(self.path)}"


def run_from(record: InstanceRecord) -> Run:
    """The working copy of a committed journey, to advance it."""
    run = Run(record.id, record.current_state, record.context, record.created_at)
    run.base_version = record.version
    run.lineage = Lineage.of(record)
    run.phase = record.phase
    run.waiting = record.waiting
    run.timers, run.timers_before = dict(record.timers), record.timers
    run.outcome = record.outcome
    run.inbound_source, run.inbound_key = record.inbound_source, record.inbound_key
    run.inbound_open = record.inbound_open_key is not None
    run.callback_url = record.callback_url
    run.branches = {scope: dict(position) for scope, position in (record.branches or {}).items()}
    run.loaded = True
    return run
