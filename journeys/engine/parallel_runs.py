"""Running `parallel` states: branches on the journey's one context, each with a durable position, and their join.

The branches of a parallel run one after another within an advance, each until it pauses (a step, a timer, a
retry's wait) or ends; a branch that pauses leaves the others to run. The journey then waits as one row whose
`branches` column holds every branch's position (`Run.branches`, by scope path `<parallel>/<branch>`), and a step
submission or a timer of one branch advances that branch alone, under the same compare-and-set as any advance, so
two callbacks for two branches both apply, one after the other. Branches share the context, as process variables
are shared in BPMN: each advance sees what the others wrote before it, and no write is lost. When the join's
strategy is met, the branches still open are cancelled (their timers dropped, their steps closed), the mapper (if
any) sees `branches.<name>` (each ended branch's context when it ended, with `error` when it failed), and the
journey goes on at the parallel's `next`. docs/dsl.md ("parallel") lists the decisions.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from journeys.definitions.model import ExternalInputState, JourneyDefinition, ParallelState
from journeys.engine.context_writes import json_copy, write_result
from journeys.engine.lifecycle import RUNNING
from journeys.engine.runs import InboundRequest, Run
from journeys.engine.state_failure import StateFailure
from journeys.engine.timer_states import unscoped
from journeys.expressions import ExpressionEvaluationError

if TYPE_CHECKING:
    from journeys.store import InstanceRecord

READY, RUNNING_BRANCH, WAITING, SUCCEEDED, FAILED = "ready", "running", "waiting", "succeeded", "failed"
ENDED = (SUCCEEDED, FAILED)


def parent_of(scope: str) -> tuple[str, str]:
    """(enclosing scope, parallel state id) of a branch scope `.../<parallel>/<branch>`."""
    parts = scope.split("/")
    return "/".join(parts[:-2]), parts[-2]


class ParallelRuns:
    """The interpreter's `parallel` handler and the driving of branches (mixed into `Interpreter`)."""

    definition: JourneyDefinition

    # -- provided by the interpreter --------------------------------------------------------------
    def _run(self, run: Run, state_id: str, request: InboundRequest, now: datetime, scope: str = "") -> None: ...
    def platform(self, run: Run) -> dict[str, Any]: ...
    def _terminate_failed(self, run: Run, code: str, reason: str, trigger: str = "fail") -> None: ...
    def _end_succeeded(self, run: Run, output: Any) -> None: ...

    # -- the state handler ------------------------------------------------------------------------
    def _parallel(self, state: ParallelState, run: Run, request: InboundRequest, now: datetime) -> str | None:
        """Enter the parallel (or come back to it, after a pause or a crash) and run its branches."""
        scope = run.scope
        prefix = f"{scope}/{state.id}" if scope else state.id
        if not any(key.startswith(prefix + "/") for key in run.branches):
            for branch in state.branches:
                run.branches[f"{prefix}/{branch.name}"] = {"state": branch.start, "status": READY}
        return self._drive(run, state, scope, request, now)

    def _drive(self, run: Run, state: ParallelState, scope: str, request: InboundRequest, now: datetime) -> str | None:
        """Run the branches ready to run until the join is met (the state to go on at in `scope`) or all wait."""
        prefix = f"{scope}/{state.id}" if scope else state.id
        for branch in state.branches:
            key = f"{prefix}/{branch.name}"
            position = run.branches.get(key)
            if position is None or position["status"] != READY or self._joined(run, state, prefix):
                continue
            self._run(run, position["state"], request, now, key)
            if run.suspended or run.phase != RUNNING:
                return None
        run.scope = scope
        if not self._joined(run, state, prefix):
            self._wait_in(run, scope, state.id)
            return None
        return self._join(run, state, scope, prefix)

    def _after_branch(self, run: Run, scope: str, request: InboundRequest, now: datetime) -> None:
        """The branch at `scope` stopped (paused, ended, or asks for a call): drive the parallels around it."""
        while scope and not run.suspended and run.phase == RUNNING:
            outer, parallel_id = parent_of(scope)
            state = self.definition.states_in(outer)[parallel_id]
            assert isinstance(state, ParallelState)
            run.scope = outer
            try:
                following = self._drive(run, state, outer, request, now)
            except StateFailure as failure:
                self._fail_scope(run, outer, failure.code, failure.reason)
                following = None
            if following is not None:
                self._run(run, following, request, now, outer)
            elif outer and run.branches.get(outer, {}).get("status") not in ENDED:
                return  # the parallel waits, and so does the branch it is in
            scope = outer

    # -- branch ends and the join -----------------------------------------------------------------
    def _end_branch(self, run: Run, status: str, output: Any = None, error: dict[str, Any] | None = None) -> None:
        """The branch being run reached `succeed` (its output) or `fail`/an error: its context is kept for the join."""
        position = run.branches[run.scope]
        order = 1 + max((p.get("order", 0) for p in run.branches.values()), default=0)
        position.update(status=status, order=order, context=json_copy(run.context))
        if output is not None:
            position["output"] = json_copy(output)
        if error is not None:
            position["error"] = error

    def _fail_scope(self, run: Run, scope: str, code: str, reason: str) -> None:
        """A failure in `scope`: the journey fails, or only the branch (its parallel's error policy decides)."""
        if not scope:
            self._terminate_failed(run, code, reason)
            return
        run.scope = scope
        self._end_branch(run, FAILED, error={"code": code, "reason": reason})

    def _joined(self, run: Run, state: ParallelState, prefix: str) -> bool:
        positions = [run.branches.get(f"{prefix}/{branch.name}") or {} for branch in state.branches]
        statuses = [position.get("status") for position in positions]
        if state.join.error_policy == "failFast" and FAILED in statuses:
            return True
        if state.join.strategy == "allOf":
            return all(status in ENDED for status in statuses)
        if state.join.strategy == "firstCompleted":
            return any(status in ENDED for status in statuses)
        return SUCCEEDED in statuses or all(status in ENDED for status in statuses)  # anyOf

    def _join(self, run: Run, state: ParallelState, scope: str, prefix: str) -> str | None:
        """Cancel the open branches, apply the error policy and the mapper; the state to go on at, if any."""
        ended = sorted(
            (
                (branch.name, position)
                for branch in state.branches
                if (position := run.branches.get(f"{prefix}/{branch.name}", {})).get("status") in ENDED
            ),
            key=lambda item: item[1]["order"],
        )
        self._drop_branches(run, prefix)
        run.scope = scope
        failed = [(name, position["error"]) for name, position in ended if position["status"] == FAILED]
        succeeded = [position for _, position in ended if position["status"] == SUCCEEDED]
        join = state.join
        tolerated = join.error_policy == "ignoreErrors" or (
            join.error_policy == "collectAll"
            and (join.mapper is not None or (join.strategy == "anyOf" and bool(succeeded)))
        )
        if failed and not tolerated:
            name, error = failed[0]
            raise StateFailure(error["code"], f"parallel '{state.id}' branch '{name}': {error['reason']}")
        output: Any = None
        if join.mapper is not None:
            branches = {name: {**position["context"], **_error_of(position)} for name, position in ended}
            try:
                output = join.mapper.evaluate({**run.context, "branches": branches}, None, self.platform(run))
            except ExpressionEvaluationError as error:
                raise StateFailure(
                    f"EXPRESSION_ERROR:{state.id}", f"state '{state.id}' join.mapper: {error}"
                ) from error
            if join.result_var is not None:
                write_result(run, state.id, "var", (), join.result_var, output)
            elif isinstance(output, dict):
                write_result(run, state.id, "context", (), None, {**run.context, **output})
        elif succeeded:
            output = succeeded[0].get("output", succeeded[0]["context"])
        if state.next is not None:
            return state.next
        if scope:
            self._end_branch(run, SUCCEEDED, output=output)
        else:
            self._end_succeeded(run, run.context if output is None else output)
        return None

    def _wait_in(self, run: Run, scope: str, parallel_id: str) -> None:
        """Every branch of the parallel waits or ended: the journey (or the branch the parallel is in) waits."""
        if scope:
            run.branches[scope].update(status=WAITING, state=parallel_id)
        else:
            run.state, run.waiting, run.inbound_open = parallel_id, True, False

    @staticmethod
    def _drop_branches(run: Run, prefix: str) -> None:
        """Forget every branch under `prefix` ("": all of them; nested ones too) and drop their timers."""
        inside = prefix + "/" if prefix else ""
        for key in [key for key in run.branches if key.startswith(inside)]:
            del run.branches[key]
        for kind in [kind for kind in run.timers if unscoped(kind)[1].startswith(inside)]:
            del run.timers[kind]


