"""What an operator does to a journey by hand: run a failed one again, or submit a step for a caller.

Both are advances like any other (one compare-and-set commit with its history row), recorded with who did it and
why, so the history tells an operator's hand from the journey's own course:

- **retry** runs a Failed journey again from a state of its own version, with the context it failed with (the
  outbound call that failed is called again; a step waits again). Temporal resets a workflow to an event, Step
  Functions redrives an execution; both keep the history, as this does (event `retry`).
- **submit for** applies a step submission an operator makes on behalf of a caller whose callback was lost: the
  body must match the step's schema like any other, but the journey's own API-key check is vouched for by the
  operator (no caller credential exists to present). The history row is a `step` with `submittedBy` and `reason`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from journeys.engine.errors import (
    ConcurrentUpdate,
    InvalidInput,
    InvalidRetry,
    NotRetryable,
    StepNotActive,
    StepNotFound,
)
from journeys.engine.lifecycle import FAILED
from journeys.engine.parallel_runs import waits_at
from journeys.engine.runs import NO_REQUEST, InboundRequest, run_from
from journeys.engine.snapshots import Snapshot

if TYPE_CHECKING:
    from journeys.engine.service import JourneyEngine

OPERATOR = "operator"  # who vouches on an open API, where callers have no name


class Interventions:
    def __init__(self, engine: JourneyEngine) -> None:
        self._engine = engine

    async def retry(self, journey_id: str, from_state: str, *, by: str | None, reason: str | None) -> Snapshot:
        engine = self._engine
        record, interpreter = await engine.load(journey_id)
        if record.phase != FAILED:
            raise NotRetryable(f"journey '{journey_id}' is {record.phase}: only a Failed journey can be retried")
        states = interpreter.definition.states
        if from_state not in states:
            known = ", ".join(sorted(states))
            raise InvalidRetry(
                f"'{from_state}' is no state of version '{record.journey_version}' (its states: {known})"
            )
        now = engine.clock()
        run = run_from(record)
        interpreter.lifecycle.fire(run, "retry")
        run.outcome, run.waiting = None, False
        run.timers.clear()
        await engine.advance(interpreter, run, from_state, NO_REQUEST, now)
        error = (record.outcome or {}).get("error") or {}
        detail = {"retriedBy": by, "reason": reason, "failedAt": record.current_state, "failedWith": error.get("code")}
        try:
            after = await engine.commit(record, run, "retry", now, detail)
        except ConcurrentUpdate as conflict:
            raise ConcurrentUpdate(
                f"journey '{journey_id}' changed while it was retried; nothing was applied"
            ) from conflict
        return Snapshot(after, interpreter.definition)

    async def submit_for(
        self, journey_id: str, step_id: str, body: Any, *, by: str | None, reason: str | None
    ) -> Snapshot:
        engine = self._engine
        record, interpreter = await engine.load(journey_id)
        step = interpreter.definition.external_input(step_id)
        if step is None:
            raise StepNotFound(f"'{step_id}' is no step of journey '{record.journey_name}'")
        if not waits_at(record, interpreter.definition, step_id):
            raise StepNotActive(f"journey '{journey_id}' is not waiting at step '{step_id}'")
        errors = step.input_schema.errors(body)
        if errors:
            raise InvalidInput(f"the body does not match the input schema of step '{step_id}'", errors)
        now = engine.clock()
        run = run_from(record)
        run.context["payload"] = run.request = body
        run.path.append(step.id)
        run.resumed_from = step.id
        scope = interpreter.definition.step_scopes.get(step.id, "")
        await engine.advance(interpreter, run, step.next, InboundRequest(operator=by or OPERATOR), now, scope)
        detail = {"step": step.id, "submittedBy": by, "reason": reason}
        after = await engine.commit(record, run, "step", now, detail)
        return engine.snapshot(after, interpreter.definition, step)
