"""The working copy of one journey during an advance (`Run`), and the request that caused it (`InboundRequest`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from journeys.engine.http_calls import PendingCall
from journeys.engine.lifecycle import RUNNING


@dataclass(frozen=True, slots=True)
class InboundRequest:
    """What auth tasks may read from the HTTP request that triggered this advance."""

    headers: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, str] = field(default_factory=dict)
    operator: str | None = None
    """Set when an operator submits the step on a caller's behalf: the journey's API-key checks are vouched for."""


NO_REQUEST = InboundRequest()


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
        self.due_at: datetime | None = None
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

    def idempotency_key(self) -> str:
        """Stable for the call at this point of this advance: a re-run after a crash sends the same key."""
        return f"{self.journey_id}:{self.base_version}:{len(self.path)}"
