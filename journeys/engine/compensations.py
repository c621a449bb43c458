"""`spec.compensation`: after a journey ends Failed (or Succeeded, when an `alsoFor` rule holds), its compensation
graph runs as a journey of its own, linked to it (`parent_id`; graph `COMPENSATION_GRAPH`).

Durably: the compensation journey is planned when the interpreter settles the terminal advance (`plan`), and its row
is inserted, runnable, in the same transaction as the journey's end (journeys.engine.lineage). After the commit this
process runs it under a run lease; a crash before that leaves a runnable row that recovery runs. So an ended journey
never misses its compensation, and never gets two.

Its context is a copy of the journey's context at the end, with the read-only `outcome` binding of DSL 2.5 added as
`context.outcome` (a DataWeave `outcome.x` reads it). `alsoFor` predicates see `output` and `outcome` the same way.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from journeys.definitions.model import FailState, JourneyDefinition, ParallelState
from journeys.definitions.subjourney_model import SubjourneyState
from journeys.engine.context_writes import json_copy
from journeys.engine.ids import time_ordered_id
from journeys.engine.lifecycle import SUCCEEDED, TERMINAL_PHASES
from journeys.engine.lineage import PlannedCompensation
from journeys.engine.runs import Run
from journeys.expressions import ExpressionEvaluationError

if TYPE_CHECKING:
    from journeys.engine.interpreter import Interpreter

log = logging.getLogger("journeys.engine")


def plan(interpreter: Interpreter, run: Run) -> None:
    """When `run` just ended a top-level journey whose end calls for compensation, plan it on `run.lineage`."""
    definition = interpreter.definition
    compensation = definition.compensation
    lineage = run.lineage
    if compensation is None or run.phase not in TERMINAL_PHASES or lineage.parent_id is not None:
        return
    if lineage.compensation is not None:
        return
    outcome = run.outcome or {}
    binding = outcome_binding(definition, run)
    if run.phase == SUCCEEDED:
        probe = {**run.context, "output": outcome.get("output"), "outcome": binding}
        if not any(_holds(rule, probe, interpreter.platform(run)) for rule in compensation.also_for):
            return
    context = json_copy(run.context)
    context["outcome"] = binding
    lineage.compensation = PlannedCompensation(time_ordered_id(), compensation.start, context)


def outcome_binding(definition: JourneyDefinition, run: Run) -> dict[str, Any]:
    """The `outcome` of DSL 2.5: how the journey ended, for compensation logic to branch on."""
    error = (run.outcome or {}).get("error") or {}
    code = error.get("code")
    execution = definition.execution
    if run.phase == SUCCEEDED:
        kind = "Success"
    elif code == "JOURNEY_CANCELLED":
        kind = "Cancel"
    elif execution is not None and code == (execution.error_code or "JOURNEY_TIMEOUT"):
        kind = "Timeout"
    elif isinstance(definition.states.get(run.state), FailState | SubjourneyState | ParallelState):
        kind = "Fail"  # a fail state, or a failure inside a child or a parallel's branch
    else:
        kind = "RuntimeError"
    return {
        "phase": "SUCCEEDED" if run.phase == SUCCEEDED else "FAILED",
        "terminationKind": kind,
        "error": {"code": code, "reason": error.get("reason")},
        "terminatedAtState": run.state,
        "journeyId": run.journey_id,
        "journeyName": definition.name,
    }


def _holds(rule: Any, probe: dict[str, Any], platform: Any) -> bool:
    if rule is None:
        return True
    try:
        return rule.evaluate(probe, None, platform) is True
    except ExpressionEvaluationError as error:
        log.warning("compensation alsoFor predicate failed (no compensation for it): %s", error)
        return False
