"""`schedule:v1` tasks: a journey binds future, non-interactive runs of itself from one of its states.

Literal values (`startAt`, `interval`, `maxRuns`) are checked here, once, so a typo rejects the definition with its
field; a mapper is compiled here and its result checked when the task runs. The scheduled path (every state
reachable from the task's `start`) must not pause for outside input, since nobody is there to give it: that is
decided at load from the state graph, naming the offending states.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from journeys.definitions.durations import Duration, TimeFormatError, parse_duration, parse_instant
from journeys.definitions.fields import Block, LoadContext, describe
from journeys.definitions.mappers import compile_mapper
from journeys.definitions.model import CompiledExpression, ExternalInputState, State, TaskState
from journeys.definitions.source import state_of

ON_EXISTING = ("fail", "upsert", "addAnother")
# Schedules are coarse: an interval shorter than this is refused (ADR-0017 lets engines set a floor).
MIN_INTERVAL = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class ScheduleTask:
    """`schedule:v1`: each field a literal (checked at load) or a compiled mapper (checked when the task runs)."""

    start: str
    interval: str | CompiledExpression
    """A literal ISO-8601 duration as written (checked at load: it is stored as the binding's cadence)."""
    max_runs: int | CompiledExpression
    start_at: datetime | CompiledExpression | None = None
    subject_id: CompiledExpression | None = None
    context: CompiledExpression | None = None
    on_existing: Literal["fail", "upsert", "addAnother"] = "fail"
    kind: str = "schedule:v1"


def check_interval(interval: Duration) -> str | None:
    """Why `interval` cannot be a schedule's cadence (None: it can)."""
    if not interval.months and interval.exact < MIN_INTERVAL:
        return "a schedule interval must be at least one minute (PT1M)"
    return None


def check_max_runs(value: Any) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return None
    return f"maxRuns must be a positive integer, not {describe(value)}"


def parse_schedule(block: Block) -> ScheduleTask | None:
    block.allow("kind", "start", "startAt", "interval", "maxRuns", "subjectId", "context", "onExisting")
    start = block.state_ref("start", required=True)
    interval = _literal_or_mapper(block, "interval", _interval, required=True)
    max_runs = _literal_or_mapper(block, "maxRuns", _max_runs, required=True)
    start_at = _literal_or_mapper(block, "startAt", parse_instant, required=False)
    subject_id = _mapper_only(block, "subjectId")
    context = _mapper_only(block, "context")
    on_existing = block.one_of("onExisting", ON_EXISTING, default="fail")
    if start is None or interval is None or max_runs is None or on_existing is None:
        return None
    if (block.has("startAt") and start_at is None) or (block.has("subjectId") and subject_id is None):
        return None
    if block.has("context") and context is None:
        return None
    return ScheduleTask(
        start=start,
        interval=interval,
        max_runs=max_runs,
        start_at=start_at,
        subject_id=subject_id,
        context=context,
        on_existing=on_existing,  # type: ignore[arg-type]
    )


def _interval(text: Any) -> str:
    problem = check_interval(parse_duration(text))
    if problem is not None:
        raise TimeFormatError(problem)
    return str(text)


def _max_runs(value: Any) -> int:
    problem = check_max_runs(value)
    if problem is not None:
        raise TimeFormatError(problem)
    return int(value)


def _literal_or_mapper(block: Block, key: str, parse: Any, *, required: bool) -> Any:
    """A literal parsed now (`parse` raises TimeFormatError), or `{mapper: {lang, expr}}` compiled now."""
    if not block.has(key):
        if required:
            block.missing(key)
        return None
    value = block.data[key]
    if not isinstance(value, Mapping):
        try:
            return parse(value)
        except TimeFormatError as error:
            block.report(key, str(error))
            return None
    return _mapper_only(block, key)


def _mapper_only(block: Block, key: str) -> CompiledExpression | None:
    holder = block.block(key)
    if holder is None:
        return None
    holder.allow("mapper")
    mapper = holder.block("mapper", required=True)
    return None if mapper is None else compile_mapper(mapper)


def check_scheduled_paths(ctx: LoadContext, kind: str | None, states: Mapping[str, State]) -> None:
    """Report schedule tasks in an Api, and `wait`/`webhook` states a scheduled run could reach (by state id)."""
    edges: defaultdict[str | None, set[str]] = defaultdict(set)
    for reference in ctx.references:
        edges[state_of(reference.location)].add(reference.target)
    for state in states.values():
        if not isinstance(state, TaskState) or not isinstance(state.task, ScheduleTask):
            continue
        location = ("spec", "states", state.id, "task", "kind")
        if kind == "Api":
            ctx.report(location, "a schedule:v1 task cannot be used in kind: Api (it binds runs of a stored journey)")
            continue
        reached, pending = {state.task.start}, [state.task.start]
        while pending:
            for target in edges[pending.pop()]:
                if target not in reached:
                    reached.add(target)
                    pending.append(target)
        interactive = sorted(s for s in reached if isinstance(states.get(s), ExternalInputState))
        if interactive:
            ctx.report(
                ("spec", "states", state.id, "task", "start"),
                f"scheduled runs from '{state.task.start}' must not wait for input, but can reach "
                f"{', '.join(repr(s) for s in interactive)} (wait/webhook): nobody is there to submit it",
            )
