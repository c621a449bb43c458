"""Parsing of `timer` states (durable in-journey delays) and of `spec.execution` (the whole-run deadline).

Literal durations and instants are parsed here, once, so a typo such as `PT5` rejects the definition with its
field instead of failing the journey when it gets there; a mapper is compiled and its result parsed on entry.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from journeys.definitions.durations import Duration, TimeFormatError, parse_duration, parse_instant
from journeys.definitions.fields import Block, describe
from journeys.definitions.mappers import compile_mapper
from journeys.definitions.model import CompiledExpression, ExecutionDeadline, TimerState


def parse_timer_state(block: Block, state_id: str) -> TimerState | None:
    block.allow("type", "timer", "next")
    next_state = block.state_ref("next", required=True)
    timer = block.block("timer", required=True)
    if timer is None:
        return None
    timer.allow("duration", "until")
    if timer.has("duration") == timer.has("until"):
        timer.report(None, "declare exactly one of 'duration' (e.g. PT5M) and 'until' (an RFC 3339 timestamp)")
        return None
    duration = _literal_or_mapper(timer, "duration", parse_duration) if timer.has("duration") else None
    until = _literal_or_mapper(timer, "until", parse_instant) if timer.has("until") else None
    if next_state is None or (duration is None and until is None):
        return None
    return TimerState(id=state_id, next=next_state, duration=duration, until=until)  # type: ignore[arg-type]


def _literal_or_mapper(timer: Block, key: str, parse: Any) -> Duration | datetime | CompiledExpression | None:
    """A literal string parsed now, or `{mapper: {lang, expr}}` compiled now and evaluated on entry."""
    value = timer.data[key]
    if isinstance(value, str):
        try:
            parsed: Duration | datetime = parse(value)
        except TimeFormatError as error:
            timer.report(key, str(error))
            return None
        return parsed
    holder = timer.block(key)
    if holder is None:
        return None
    holder.allow("mapper")
    mapper = holder.block("mapper", required=True)
    if mapper is None:
        return None
    return compile_mapper(mapper)


def parse_execution(execution: Block) -> ExecutionDeadline | None:
    """`spec.execution`: `maxDurationSec` and what happens when it runs out (`onTimeout`: errorCode + reason to
    fail the journey, or `next` to route it to a state of its own)."""
    execution.allow("maxDurationSec", "onTimeout")
    seconds = execution.positive_int("maxDurationSec")
    if not execution.has("maxDurationSec"):
        execution.missing("maxDurationSec", " (the whole-run budget in seconds)")
    on_timeout = execution.block("onTimeout", required=True)
    if on_timeout is None or seconds is None:
        return None
    on_timeout.allow("errorCode", "reason", "next")
    if on_timeout.has("next"):
        if on_timeout.has("errorCode") or on_timeout.has("reason"):
            on_timeout.report("next", "declare either 'next' (route the journey) or 'errorCode'/'reason' (fail it)")
        target = on_timeout.state_ref("next")
        return None if target is None else ExecutionDeadline(seconds, next=target)
    code = on_timeout.string("errorCode", required=True)
    reason = on_timeout.string("reason")
    if code is not None and not code.strip():
        on_timeout.report("errorCode", f"must not be empty, not {describe(code)}")
        return None
    return None if code is None else ExecutionDeadline(seconds, error_code=code, reason=reason or code)
