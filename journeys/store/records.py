"""Plain records exchanged between the engine and the store (no SQL types leak upwards)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


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