def _error_of(position: dict[str, Any]) -> dict[str, Any]:
    return {"error": position["error"]} if "error" in position else {}


def waiting_positions(record: InstanceRecord) -> list[tuple[str, str]]:
    """(scope, state id) of every branch position the journey waits at, the most recently reached first."""
    positions = [
        (scope, position) for scope, position in (record.branches or {}).items() if position.get("status") == WAITING
    ]
    positions.sort(key=lambda item: -item[1].get("since", 0))
    return [(scope, position["state"]) for scope, position in positions]


def shown_state(record: InstanceRecord) -> str:
    """The journey's `currentState`: in a parallel, where the branch that stopped last waits."""
    positions = waiting_positions(record)
    return positions[0][1] if positions and record.phase == RUNNING else record.current_state


def open_steps(record: InstanceRecord, definition: JourneyDefinition) -> list[str]:
    """Every step the journey waits at now (several, in a parallel), each with its own URL."""
    if not record.waiting or record.phase != RUNNING:
        return []
    if record.branches:
        return [state for scope, state in waiting_positions(record) if definition.step_scopes.get(state) == scope]
    return [record.current_state] if isinstance(definition.states.get(record.current_state), ExternalInputState) else []


def waits_at(record: InstanceRecord, definition: JourneyDefinition, step_id: str) -> bool:
    """Whether the journey waits at step `step_id` now: at the top, or in a branch of a parallel."""
    if not record.waiting or record.phase != RUNNING:
        return False
    scope = definition.step_scopes.get(step_id)
    if scope is None:
        return record.current_state == step_id
    position = (record.branches or {}).get(scope)
    return position is not None and position.get("status") == WAITING and position.get("state") == step_id
