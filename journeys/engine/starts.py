"""Starting journeys, once per idempotency key.

A start may carry an idempotency key: one its definition derives from the body (`spec.lifecycle.idempotencyKey`),
else the caller's (`Idempotency-Key`). Its scope is (principal, journey name, key). The first start with a key
stores the answer it was given next to the key, in the same transaction as the new journey; a retry with the
same body gets that answer back, byte for byte, and starts nothing; a different body with the key is refused.

Racing starts with one key are settled by the key's unique row: the loser wrote nothing and answers with the
winner's answer. Within one process a retry also waits for a start with its key still in flight, and a start
whose sync part makes HTTP calls looks its key up before running, so those calls are not made twice.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import orjson

from journeys.definitions.model import JourneyDefinition
from journeys.engine.context_writes import json_copy
from journeys.engine.errors import (
    CorrelationKeyInUse,
    IdempotencyKeyReused,
    InvalidInput,
)
from journeys.engine.ids import time_ordered_id
from journeys.engine.inbound_messages import Answer
from journeys.engine.inbox import PRUNE_EVERY
from journeys.engine.instance_metadata import index_rows, instance_metadata
from journeys.engine.interpreter import Interpreter
from journeys.engine.lifecycle import SUCCEEDED
from journeys.engine.request_bindings import bind_to_context, request_bindings
from journeys.engine.runs import InboundRequest, Run
from journeys.engine.schedule_tasks import fail_at_clash
from journeys.engine.snapshots import Snapshot, record_of, transition_of
from journeys.engine.timer_states import arm_deadline
from journeys.expressions import ExpressionEvaluationError
from journeys.store import KeyInUse, StartKeyRecord
from journeys.store.schedules import ScheduleExists

if TYPE_CHECKING:
    from journeys.engine.service import JourneyEngine

DEFAULT_IDEMPOTENCY_WINDOW = timedelta(hours=24)


# The server renders a start's answer (stored with its idempotency key, to be replayed).
RenderStart = Callable[[Snapshot], Answer]


@dataclass(frozen=True, slots=True)
class Started:
    """What a start did. `snapshot` is the journey as just committed or, for a replay, as it is now; `answer`
    is the answer to give (None when no renderer was passed), and a replay's is the first start's answer."""

    snapshot: Snapshot
    answer: Answer | None
    replayed: bool = False
    set_cookies: tuple[str, ...] = ()
    """`spec.cookies.returnToClient` of a sync start that succeeded; never stored, so a replay carries none."""


def fingerprint(body: Any) -> str:
    """The same JSON document gives the same fingerprint whatever its key order or whitespace."""
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


def scope_key(principal: str | None, journey_name: str, key: str) -> str:
    """A fixed-width unique key for (principal, journey, key): a JSON array, so no separator can be forged. The
    key goes in as its UTF-8 bytes, so even a lone surrogate (which JSON cannot carry) is hashed, not refused."""
    scope = orjson.dumps([principal, journey_name, key.encode("utf-8", "surrogatepass").decode("latin-1")])
    return hashlib.sha256(scope).hexdigest()


class StartDesk:
    """`JourneyEngine.start`: validates, runs the sync part, commits the journey (with its key), or replays."""

    def __init__(self, engine: JourneyEngine, window: timedelta = DEFAULT_IDEMPOTENCY_WINDOW) -> None:
        self.engine = engine
        self.window = window
        self._in_flight: dict[str, tuple[asyncio.Lock, int]] = {}
        self._pruned_at: datetime | None = None

    async def start(
        self,
        interpreter: Interpreter,
        body: Any,
        request: InboundRequest,
        *,
        principal: str | None,
        idempotency_key: str | None,
        answer: RenderStart | None,
    ) -> Started:
        definition = interpreter.definition
        check_start_body(definition, body)
        # A journey that derives its key from the input is idempotent on it whatever the caller sends: one
        # journey per payment holds even for a client that makes up a new Idempotency-Key per attempt.
        key = _derived_key(definition, body) or idempotency_key
        if key is None:
            started = await self._create(interpreter, body, request, principal, None, answer)
            assert isinstance(started, Started)  # without a key there is nothing to lose a race for
            return started
        scope, digest = scope_key(principal, definition.name, key), fingerprint(body)
        async with self._one_at_a_time(scope):
            # A start that calls out before its commit looks for its key first, so a retry never repeats those
            # calls. Any other start goes straight to its claim (a fresh key, the common case, costs no read): a
            # retry then runs its sync part in memory only to lose the claim and be answered as the first start.
            if interpreter.start_calls_out:
                held = await self.engine.store.start_keys.get(scope, self.engine.clock())
                if held is not None:
                    return await self._replay(held, digest, principal)
            started = await self._create(interpreter, body, request, principal, (scope, digest), answer)
            if isinstance(started, StartKeyRecord):  # another process won the race for the key
                return await self._replay(started, digest, principal)
            return started

    async def _create(
        self,
        interpreter: Interpreter,
        body: dict[str, Any],
        request: InboundRequest,
        principal: str | None,
        claim: tuple[str, str] | None,
        answer: RenderStart | None,
    ) -> Started | StartKeyRecord:
        """Run and insert a new journey, with the key `claim` (scope, fingerprint) names, if any. Returns what was
        started, with its answer rendered before the commit (a key stores it in the same transaction); or the
        key's holder when another start claimed it first, and then nothing was written."""
        engine, definition = self.engine, interpreter.definition
        now = engine.clock()
        tags, attributes = instance_metadata(definition, body, request.headers)  # before the run changes the body
        run = Run(time_ordered_id(), definition.start, body, now)
        bind_to_context(request_bindings(definition, None), run.context, request)  # spec.bindings.http.start
        arm_deadline(definition, run)
        run.redact = definition.redact
        run.callback_url = engine.result_push.callback_url(definition, body)
        # The body is the context the run changes in place: the history keeps it as it came.
        run.request = json_copy(body) if definition.start_mode == "sync" else body
        if definition.start_mode == "sync":
            await engine.advance(interpreter, run, definition.start, request, now)
        if tags or attributes:  # indexed with the insert; advances never rewrite them (write-once)
            run.search_keys = {**index_rows(tags, attributes), **(run.search_keys or {})}
        while True:
            record = record_of(
                run,
                definition.name,
                definition.version,
                definition.digest,
                created_at=now,
                updated_at=now,
                version=1,
                started_by=principal,
            )
            snapshot = Snapshot(record, definition)
            rendered = None if answer is None else answer(snapshot)
            start_key = None
            if claim is not None:
                stored = None if rendered is None else rendered.stored()
                start_key = StartKeyRecord(claim[0], claim[1], record.id, stored, now, now + self.window)
            # An async start is run after its commit, by this process: leased to it from the start, so that no
            # other process takes it for abandoned while it waits its turn or runs (journeys.engine.recovery).
            lease = engine.recovery.start_lease(now) if definition.start_mode == "async" else None
            try:
                holder = await engine.store.insert(
                    record, transition_of(record, "start", None, run, now), start_key=start_key, run_lease=lease
                )
                break
            except ScheduleExists as clash:  # the run fails at its schedule:v1 task instead, and that is inserted
                fail_at_clash(interpreter, run, clash)
            except KeyInUse as error:
                raise CorrelationKeyInUse(
                    f"another journey is already waiting for {record.inbound_source} key '{record.inbound_key}';"
                    " nothing was started"
                ) from error
        if holder is not None:
            return holder
        if lease is not None:
            engine.recovery.adopt(record.id, lease.until)
            engine.spawn(engine.resume(record.id))
        engine.after_commit(None, record, "start")
        returned = run.jar.returned() if run.jar is not None and record.phase == SUCCEEDED else []
        return Started(snapshot, rendered, set_cookies=tuple(returned))

    async def _replay(self, held: StartKeyRecord, digest: str, principal: str | None) -> Started:
        if held.fingerprint != digest:
            raise IdempotencyKeyReused(
                "this idempotency key was used with a different start body (journey "
                f"{held.journey_id}); send the same body to get its answer again, or a new key to start another"
            )
        snapshot = await self.engine.get(held.journey_id, owner=principal)
        answer = None if held.answer is None else Answer.from_stored(held.answer)
        return Started(snapshot, answer, replayed=True)

    @asynccontextmanager
    async def _one_at_a_time(self, scope: str) -> AsyncIterator[None]:
        """Starts with one scope run one after the other in this process (other processes: the unique row)."""
        lock, users = self._in_flight.get(scope, (asyncio.Lock(), 0))
        self._in_flight[scope] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._in_flight[scope]
            if users == 1:
                del self._in_flight[scope]
            else:
                self._in_flight[scope] = (lock, users - 1)

    async def prune(self, now: datetime) -> int:
        """Once a minute (the scheduler's sweep), forget keys whose window ended; returns how many were dropped.

        A start with an expired key is a new start even before this runs: the claim replaces an expired key.
        """
        if self._pruned_at is not None and now - self._pruned_at < PRUNE_EVERY:
            return 0
        self._pruned_at = now
        return await self.engine.store.start_keys.prune(now)


def check_start_body(definition: JourneyDefinition, body: Any) -> None:
    if not isinstance(body, dict):
        raise InvalidInput("the start body must be a JSON object", ["$: expected an object"])
    if definition.input_schema is not None:
        errors = definition.input_schema.errors(body)
        if errors:
            raise InvalidInput(f"the start body does not match the input schema of '{definition.name}'", errors)


def _derived_key(definition: JourneyDefinition, body: dict[str, Any]) -> str | None:
    """The key `spec.lifecycle.idempotencyKey` derives from the body; a body it cannot be derived from is refused
    rather than started without one (that would let a retry of it start a second journey)."""
    template = definition.idempotency_key
    if template is None:
        return None
    detail = f"the start body of '{definition.name}' has no value for its idempotency key '{template.source}'"
    try:
        key = template.render(body, body)
    except ExpressionEvaluationError as error:
        raise InvalidInput(detail, [str(error)]) from error
    if not key:
        raise InvalidInput(detail, [f"{template.source}: the key is empty"])
    return key
