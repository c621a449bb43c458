"""What the engine reports (`journeys.engine.observer`), counted in the metrics and written to the log.

One line per committed transition at INFO on `journeys.transitions` (journey, id, event, from -> to state), and
one at WARNING for a journey that ended Failed, with its error code and reason (at INFO when an operator or client
cancelled it: that was asked for, nothing went wrong). The lines carry their values as structured fields too,
which `--log-format json` writes as keys of their own.
"""

from __future__ import annotations

import logging

from journeys.engine.lifecycle import FAILED, TERMINAL_PHASES
from journeys.engine.observer import EngineObserver
from journeys.server.observability.log_format import write_line
from journeys.server.observability.metrics import Metrics
from journeys.store import InstanceRecord

log = logging.getLogger("journeys.transitions")

NO_STEP = "unknown"  # the label of a submission to a step the journey does not have
TRANSITION = "%s %s %s: %s -> %s (%s)"  # journey, id, event: from -> to (phase)


def _transition(before: InstanceRecord | None, after: InstanceRecord, event: str) -> tuple[str, ...]:
    origin = "-" if before is None else before.current_state
    return after.journey_name, after.id, event, origin, after.current_state, after.phase


def _fields(before: InstanceRecord | None, after: InstanceRecord, event: str) -> dict[str, object]:
    return {
        "journey": after.journey_name,
        "journeyId": after.id,
        "event": event,
        "fromState": None if before is None else before.current_state,
        "toState": after.current_state,
        "phase": after.phase,
    }


class JourneyEvents(EngineObserver):
    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def committed(self, before: InstanceRecord | None, after: InstanceRecord, event: str) -> None:
        metrics, journey = self._metrics, after.journey_name
        if before is None:
            metrics.started(journey).inc()
        metrics.transitions(journey, event).inc()
        if log.isEnabledFor(logging.INFO):
            write_line(log, logging.INFO, TRANSITION, _transition(before, after, event), _fields(before, after, event))
        if after.phase not in TERMINAL_PHASES:
            return
        error = (after.outcome or {}).get("error") or {}
        code, reason = error.get("code"), error.get("reason")
        metrics.outcomes(journey, after.phase, str(code or "")).inc()
        level = logging.INFO if event == "cancel" else logging.WARNING
        if after.phase == FAILED and log.isEnabledFor(level):
            fields = {**_fields(before, after, event), "errorCode": code, "reason": reason}
            write_line(log, level, "%s %s failed: %s: %s", (journey, after.id, code, reason), fields)

    def step_answered(self, journey: str, step: str | None, verdict: str) -> None:
        self._metrics.step_submissions(journey, step or NO_STEP, verdict).inc()

    def delivery_answered(self, source: str, verdict: str) -> None:
        self._metrics.deliveries(source, verdict).inc()

    def result_pushed(self, outcome: str) -> None:
        self._metrics.result_pushes(outcome).inc()

    def called(self, journey: str, state: str, seconds: float, status: int | None, failure: str | None) -> None:
        metrics = self._metrics
        metrics.call_seconds(journey, state).observe(seconds)
        kind = failure.lower() if failure is not None else "5xx" if status is not None and status >= 500 else None
        if kind is not None:
            metrics.call_failures(journey, state, kind).inc()
