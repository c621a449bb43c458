"""Subjourney states: a parent runs a local graph of its definition as a child journey and waits for its result.

The child is a journey of its own (id, row, history, step URLs), linked to its parent (`parent_id`, `parent_state`)
and running the graph `graph` of the parent's pinned definition version. Its life, durably:

1. The interpreter reaches a `subjourney` state: it evaluates the input mapper and pauses the parent there
   (`run.lineage.entering`). The engine runs the child at once, in memory, to its first pause or end.
2. A child that ended there is settled inline: the parent takes its result and goes on in the same advance, and the
   child's (ended) row is inserted in the parent's commit. A child that paused is inserted (waiting) in the parent's
   commit, and the parent's row waits in the subjourney state naming the child (`child_id`).
3. A child that ends later, in an advance of its own, writes a notice (`subjourney_end`) in that advance's
   transaction. The notice is drained right after the commit, and by the scheduler's sweep after a crash: the
   parent, if it still waits for that child, is resumed with the result in a commit that deletes the notice. A
   notice drained twice finds its parent no longer waiting for the child: exactly one resume.
4. A parent that stops waiting for its child otherwise (cancelled, its deadline) has the child cancelled.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from journeys.definitions.model import FailState, JourneyDefinition
from journeys.definitions.subjourney_model import COMPENSATION_GRAPH, SubjourneyState
from journeys.engine.errors import ConcurrentUpdate, EngineError
from journeys.engine.lifecycle import RUNNING, SUCCEEDED, TERMINAL_PHASES
from journeys.engine.lineage import Entering
from journeys.engine.runs import NO_REQUEST, InboundRequest, Run, run_from
from journeys.engine.snapshots import record_of, transition_of
from journeys.engine.state_failure import StateFailure
from journeys.expressions import ExpressionEvaluationError
from journeys.outages import log_failure
from journeys.store import InstanceRecord
from journeys.store.subjourneys import SpawnedChild

if TYPE_CHECKING:
    from journeys.engine.interpreter import Interpreter
    from journeys.engine.service import JourneyEngine

log = logging.getLogger("journeys.engine")

PARENT_ENDED = "its parent journey stopped waiting for it"


def enter_subjourney(interpreter: Interpreter, state: SubjourneyState, run: Run) -> None:
    """The interpreter's handler of a `subjourney` state: map the child's context, then pause for the engine."""
    context: Any = {}
    if state.input is not None:
        try:
            context = state.input.evaluate(run.context, run.context.get("payload"), interpreter.platform(run))
        except ExpressionEvaluationError as error:
            raise StateFailure(f"EXPRESSION_ERROR:{state.id}", f"state '{state.id}' input: {error}") from error
    if not isinstance(context, dict):
        raise StateFailure(
            f"SUBJOURNEY_INPUT_INVALID:{state.id}",
            f"state '{state.id}': the input mapper must yield an object, not {type(context).__name__}",
        )
    run.lineage.entering = Entering(state, context)
    run.waiting = True


def graph_definition(definition: JourneyDefinition, graph: str) -> JourneyDefinition:
    """The definition a child journey runs by: the parent's version with the local graph `graph` (a subjourney, or
    `spec.compensation`) as its states. What belongs to a top-level journey only (start input, deadline, named
    outcomes, keys, callbacks) stays with it."""
    local = definition.compensation if graph == COMPENSATION_GRAPH else definition.subjourneys[graph]
    assert local is not None
    return dataclasses.replace(
        definition,
        start=local.start,
        states=local.states,
        input_schema=None,
        output_schema=None,
        start_mode="sync",
        idempotency_key=None,
        callback_url=None,
        search_keys=MappingProxyType({}),
        execution=None,
        outcomes=(),
        metadata_bindings=None,
        cookies=None,
        scopes=MappingProxyType({}),
        step_scopes=MappingProxyType({}),
    )


def mini_outcome(child: InstanceRecord, definition: JourneyDefinition) -> dict[str, Any]:
    """The child's end as `resultKind: outcome` writes it (DSL 5.8)."""
    outcome = child.outcome or {}
    error = outcome.get("error") or {}
    if child.phase == SUCCEEDED:
        kind = "Success"
    elif error.get("code") == "JOURNEY_CANCELLED":
        kind = "Cancel"
    else:
        kind = "Fail" if isinstance(definition.states.get(child.current_state), FailState) else "RuntimeError"
    return {
        "phase": "SUCCEEDED" if child.phase == SUCCEEDED else "FAILED",
        "terminationKind": kind,
        "output": outcome.get("output") if child.phase == SUCCEEDED else None,
        "error": {"code": error.get("code"), "reason": error.get("reason")},
    }


