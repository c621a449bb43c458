"""Running a `schedule:v1` task: evaluate its fields into a binding request the advance commits with the journey.

The task is pure, like every state: it only appends a `ScheduleRequest` to the run; the journey store writes it in
the advance's own transaction (journeys.store.schedules), so a binding exists exactly when the advance that ran
its task committed. Whether a binding with the same identity exists (`onExisting: fail`) is only known there: the
commit then raises `ScheduleExists`, and `fail_at_clash` makes the run fail at the task instead, as if it had
gone no further, before the commit is tried again.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from journeys.definitions.durations import TimeFormatError, parse_duration, parse_instant
from journeys.definitions.model import JourneyDefinition, TaskState
from journeys.definitions.schedule_task import ScheduleTask, check_interval, check_max_runs
from journeys.engine.context_writes import json_copy
from journeys.engine.ids import time_ordered_id
from journeys.engine.lifecycle import RUNNING
from journeys.engine.runs import Run
from journeys.engine.state_failure import StateFailure
from journeys.expressions import ExpressionEvaluationError
from journeys.store.schedules import ScheduleExists, ScheduleRequest

if TYPE_CHECKING:
    from journeys.definitions.model import CompiledExpression
    from journeys.engine.interpreter import Interpreter


MAX_INTERVAL_TEXT = 64  # the binding's `interval` column


def enter_schedule(
    state: TaskState, task: ScheduleTask, run: Run, now: datetime, platform: Any, definition: JourneyDefinition
) -> str:
    """Ask the advance's commit to bind `task`'s schedule; the run goes straight on to the task's `next`."""
    start_at = _value(state, task.start_at, run, platform)
    interval = _value(state, task.interval, run, platform)
    max_runs = _value(state, task.max_runs, run, platform)
    subject = _value(state, task.subject_id, run, platform)
    context = run.context if task.context is None else _value(state, task.context, run, platform)
    try:
        at = now if start_at is None else start_at if isinstance(start_at, datetime) else parse_instant(start_at)
        cadence = parse_duration(interval)
        cadence.after(at)  # a cadence whose next occurrence is past the calendar's end cannot be kept
    except TimeFormatError as error:
        raise _invalid(state, str(error)) from error
    except (OverflowError, ValueError) as error:  # parsed, but out of datetime's range
        raise _invalid(state, f"the schedule runs past the year 9999 ({error})") from error
    if len(interval) > MAX_INTERVAL_TEXT:
        raise _invalid(state, f"the interval must be at most {MAX_INTERVAL_TEXT} characters")
    if isinstance(max_runs, float) and max_runs.is_integer():
        max_runs = int(max_runs)  # a JSON number read back as 12.0 is still twelve runs
    problem = check_interval(cadence) or check_max_runs(max_runs)
    if problem is not None:
        raise _invalid(state, problem)
    if subject is not None and (not isinstance(subject, str) or not subject):
        raise _invalid(state, f"subjectId must be a non-empty string, not {subject!r}")
    if not isinstance(context, dict):
        raise _invalid(state, f"the context of scheduled runs must be an object, not {type(context).__name__}")
    run.schedules.append(
        ScheduleRequest(
            state_id=state.id,
            path_length=len(run.path),
            journey_name=definition.name,
            journey_version=definition.version,
            definition_digest=definition.digest,
            start_state=task.start,
            subject_id=subject,
            start_at=at,
            interval=interval.strip(),
            max_runs=max_runs,
            context=json_copy(context),  # a copy: the run goes on changing its own
            on_existing=task.on_existing,
            schedule_id=time_ordered_id(),
        )
    )
    return state.next


def _value(state: TaskState, spec: Any, run: Run, platform: Any) -> Any:
    """A literal as parsed at load, or the mapper's result (None when the field is absent)."""
    if spec is None or isinstance(spec, str | datetime | int):
        return spec
    mapper: CompiledExpression = spec
    try:
        return mapper.evaluate(run.context, run.context.get("payload"), platform)
    except ExpressionEvaluationError as error:
        raise StateFailure(f"EXPRESSION_ERROR:{state.id}", f"state '{state.id}': {error}") from error


def _invalid(state: TaskState, problem: str) -> StateFailure:
    return StateFailure(f"SCHEDULE_INVALID:{state.id}", f"state '{state.id}': {problem}")


def fail_at_clash(interpreter: Interpreter, run: Run, clash: ScheduleExists) -> None:
    """Fail the run at the `onExisting: fail` task whose binding exists: the states after it leave its path and
    the bindings they asked for are dropped (so is the clashing one: nothing is created or changed)."""
    task = clash.request
    del run.path[task.path_length :]
    run.schedules = [request for request in run.schedules if request.path_length < task.path_length]
    run.side_effects.cut(task.path_length)  # and the cache puts and Kafka records of those states
    run.state, run.phase, run.outcome = task.state_id, RUNNING, None  # it may have ended after the task
    run.lineage.compensation = None  # planned for the end it no longer has: the failure plans its own
    interpreter.fail(run, f"SCHEDULE_EXISTS:{task.state_id}", clash.reason)
