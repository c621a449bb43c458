"""The compiled `spec.subjourneys` and `type: subjourney` states (parsed by `journeys.definitions.subjourneys`).

Kept apart from the parser, with no runtime import of `journeys.definitions.model`, so the model's `State` union
can name `SubjourneyState` without an import cycle.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from journeys.definitions.model import CompiledExpression, State

RESULT_KINDS = ("output", "outcome")
FAILURE_BEHAVIOURS = ("propagate", "capture")


@dataclass(frozen=True, slots=True)
class SubjourneyState:
    """`type: subjourney`: run the local graph `ref` as a child journey and continue at `next` when it ends.

    `input` maps the parent context to the child's first context (`{}` without it); `result_var` receives the
    child's output (`result_kind: output`) or its mini-outcome (`outcome`); `on_failure: capture` continues at
    `next` after a failed child instead of failing the parent here.
    """

    id: str
    ref: str
    next: str
    input: CompiledExpression | None = None
    result_var: str | None = None
    result_kind: Literal["output", "outcome"] = "output"
    on_failure: Literal["propagate", "capture"] = "propagate"
    type: Literal["subjourney"] = "subjourney"


@dataclass(frozen=True, slots=True)
class Subjourney:
    """One entry of `spec.subjourneys`: a graph of states of its own, entered at `start`."""

    id: str
    start: str
    states: Mapping[str, State]


COMPENSATION_GRAPH = "(compensation)"
"""The graph name a compensation journey runs (`journey_instance.graph`): no key of spec.subjourneys can take it."""


@dataclass(frozen=True, slots=True)
class Compensation:
    """`spec.compensation` (DSL 2.5, ADR-0008): a graph run as a journey of its own after the journey ended Failed
    (failed, cancelled, timed out) or, when one of `also_for` holds (None: always), Succeeded."""

    start: str
    states: Mapping[str, State]
    also_for: tuple[CompiledExpression | None, ...] = ()
