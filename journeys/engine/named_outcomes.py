"""Classify an ended journey by its definition's `spec.outcomes` (see `journeys.definitions.named_outcomes`).

The predicate sees `context` (the final context), `platform`, and `payload` bound to `{output, error}` of the
JourneyOutcome, the terminal state's own "payload" (as `apiResponses` predicates of `kind: Api` see `payload.error`).
A predicate that fails to evaluate, or gives anything but `true`, does not match: classification must never turn a
finished journey into a failure, so the failure is logged instead.
"""

from __future__ import annotations

import logging
from typing import Any

from journeys.definitions.model import JourneyDefinition
from journeys.definitions.named_outcomes import NamedOutcome
from journeys.engine.runs import Run
from journeys.expressions import ExpressionEvaluationError

log = logging.getLogger("journeys.engine")


def classify(
    journey: str, outcomes: tuple[NamedOutcome, ...], phase: str, context: Any, outcome: dict[str, Any], platform: Any
) -> str | None:
    """The id of the first outcome matching `phase` whose predicate holds, else None."""
    payload = {"output": outcome.get("output"), "error": outcome.get("error")}
    for named in outcomes:
        if named.phase != phase:
            continue
        if named.predicate is None:
            return named.id
        try:
            if named.predicate.evaluate(context, payload, platform) is True:
                return named.id
        except ExpressionEvaluationError as error:
            log.warning(
                "journey '%s': the predicate of outcome '%s' failed and did not match: %s", journey, named.id, error
            )
    return None


def name_outcome(definition: JourneyDefinition, run: Run, phase: str, platform: Any) -> None:
    """Add `outcomeId` to the outcome `run` just ended with, when one of the definition's outcomes matches."""
    outcome = run.outcome
    if outcome is None:
        return
    outcome_id = classify(definition.name, definition.outcomes, phase, run.context, outcome, platform)
    if outcome_id is not None:
        outcome["outcomeId"] = outcome_id
