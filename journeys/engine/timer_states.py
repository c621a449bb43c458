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


def scoped(kind: str, scope: str) -> str:
    """The timer kind of `kind` in `scope`: a parallel branch's timers are its own (`timer@race/sla`)."""
    return f"{kind}@{scope}" if scope else kind


def unscoped(kind: str) -> tuple[str, str]:
    """(kind, scope) of a stored timer kind."""
    base, _, scope = kind.partition("@")
    return base, scope


def leave_pause(run: Run, scope: str = "") -> None:
    """The run (or the branch at `scope`) moves on from where it paused: the timers of that pause go (the journey's
    deadline stays); a step timeout is kept aside, for a submission that routes back to its own step."""
    step_timer = run.timers.pop(scoped("step-timeout", scope), None)
    if step_timer is not None:
        run.left_step_timer = step_timer
    run.timers.pop(scoped("timer", scope), None)
    run.timers.pop(scoped("retry", scope), None)


def pause_here(run: Run) -> None:
    """The run waits where it is: the whole journey, or only the branch the interpreter is running."""
    if run.scope:  # `since`: the branch that stopped last is the journey's `currentState`
        run.branches[run.scope].update(status="waiting", since=run.base_version + 1)
    else:
        run.inbound_open = False
        run.waiting = True


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
    kind = scoped("timer", run.scope)
    run.timers[kind] = Timer(kind, state.id, due)
    pause_here(run)
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