def take_result(
    interpreter: Interpreter, run: Run, state: SubjourneyState, child: InstanceRecord, graph: JourneyDefinition
) -> str | None:
    """Apply the ended `child` to its parent's `run` at `state`: the state to go on with, or None when the parent
    failed here (`onFailure: propagate`)."""
    outcome = child.outcome or {}
    succeeded = child.phase == SUCCEEDED
    if not succeeded and state.on_failure == "propagate":
        error = outcome.get("error") or {}
        code = str(error.get("code") or f"SUBJOURNEY_FAILED:{state.id}")
        interpreter.fail(run, code, str(error.get("reason") or code))
        return None
    if state.result_var is not None:
        if state.result_kind == "outcome":
            run.context[state.result_var] = mini_outcome(child, graph)
        else:
            run.context[state.result_var] = outcome.get("output") if succeeded else None
    run.waiting = False
    return state.next


class SubjourneyDesk:
    """Runs children for their parents' advances and resumes parents when children end (see the module doc)."""

    def __init__(self, engine: JourneyEngine) -> None:
        self._engine = engine
        self._draining: set[str] = set()

    async def enter(self, interpreter: Interpreter, run: Run, request: InboundRequest, now: datetime) -> None:
        """Run the child of the subjourney state the parent `run` just entered; settle it inline if it ends."""
        entering, run.lineage.entering = run.lineage.entering, None
        assert entering is not None
        state = entering.state
        child_interpreter = self._engine.versions.graph_of(interpreter, state.ref)
        graph = child_interpreter.definition
        # Its id is the parent's position (journey, version, states walked): a re-run of the parent's advance after a
        # crash runs the same child, whose calls then carry the same idempotency keys.
        child_id = hashlib.sha256(run.idempotency_key().encode()).hexdigest()[:32]
        child = Run(child_id, graph.start, entering.context, now)
        child.lineage.parent_id, child.lineage.parent_state, child.lineage.graph = run.journey_id, state.id, state.ref
        await self._engine.advance(child_interpreter, child, graph.start, NO_REQUEST, now)
        child.lineage.settled_inline = child.phase in TERMINAL_PHASES
        record = record_of(
            child,
            graph.name,
            graph.version,
            graph.digest,
            created_at=now,
            updated_at=now,
            version=1,
            started_by=None,  # the parent's, set when the parent's record is stamped (journeys.engine.lineage)
        )
        detail = {"parentId": run.journey_id, "parentState": state.id}
        run.lineage.spawned.append(SpawnedChild(record, transition_of(record, "start", None, child, now, detail)))
        if not child.lineage.settled_inline:
            run.lineage.child_id = child.journey_id  # the parent waits in the state for this child
            return
        following = take_result(interpreter, run, state, record, graph)
        if following is not None:
            interpreter.advance(run, following, request, now)

    def committed(self, before: InstanceRecord | None, after: InstanceRecord) -> None:
        """After a commit: the children it inserted are committed too; an ended child's parent is to be resumed;
        a child its parent no longer waits for is cancelled."""
        engine, lineage = self._engine, after.lineage
        for spawned in lineage.children if lineage is not None else ():
            engine.after_commit(None, spawned.record, "start")
            if spawned.record.phase == RUNNING and not spawned.record.waiting:  # a compensation journey: run it
                engine.recovery.adopt(spawned.record.id, engine.clock())  # its lease is taken before it runs
                engine.spawn(engine.resume(spawned.record.id))
        if lineage is not None and lineage.ended_child:
            engine.spawn(self.resume_parent(after.id))
        abandoned = None if before is None or before.phase != RUNNING else before.child_id
        if abandoned is not None and abandoned != after.child_id and (lineage is None or lineage.consumed != abandoned):
            engine.spawn(self.cancel_child(abandoned))

    async def drain(self, older_than: timedelta = timedelta(0)) -> int:
        """Apply the notices of children that ended at least `older_than` ago (those a crash or a lost race left
        behind; a fresh one is being applied by the process that committed it). Returns how many parents moved."""
        cutoff = self._engine.clock() - older_than
        notices = [n for n in await self._engine.store.subjourneys.pending() if n.ended_at <= cutoff]
        resumed = 0
        for notice in notices:
            try:
                resumed += await self.resume_parent(notice.child_id)
            except ConcurrentUpdate:
                continue  # another advance of the parent won: the notice stays for the next sweep
            except EngineError as error:  # e.g. the parent's version no longer runs: the others still go on
                log.error("the parent of ended subjourney %s cannot be resumed: %s", notice.child_id, error)
            except Exception as error:  # one parent must not hold up the others, nor the scheduler's other sweeps
                failed = "resuming the parent of subjourney %s failed"
                log_failure(error, "subjourney parents", log, failed, notice.child_id)
        return resumed

    async def resume_parent(self, child_id: str) -> bool:
        """Resume the parent of the ended child `child_id` with its result if it still waits for it; drop the notice
        otherwise. ConcurrentUpdate when another advance of the parent won (the notice stays, for the sweep)."""
        if child_id in self._draining:
            return False
        self._draining.add(child_id)
        try:
            return await self._resume_parent(child_id)
        finally:
            self._draining.discard(child_id)

    async def _resume_parent(self, child_id: str) -> bool:
        engine = self._engine
        store = engine.store
        child = await store.get(child_id)
        parent = None if child is None or child.parent_id is None else await store.get(child.parent_id)
        if child is None or parent is None or parent.phase != RUNNING or parent.child_id != child_id:
            await store.subjourneys.drop(child_id)
            return False
        interpreter = await engine.versions.running(parent)
        state = interpreter.definition.states.get(parent.current_state)
        if not isinstance(state, SubjourneyState):  # its version no longer waits there: nothing to resume
            log.warning("journey %s waits for child %s at '%s', no subjourney state", parent.id, child_id, state)
            await store.subjourneys.drop(child_id)
            return False
        now = engine.clock()
        run = run_from(parent)
        run.lineage.consumed = child_id
        run.path.append(state.id)
        following = take_result(
            interpreter, run, state, child, engine.versions.graph_of(interpreter, state.ref).definition
        )
        if following is not None:
            await engine.advance(interpreter, run, following, NO_REQUEST, now)
        detail = {"childId": child_id, "childPhase": child.phase}
        await engine.commit(parent, run, "subjourney", now, detail)
        return True

    async def cancel_child(self, child_id: str, attempts_left: int = 3) -> None:
        """End a child whose parent no longer waits for it (Failed, JOURNEY_CANCELLED), and so on down its own."""
        engine = self._engine
        record = await engine.store.get(child_id)
        if record is None or record.phase in TERMINAL_PHASES:
            return
        interpreter = await engine.versions.running(record)
        run = run_from(record)
        interpreter.fail(run, "JOURNEY_CANCELLED", PARENT_ENDED)
        try:
            await engine.commit(
                record, run, "cancel", engine.clock(), {"cancelledBy": "parent", "reason": PARENT_ENDED}
            )
        except ConcurrentUpdate:
            if attempts_left == 0:
                raise
            log.info("subjourney %s moved while its parent's end cancelled it; trying again", child_id)
            await self.cancel_child(child_id, attempts_left - 1)
