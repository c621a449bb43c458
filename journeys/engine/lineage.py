"""A run's place among subjourneys: the parent it reports to, the child it waits for, and what its commit writes.

Kept on the `Run` (`run.lineage`) and stamped on the record its advance commits (`stamp`), so every commit path
(starts, steps, timers, recovery, cancels) writes a parent's children and a child's end notice without knowing
about subjourneys (journeys.engine.subjourneys runs them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from journeys.definitions.subjourney_model import COMPENSATION_GRAPH
from journeys.engine.lifecycle import RUNNING, TERMINAL_PHASES
from journeys.store import InstanceRecord, TransitionRecord
from journeys.store.subjourneys import LineageWrites, SpawnedChild

if TYPE_CHECKING:
    from journeys.definitions.subjourney_model import SubjourneyState


@dataclass(slots=True)
class Entering:
    """A subjourney state the interpreter reached: the engine runs its child before the advance goes on."""

    state: SubjourneyState
    context: dict[str, Any]


@dataclass(slots=True, frozen=True)
class PlannedCompensation:
    """The compensation journey an ending run calls for (journeys.engine.compensations): its id, start, context."""

    id: str
    start: str
    context: dict[str, Any]


@dataclass(slots=True)
class Lineage:
    parent_id: str | None = None
    parent_state: str | None = None
    graph: str | None = None
    child_id: str | None = None
    """The child the run waits for (set when a child paused; cleared when the run moves on)."""
    entering: Entering | None = None
    spawned: list[SpawnedChild] = field(default_factory=list)
    """The children this advance created, to be inserted with its commit."""
    consumed: str | None = None
    """The ended child whose notice this advance applies."""
    settled_inline: bool = False
    """A child that ended within its parent's advance: the parent took its result there, no notice is written."""
    compensation: PlannedCompensation | None = None
    """The compensation journey this ending run starts, inserted with its commit."""

    @classmethod
    def of(cls, record: InstanceRecord) -> Lineage:
        return cls(record.parent_id, record.parent_state, record.graph, record.child_id)

    def stamp(self, record: InstanceRecord) -> None:
        """Put the lineage on the record to commit, with what its commit writes besides the row."""
        record.parent_id, record.parent_state, record.graph = self.parent_id, self.parent_state, self.graph
        record.child_id = self.child_id if record.phase == RUNNING and record.waiting else None
        ended = (
            self.parent_id is not None
            and self.graph != COMPENSATION_GRAPH  # nobody waits for a compensation journey
            and record.phase in TERMINAL_PHASES
            and not self.settled_inline
        )
        # A parent that ended in this advance (e.g. failed after its child paused) waits for no child: a paused
        # child would run for nobody, so only the children that ended are kept (as its history shows them).
        spawned = [c for c in self.spawned if record.phase == RUNNING or c.record.phase in TERMINAL_PHASES]
        if self.compensation is not None and record.phase in TERMINAL_PHASES:
            spawned.append(compensation_child(record, self.compensation))
            record.child_id = self.compensation.id  # an ended journey links its compensation journey
        if spawned or ended or self.consumed is not None:
            record.lineage = LineageWrites(tuple(spawned), ended, self.consumed)
            _started_by(spawned, record.started_by)


def _started_by(children: Sequence[SpawnedChild], principal: str | None) -> None:
    """Children belong to whoever started their top-level journey: its owner sees them, nobody else does."""
    for child in children:
        child.record.started_by = principal
        if child.record.lineage is not None:
            _started_by(child.record.lineage.children, principal)


def compensation_child(ended: InstanceRecord, planned: PlannedCompensation) -> SpawnedChild:
    """The runnable row of the compensation journey of `ended`, inserted with `ended`'s commit."""
    at = ended.updated_at
    record = InstanceRecord(
        id=planned.id,
        journey_name=ended.journey_name,
        journey_version=ended.journey_version,
        phase=RUNNING,
        current_state=planned.start,
        waiting=False,
        context=planned.context,
        outcome=None,
        created_at=at,
        updated_at=at,
        started_by=ended.started_by,
        definition_digest=ended.definition_digest,
        parent_id=ended.id,
        parent_state=ended.current_state,
        graph=COMPENSATION_GRAPH,
    )
    detail = {"compensationFor": ended.id, "terminationKind": planned.context["outcome"]["terminationKind"]}
    transition = TransitionRecord(
        journey_id=record.id,
        seq=1,
        event="start",
        from_state=None,
        to_state=planned.start,
        phase=RUNNING,
        path=[],
        at=at,
        detail=detail,
        context=planned.context,
    )
    return SpawnedChild(record, transition)
