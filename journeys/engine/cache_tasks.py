"""`cache:v1` in a run: a put is kept on the run and written with the advance's commit; a get reads the cache.

The interpreter stays pure: a get that the run itself cannot answer stops the run with `run.pending_read`, which
the engine's advance loop performs (one indexed read, outside any transaction, like an outbound call) before it
writes the value into the context and continues at the task's `next`. A get of a key this advance has put
already is answered from the run (read-your-writes: that put is not committed yet). A put is a `CachePut` among
the run's side effects, so the cache changes exactly when the advance commits: a crash or a lost
compare-and-set writes nothing, and the re-run puts again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import orjson

from journeys.definitions.cache_task import CacheTask
from journeys.definitions.model import TaskState
from journeys.engine.runs import InboundRequest, Run
from journeys.engine.state_failure import StateFailure
from journeys.expressions import ExpressionEvaluationError
from journeys.store.cache_entries import CacheStore
from journeys.store.effect_records import CachePut

if TYPE_CHECKING:
    from journeys.engine.interpreter import Interpreter

MAX_KEY_LENGTH = 512  # the cache_entry key column, prefix included


@dataclass(frozen=True, slots=True)
class CacheSettings:
    """The deployment's cache (`cache*` server settings): the TTL of puts that set none, and a key prefix that
    keeps deployments sharing a database apart."""

    default_ttl: timedelta = timedelta(seconds=300)
    key_prefix: str = ""


DEFAULT_CACHE = CacheSettings()


@dataclass(frozen=True, slots=True)
class PendingRead:
    """A `get` the engine performs before the run goes on: the value lands at `context.<result_var>`."""

    state_id: str
    key: str
    result_var: str
    next: str
    scope: str = ""
    """The parallel branch the task runs in ("" for the journey's own states): the run goes on there."""


def check_storable(state: TaskState, value: Any, what: str) -> None:
    """Fail the state now, rather than the commit, when `value` cannot be written as JSON (nested deeper than
    orjson writes): the commit is shared with other advances, and its failure would be theirs too."""
    try:
        orjson.dumps(value)
    except orjson.JSONEncodeError as error:
        raise StateFailure(f"VALUE_NOT_STORABLE:{state.id}", f"state '{state.id}': the {what}: {error}") from None


def key_string(value: Any) -> str | None:
    """A mapper result as a key: strings as they are, other JSON values as compact JSON (`42`, `true`,
    `{"a":1}` with sorted keys); None for null."""
    if value is None or isinstance(value, str):
        return value
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def _key(state: TaskState, task: CacheTask, run: Run, platform: Any, settings: CacheSettings) -> str:
    value = task.key.evaluate(run.context, run.context.get("payload"), platform)
    check_storable(state, value, "cache key")
    key = key_string(value)
    if key is None:
        raise StateFailure(f"CACHE_KEY_INVALID:{state.id}", f"state '{state.id}': the cache key is null")
    key = settings.key_prefix + key
    if len(key) > MAX_KEY_LENGTH or "\x00" in key:
        reason = f"state '{state.id}': a cache key is at most {MAX_KEY_LENGTH} characters (prefix included), no NUL"
        raise StateFailure(f"CACHE_KEY_INVALID:{state.id}", reason)
    return key


def run_cache_task(
    state: TaskState, task: CacheTask, run: Run, platform: Any, settings: CacheSettings, now: datetime
) -> str | None:
    """Execute the task; the next state, or None when the run must wait for `run.pending_read`."""
    try:
        key = _key(state, task, run, platform, settings)
        if task.operation == "put":
            assert task.value is not None
            value = task.value.evaluate(run.context, run.context.get("payload"), platform)
            check_storable(state, value, "cache value")
            ttl = settings.default_ttl if task.ttl_seconds is None else timedelta(seconds=task.ttl_seconds)
            run.side_effects.cache_puts.append(CachePut(key, value, now, now + ttl, len(run.path)))
            return state.next
    except ExpressionEvaluationError as error:
        raise StateFailure(f"EXPRESSION_ERROR:{state.id}", f"state '{state.id}': {error}") from error
    assert task.result_var is not None
    for put in reversed(run.side_effects.cache_puts):
        if put.key == key:
            run.context[task.result_var] = put.value if put.expires_at > now else None
            return state.next
    run.pending_read = PendingRead(state.id, key, task.result_var, state.next, run.scope)
    return None


async def perform_read(
    cache: CacheStore, interpreter: Interpreter, run: Run, request: InboundRequest, now: datetime
) -> None:
    """Read the value `run.pending_read` waits for into the context and run on from the task's `next`."""
    read = run.pending_read
    assert read is not None
    run.pending_read = None
    run.context[read.result_var] = await cache.get(read.key, now)
    interpreter.advance(run, read.next, request, now, read.scope)
