"""What the interpreter does with time: entering a `timer` state, arming the journey's deadline, and dropping the
timers of a pause the run moves on from. The timers themselves are fired by `journeys.engine.timer_desk`."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from journeys.definitions.durations import Duration, TimeFormatError, parse_duration, parse_instant
from journeys.definitions.model import JourneyDefinition, TimerState
from journeys.engine.runs import Run
from journeys.engine.state_failure import StateFailure
from journeys.expressions import ExpressionEvaluationError
from journeys.store import Timer


def leave_pause(run: Run) -> None:
    """The run moves on from where it paused: the timers of that pause go (the journey's deadline stays); a step
    timeout is kept aside, for a submission that routes back to its own step."""
    step_timer = run.timers.pop("step-timeout", None)
    if step_timer is not None:
        run.left_step_timer = step_timer
    run.timers.pop("timer", None)
    run.timers.pop("retry", None)


def arm_deadline(definition: JourneyDefinition, run: Run) -> None:
    """Arm `spec.execution`'s deadline on a new journey: its budget runs from the start, whatever it waits for."""
    execution = definition.execution
    if execution is not None:
        at = run.started_at + timedelta(seconds=execution.max_duration_sec)
        run.timers["deadline"] = Timer("deadline", "", at)


def enter_timer(state: TimerState, run: Run, now: datetime, platform: Any) -> str | None:
    """Pause until the timer's due time; a due time already past goes straight on (no pause, no commit)."""
    due = _due_time(state, run, now, platform)
    if due <= now:
        return state.next
    run.context.pop("payload", None)
    run.timers["timer"] = Timer("timer", state.id, due)
    run.inbound_open = False
    run.waiting = True
    return None


def _due_time(state: TimerState, run: Run, now: datetime, platform: Any) -> datetime:
    spec = state.duration if state.duration is not None else state.until
    value: Any = spec
    if not isinstance(spec, Duration | datetime):
        try:
            value = spec.evaluate(run.context, run.context.get("payload"), platform)  # type: ignore[union-attr]
        except ExpressionEvaluationError as error:
            raise StateFailure(f"EXPRESSION_ERROR:{state.id}", f"state '{state.id}': {error}") from error
        try:
            value = parse_duration(value) if state.duration is not None else parse_instant(value)
        except TimeFormatError as error:
            raise StateFailure(f"TIMER_INVALID:{state.id}", f"state '{state.id}': {error}") from error
    return value.after(now) if isinstance(value, Duration) else value
