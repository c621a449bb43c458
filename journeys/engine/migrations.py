"""Moving waiting journeys from one stored version of their definition to another, explicitly.

A journey runs by the version it started with (`journeys.engine.versions`); an operator who wants it to finish
by a newer one migrates it, as Camunda migrates process instances: each waiting journey of the source version is
checked against the target, moved if its step exists there unchanged (or the operator mapped it to a step of the
target), and refused otherwise, with the reason. A move is one compare-and-set advance like any other, recorded in
the journey's history as a `migrate` transition naming both versions and who asked. A dry run checks the same
things and writes nothing.

What a move keeps: the context, the owner, and the step's deadline when the target step has a timeout (a journey
that has waited a day does not get a fresh timeout by being migrated); a target step without a timeout clears it,
and one with a timeout where the source had none starts it at the move.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING

from journeys.definitions.model import ExternalInputState, JourneyDefinition
from journeys.engine.errors import DefinitionVersionUnusable, InvalidMigration
from journeys.engine.interpreter import Interpreter
from journeys.engine.lifecycle import RUNNING
from journeys.engine.runs import NO_REQUEST, Run, run_from
from journeys.engine.snapshots import successor, transition_of
from journeys.engine.versions import describe
from journeys.store import AdvanceOutcome, DefinitionVersionRecord, InstanceRecord, KeyInUse

if TYPE_CHECKING:
    from journeys.engine.service import JourneyEngine

MOVED, WOULD_MOVE, REFUSED = "moved", "would-move", "refused"
MAX_BATCH = 1000


@dataclass(frozen=True, slots=True)
class Migration:
    """Move the waiting journeys of `journey_name` from version `source` to `target` (labels or digest prefixes);
    `state_map` sends a step of the source to a step of the target (old name -> new name)."""

    journey_name: str
    source: str
    target: str
    state_map: Mapping[str, str] = field(default_factory=dict)
    dry_run: bool = False
    by: str | None = None
    after: str | None = None
    """Continue after this journey id (the previous batch's `next_after`)."""
    limit: int = MAX_BATCH


@dataclass(frozen=True, slots=True)
class Move:
    journey_id: str
    from_state: str
    to_state: str | None
    outcome: str
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class MigrationReport:
    journey_name: str
    source: DefinitionVersionRecord
    target: DefinitionVersionRecord
    dry_run: bool
    moves: list[Move]
    next_after: str | None
    """More journeys of the source version may follow this id: run the same migration again from there."""


def _steps(definition: JourneyDefinition) -> list[str]:
    return sorted(s.id for s in definition.states.values() if isinstance(s, ExternalInputState))


def step_differences(old: ExternalInputState, new: ExternalInputState) -> list[str]:
    """What a caller of the step would notice changed between versions (an unmapped move requires none)."""
    differences = []
    if old.type != new.type:
        differences.append(f"it is a {new.type} state, was a {old.type} state")
    if dict(old.input_schema.raw) != dict(new.input_schema.raw):
        differences.append("its input schema differs")
    if old.source != new.source:
        differences.append(f"it is fed by source {new.source!r}, was {old.source!r}")
    old_key = None if old.correlation_key is None else old.correlation_key.source
    new_key = None if new.correlation_key is None else new.correlation_key.source
    if old_key != new_key:
        differences.append("its correlation key differs")
    return differences


class Migrations:
    def __init__(self, engine: JourneyEngine) -> None:
        self._engine = engine

    async def migrate(self, migration: Migration) -> MigrationReport:
        versions = self._engine.versions
        source = await versions.resolve(migration.journey_name, migration.source)
        target = await versions.resolve(migration.journey_name, migration.target)
        if source.digest == target.digest:
            raise InvalidMigration(f"'{migration.source}' and '{migration.target}' name the same version")
        into = await versions.version(target)
        try:
            old: JourneyDefinition | None = (await versions.version(source)).definition
        except DefinitionVersionUnusable:
            old = None  # its journeys can still move, each by an explicit mapping
        self._check_map(migration.state_map, old, into.definition, source, target)
        limit = max(1, min(migration.limit, MAX_BATCH))
        records = await self._engine.store.definition_versions.running_of_version(
            migration.journey_name, source.digest, migration.after, limit
        )
        # Each move is its own compare-and-set commit; made together, the write batcher commits them in groups.
        moves = list(await asyncio.gather(*(self._move(r, migration, old, into, source, target) for r in records)))
        next_after = records[-1].id if len(records) == limit else None
        return MigrationReport(migration.journey_name, source, target, migration.dry_run, moves, next_after)

    @staticmethod
    def _check_map(
        state_map: Mapping[str, str],
        old: JourneyDefinition | None,
        new: JourneyDefinition,
        source: DefinitionVersionRecord,
        target: DefinitionVersionRecord,
    ) -> None:
        """A map that names a state neither version has is a typo: refuse the whole migration, not each journey."""
        for old_state, new_state in state_map.items():
            if old is not None and old_state not in old.states:
                raise InvalidMigration(
                    f"the map names '{old_state}', which is no state of {describe(source)} "
                    f"(its steps: {', '.join(_steps(old))})"
                )
            if not isinstance(new.states.get(new_state), ExternalInputState):
                raise InvalidMigration(
                    f"the map sends '{old_state}' to '{new_state}', which is no step of {describe(target)} "
                    f"a journey can wait at (its steps: {', '.join(_steps(new))})"
                )

    async def _move(
        self,
        record: InstanceRecord,
        migration: Migration,
        old: JourneyDefinition | None,
        into: Interpreter,
        source: DefinitionVersionRecord,
        target: DefinitionVersionRecord,
    ) -> Move:
        state = record.current_state
        refusal = self._refusal(record, migration.state_map, old, into.definition, target)
        to_state = migration.state_map.get(state, state)
        if refusal is not None:
            return Move(record.id, state, None, REFUSED, refusal)
        now = self._engine.clock()
        step = into.definition.states[to_state]
        assert isinstance(step, ExternalInputState)
        run = run_from(record)
        # Entering the step as a status update would: its deadline is kept (when it has one), not restarted.
        run.resumed_from = to_state
        kept = run.timers.pop("step-timeout", None)
        if kept is not None and step.timeout_sec:
            run.timers["step-timeout"] = replace(kept, state=to_state)
        into.advance(run, to_state, NO_REQUEST, now)
        run.search_keys = into.search_keys_of(run) if into.definition.search_keys else None  # the target's keys
        if run.phase != RUNNING or not run.waiting:
            reason = (run.outcome or {}).get("error", {}).get("reason", "it would not wait there")
            return Move(record.id, state, to_state, REFUSED, f"waiting at '{to_state}' would fail it: {reason}")
        if migration.dry_run:
            return Move(record.id, state, to_state, WOULD_MOVE)
        return await self._commit(record, run, migration, source, target, now)

    @staticmethod
    def _refusal(
        record: InstanceRecord,
        state_map: Mapping[str, str],
        old: JourneyDefinition | None,
        new: JourneyDefinition,
        target: DefinitionVersionRecord,
    ) -> str | None:
        state = record.current_state
        if not record.waiting:
            return "it is not waiting at a step (it is being run); migrate it once it waits"
        if record.child_id is not None or record.graph is not None:
            return "it is a subjourney's child or waits for one; migrate the journey once its child has ended"
        if record.branches:
            return f"it is inside parallel '{state}', whose branches cannot be mapped; migrate it once it has joined"
        if "timer" in record.timers or "retry" in record.timers:
            return "it waits for a timer or a call's next attempt, not at a step; migrate it once it waits at a step"
        if state in state_map:
            return None  # the operator's explicit choice; the map itself was checked
        into = new.states.get(state)
        if into is None:
            return (
                f"state '{state}' does not exist in {describe(target)}: map it to one of its steps "
                f"({', '.join(_steps(new))})"
            )
        if not isinstance(into, ExternalInputState):
            return f"'{state}' is no step a journey can wait at in {describe(target)}: map it to one"
        if old is None:
            return (
                f"its version no longer compiles, so step '{state}' cannot be compared with {describe(target)}: "
                f"map it explicitly ({state}={state}) to move it"
            )
        was = old.states.get(state)
        if not isinstance(was, ExternalInputState):
            return f"'{state}' is no step of its own version"
        differences = step_differences(was, into)
        if differences:
            return f"step '{state}' changed in {describe(target)}: {'; '.join(differences)}; map it to move it anyway"
        return None

    async def _commit(
        self,
        record: InstanceRecord,
        run: Run,
        migration: Migration,
        source: DefinitionVersionRecord,
        target: DefinitionVersionRecord,
        now: datetime,
    ) -> Move:
        engine, to_state = self._engine, run.state
        after = successor(record, run, now, onto=(target.label, target.digest))
        detail = {
            "fromVersion": source.label,
            "fromDigest": source.digest,
            "toVersion": target.label,
            "toDigest": target.digest,
            "migratedBy": migration.by,
        }
        transition = transition_of(after, "migrate", record.current_state, run, now, detail)
        try:
            outcome = await engine.store.advance(after, record.version, transition, repin=True)
        except KeyInUse:
            held = f"{after.inbound_source} key '{after.inbound_key}'"
            reason = f"step '{to_state}' waits for {held}, which another waiting journey holds"
            return Move(record.id, record.current_state, to_state, REFUSED, reason)
        if outcome != AdvanceOutcome.APPLIED:
            reason = "the journey moved while it was being migrated; run the migration again"
            return Move(record.id, record.current_state, to_state, REFUSED, reason)
        engine.after_commit(record, after, "migrate")
        return Move(record.id, record.current_state, to_state, MOVED)
