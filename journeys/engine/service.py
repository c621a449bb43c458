"""The engine facade the server calls: start, submit a step, cancel, read, and fire timers/recovery.

Every method that changes a journey follows DESIGN.md: load the row, run the interpreter in memory,
then commit the new row (compare-and-set on `version`) together with its history row in one
transaction. Only after that commit does the method return, so the HTTP answer never gets ahead of
the database. A loser of the compare-and-set raises ConcurrentUpdate and has changed nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from journeys.definitions.inbound_model import InboundSource
from journeys.definitions.model import ExternalInputState, JourneyDefinition
from journeys.engine.api_endpoints import ApiEndpoints, split_kinds
from journeys.engine.api_keys import ApiKeyProfile
from journeys.engine.auth_checks import NO_CREDENTIALS, CredentialProfiles
from journeys.engine.cache_tasks import CacheSettings, perform_read
from journeys.engine.deliveries import DEFAULT_RETENTION, InboundDesk
from journeys.engine.errors import (
    ConcurrentUpdate,
    JourneyNotFound,
    NotCancellable,
    NotTerminal,
    UnknownJourneyDefinition,
)
from journeys.engine.http_calls import PendingCall
from journeys.engine.inbound_log import InboundLog
from journeys.engine.interpreter import Interpreter
from journeys.engine.interventions import Interventions
from journeys.engine.lifecycle import PHASES, TERMINAL_PHASES
from journeys.engine.migrations import Migrations
from journeys.engine.observer import EngineObserver, send_observed
from journeys.engine.outbound import NoOutboundHttp, OutboundError, OutboundHttp, OutboundResponse
from journeys.engine.platform_binding import PlatformConfigValues, check_platform_config, platform_base
from journeys.engine.recovery import RunRecovery
from journeys.engine.result_push import PushSettings, ResultPusher
from journeys.engine.runs import NO_REQUEST, InboundRequest, Run, run_from
from journeys.engine.schedule_desk import ScheduleDesk
from journeys.engine.schedule_tasks import fail_at_clash
from journeys.engine.scheduler_loop import run_scheduler
from journeys.engine.snapshots import Clock, Snapshot, successor, transition_of, utc_now
from journeys.engine.starts import DEFAULT_IDEMPOTENCY_WINDOW, RenderStart, StartDesk, Started
from journeys.engine.subjourneys import SubjourneyDesk
from journeys.engine.terminal_watch import TerminalWatch
from journeys.engine.timer_desk import TimerDesk
from journeys.engine.versions import DefinitionVersions
from journeys.expressions.evaluation_clock import EVALUATION_CLOCK, use_evaluation_clock
from journeys.outages import log_failure
from journeys.store import (
    AdvanceOutcome,
    DeliveryRecord,
    InboxClaim,
    InstanceRecord,
    JourneyFilter,
    JourneyStore,
    KeyInUse,
    TransitionRecord,
)
from journeys.store.schedules import ScheduleExists

log = logging.getLogger("journeys.engine")

__all__ = ["JourneyEngine", "Snapshot", "Started", "utc_now"]


class JourneyEngine:
    def __init__(
        self,
        definitions: Mapping[str, JourneyDefinition],
        store: JourneyStore,
        api_keys: Mapping[str, ApiKeyProfile],
        *,
        clock: Clock = utc_now,
        environment: str = "local",
        outbound: OutboundHttp | None = None,
        sources: Mapping[str, InboundSource] | None = None,
        inbound_secrets: Mapping[str, ApiKeyProfile] | None = None,
        inbound_retention: timedelta = DEFAULT_RETENTION,
        idempotency_window: timedelta = DEFAULT_IDEMPOTENCY_WINDOW,
        result_push: PushSettings | None = None,
        platform_config: PlatformConfigValues | None = None,
        cache: CacheSettings | None = None,
        credentials: CredentialProfiles = NO_CREDENTIALS,
    ) -> None:
        platform_config = platform_config or {}
        cache = cache or CacheSettings()
        check_platform_config(definitions.values(), platform_config)
        self.platform_config = platform_config
        self.cache_settings = cache
        self.store = store
        self._clock = clock
        journeys, apis = split_kinds(definitions)  # kind: Api is served per request, never stored (api_endpoints)
        interpreter_of = lambda d: Interpreter(  # noqa: E731
            d, api_keys, platform_base(d, environment, platform_config), cache, credentials
        )
        self.versions = DefinitionVersions(journeys, store, interpreter_of, sources or {})
        self.apis = ApiEndpoints(self, apis.values(), interpreter_of)
        self._outbound: OutboundHttp = outbound or NoOutboundHttp()
        self._background: set[asyncio.Task[Any]] = set()
        self.terminal = TerminalWatch()  # the server runs `terminal.follow` beside the scheduler
        self.inbound = InboundDesk(self, inbound_secrets or {}, inbound_retention)
        self.inbound_log = InboundLog(store, clock)
        self.starts = StartDesk(self, idempotency_window)
        # Result push: its delivery worker runs beside the scheduler (`result_push.run`, started by the server).
        self.result_push = ResultPusher(self, result_push or PushSettings(), self._outbound)
        self.migrations = Migrations(self)
        self.timers = TimerDesk(self)
        self.schedules = ScheduleDesk(self)  # starts the runs of schedule:v1 bindings as they fall due
        self.recovery = RunRecovery(self)
        self.interventions = Interventions(self)
        self.subjourneys = SubjourneyDesk(self)
        self.observer = EngineObserver()  # the server's observability sets one that counts and logs
        self.ticked_at: datetime | None = None  # when the scheduler began its last tick (readiness reads it)

    @property
    def clock(self) -> Clock:
        return self._clock

    @property
    def definitions(self) -> Mapping[str, JourneyDefinition]:
        """What new starts run, by journey name (the loaded definitions, or the versions the config pins)."""
        return self.versions.definitions

    # -- commands ---------------------------------------------------------------------------------

    async def start(
        self,
        journey_name: str,
        body: Any,
        request: InboundRequest = NO_REQUEST,
        *,
        principal: str | None = None,
        idempotency_key: str | None = None,
        answer: RenderStart | None = None,
    ) -> Started:
        """Create an instance started by `principal`; sync journeys run to their first pause or end first.

        `answer` renders the HTTP answer from the new journey's snapshot. With an idempotency key (given, or
        derived by the definition) that answer is committed with the journey, and a retry of the start gets it
        back instead of a second journey (see `journeys.engine.starts`).
        """
        interpreter = self.versions.newest.get(journey_name)
        if interpreter is None:
            raise UnknownJourneyDefinition(f"no journey definition named '{journey_name}' is loaded")
        return await self.starts.start(
            interpreter, body, request, principal=principal, idempotency_key=idempotency_key, answer=answer
        )

    async def cancel(
        self, journey_id: str, *, owner: str | None = None, by: str | None = None, reason: str | None = None
    ) -> Snapshot:
        """Cancel a running journey (Failed, JOURNEY_CANCELLED), recording `by` (who cancelled) and `reason` (why,
        as an operator gives it) in its history; cancelling an ended journey changes nothing. With `owner`, others'
        journeys are not found."""
        record, interpreter = await self.load(journey_id, owner=owner)
        if record.phase in TERMINAL_PHASES:
            return Snapshot(record, interpreter.definition)
        if not interpreter.lifecycle.cancellable:
            raise NotCancellable(f"journey '{record.journey_name}' is not cancellable")
        now = self._clock()
        run = run_from(record)
        interpreter.fail(run, "JOURNEY_CANCELLED", "Cancelled by user", trigger="cancel")
        detail = {name: value for name, value in (("cancelledBy", by), ("reason", reason)) if value is not None}
        return Snapshot(await self.commit(record, run, "cancel", now, detail or None), interpreter.definition)

    # -- queries ----------------------------------------------------------------------------------
    # `owner`: the principal asking, when it may see only the journeys it started; others' are JourneyNotFound,
    # exactly as if they did not exist (telling "not yours" from "absent" would confirm ids to a guesser).

    async def get(self, journey_id: str, *, owner: str | None = None) -> Snapshot:
        """The journey as committed, with the version of its definition it runs by (None if that no longer loads)."""
        record = await self._record(journey_id, owner)
        return Snapshot(record, await self.versions.readable(record))

    async def result(self, journey_id: str, wait_seconds: float = 0.0, *, owner: str | None = None) -> Snapshot:
        """The outcome of an ended journey; with `wait_seconds`, long-poll until it ends or time runs out."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_seconds
        # Woken by the end (ours, or another process's notice); re-read now and then in case none comes.
        with self.terminal.watching(journey_id) as ended:
            snapshot = await self.get(journey_id, owner=owner)
            while snapshot.record.phase not in TERMINAL_PHASES:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    raise NotTerminal(f"journey {journey_id} is still {snapshot.record.phase}")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(ended.wait(), min(remaining, self.terminal.reread_seconds))
                ended.clear()
                snapshot = await self.get(journey_id)
        return snapshot

    async def list(self, *, limit: int, after: tuple[datetime, str] | None, **filters: Any) -> list[Snapshot]:
        """A page of journeys, newest first, selected by `filters` (the fields of `JourneyFilter`: with
        `started_by`, only those that principal started; `keys`, business keys that must all match)."""
        records = await self.store.list(JourneyFilter(**filters), limit=limit, after=after)
        known = [r for r in records if await self.versions.find(r) is not None]
        return [Snapshot(r, await self.versions.readable(r)) for r in known]

    async def phase_counts(self, **filters: Any) -> dict[str, int]:
        """How many journeys `filters` select, by phase (every phase named, zero included)."""
        counts = await self.store.phase_counts(JourneyFilter(**filters))
        return {phase: counts.get(phase, 0) for phase in PHASES}

    async def search_keys(self, journey_id: str, *, owner: str | None = None) -> dict[str, str]:
        """The business keys indexed for the journey (`spec.metadata.searchKeys`)."""
        await self._record(journey_id, owner)
        return await self.store.search_keys(journey_id)

    async def history(self, journey_id: str, *, owner: str | None = None) -> list[TransitionRecord]:
        await self.get(journey_id, owner=owner)
        return await self.store.history(journey_id)

    # -- timers and recovery ----------------------------------------------------------------------

    async def fire_due_timers(self) -> int:
        """Fire every timer due by the engine's clock (journeys.engine.timer_desk), then start the scheduled runs due
        (journeys.engine.schedule_desk); returns how many journeys moved or started."""
        return await self.timers.fire_due() + await self.schedules.fire_due()

    async def recover(self, stale_after: timedelta | None = None) -> int:
        """Run the abandoned runs (Running, not paused) this process wins the lease of (journeys.engine.recovery)."""
        resumed = await self.recovery.recover(stale_after)
        # Parents whose children ended while no process lived to resume them (journeys.engine.subjourneys).
        await self.subjourneys.drain(self.recovery.stale_after if stale_after is None else stale_after)
        return resumed

    async def run_scheduler(self, interval: float, stop: asyncio.Event) -> None:
        """Until `stop` is set: timers, scheduled runs, recovery and housekeeping (journeys.engine.scheduler_loop)."""
        await run_scheduler(self, interval, stop)

    async def drain(self) -> None:
        """Wait for background runs (async starts) to commit; used on graceful shutdown."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)

    # -- internals --------------------------------------------------------------------------------

    async def _record(self, journey_id: str, owner: str | None) -> InstanceRecord:
        record = await self.store.get(journey_id)
        if record is None or (owner is not None and record.started_by != owner):
            raise JourneyNotFound(f"no journey with id '{journey_id}'")
        return record

    async def load(self, journey_id: str, *, owner: str | None = None) -> tuple[InstanceRecord, Interpreter]:
        """The journey and the interpreter of the version it is pinned to, to advance it with."""
        record = await self._record(journey_id, owner)
        return record, await self.versions.running(record)

    async def advance(
        self,
        interpreter: Interpreter,
        run: Run,
        state_id: str,
        request: InboundRequest,
        now: datetime,
        scope: str = "",
    ) -> None:
        """Run from `state_id` (in the parallel branch at `scope`, if any) to the next pause or end, performing the
        HTTP calls the interpreter asks for.

        Nothing is committed between calls: if the process dies mid-advance, the instance is still at its
        last committed state and the advance (with its calls) runs again; idempotency keys let
        downstream services recognise the repeat.
        """
        # An engine on an adjustable clock (the test clock, scenarios) gives DataWeave's now() its time too.
        token = None if self._clock is utc_now else use_evaluation_clock(self._clock)
        try:
            run.lineage.child_id = None  # a parent that moves on waits for no child
            interpreter.advance(run, state_id, request, now, scope)
            while run.suspended:
                if run.lineage.entering is not None:  # a subjourney state (journeys.engine.subjourneys)
                    await self.subjourneys.enter(interpreter, run, request, now)
                    continue
                if run.pending_read is not None:  # a cache:v1 get (journeys.engine.cache_tasks)
                    await perform_read(self.store.cache, interpreter, run, request, now)
                    continue
                call, run.pending_call = run.pending_call, None
                outcome: OutboundResponse | OutboundError | None = None
                if call.notify:
                    self.spawn(self._notify(interpreter.definition.name, call))
                else:
                    outcome = await send_observed(self._outbound, self.observer, interpreter.definition.name, call)
                interpreter.resume_after_call(run, call, outcome, request, now)
        finally:
            if token is not None:
                EVALUATION_CLOCK.reset(token)

    async def _notify(self, journey: str, call: PendingCall) -> None:
        """Fire-and-forget calls (`mode: notify`): their outcome never reaches the journey, only the log."""
        request, outcome = call.request, await send_observed(self._outbound, self.observer, journey, call)
        if isinstance(outcome, OutboundError):
            log.warning("notify call %s %s failed: %s", request.method, request.url, outcome.message)
        elif outcome.status >= 400:
            log.warning("notify call %s %s answered %d", request.method, request.url, outcome.status)

    async def resume(self, journey_id: str) -> None:
        """Run an accepted (async) start in the background (journeys.engine.recovery)."""
        await self.recovery.resume(journey_id)

    async def run_runnable(self, record: InstanceRecord, interpreter: Interpreter) -> None:
        """Run a journey that is Running but not paused from its current state, and commit (ConcurrentUpdate)."""
        now = self._clock()
        run = run_from(record)
        await self.advance(interpreter, run, record.current_state, NO_REQUEST, now)
        await self.commit(record, run, "resume", now, None)

    async def commit(
        self, before: InstanceRecord, run: Run, event: str, now: datetime, detail: dict[str, Any] | None
    ) -> InstanceRecord:
        """Commit an advance that no delivery caused; ConcurrentUpdate when another advance won."""
        outcome, after, _ = await self.commit_advance(before, run, event, now, detail)
        if outcome != AdvanceOutcome.APPLIED:
            raise ConcurrentUpdate(f"journey {before.id} was advanced by another request; nothing was applied")
        return after

    async def commit_advance(
        self,
        before: InstanceRecord,
        run: Run,
        event: str,
        now: datetime,
        detail: dict[str, Any] | None,
        *,
        delivery: Callable[[InstanceRecord], DeliveryRecord] | None = None,
        inbox: InboxClaim | None = None,
    ) -> tuple[str, InstanceRecord, DeliveryRecord | None]:
        """Commit `run` (compare-and-set on `before.version`) with the delivery that caused it, if any: a new
        owning row built from the committed record by `delivery`, or a stored one claimed by `inbox`.

        A run that would wait for an inbound key another waiting journey holds fails instead, and that is
        what is committed. Returns the AdvanceOutcome, the record and the delivery row written with it.
        """
        while True:
            after = successor(before, run, now)
            transition = transition_of(after, event, before.current_state, run, now, detail)
            owner = None if delivery is None else delivery(after)
            try:
                outcome = await self.store.advance(after, before.version, transition, delivery=owner, inbox=inbox)
                break
            except ScheduleExists as clash:  # the run fails at its schedule:v1 task instead (schedule_tasks)
                fail_at_clash(await self.versions.running(before), run, clash)
            except KeyInUse:
                state = run.state
                reason = f"state '{state}': another waiting journey holds {run.inbound_source} key '{run.inbound_key}'"
                (await self.versions.running(before)).fail(run, f"CORRELATION_KEY_IN_USE:{state}", reason)
        if outcome == AdvanceOutcome.APPLIED:
            self.after_commit(before, after, event)
        return outcome, after, owner

    async def interpreter_for(self, record: InstanceRecord) -> Interpreter | None:
        """The interpreter of `record`'s version; None when that is unknown or no longer compiles (never advanced)."""
        found = await self.versions.find(record)
        return found if isinstance(found, Interpreter) else None

    def snapshot(
        self, record: InstanceRecord, definition: JourneyDefinition, step: ExternalInputState | None = None
    ) -> Snapshot:
        """The committed (or about to be committed) instance; with `step`, its projected response fields."""
        return Snapshot(record, definition, None if step is None else self._step_fields(step, record))

    def after_commit(self, before: InstanceRecord | None, after: InstanceRecord, event: str) -> None:
        """Tell the observer; wake long-polls of an ended journey; apply the inbox of a key the journey just opened."""
        self.observer.committed(before, after, event)
        self.subjourneys.committed(before, after)
        if after.timers_changed and after.due_at is not None:
            self.timers.notice(after.due_at)
        if after.phase in TERMINAL_PHASES:
            self.terminal.signal(after.id)
            if after.result_push is not None:
                self.result_push.wake()
        source, opened = after.inbound_source, after.inbound_open_key
        if source is None or opened is None:
            return
        held_before = None if before is None else (before.inbound_source, before.inbound_open_key)
        if held_before != (source, opened) and self.inbound.inbox.may_have_inbox(source):
            self.spawn(self.inbound.inbox.drain(source, opened))

    @staticmethod
    def _step_fields(step: ExternalInputState, record: InstanceRecord) -> Mapping[str, Any] | None:
        if step.response_output_var is None:
            return None
        value = record.context.get(step.response_output_var)
        return value if isinstance(value, dict) else None

    def spawn(self, coroutine: Any) -> None:
        task = asyncio.create_task(coroutine)
        self._background.add(task)
        task.add_done_callback(self._settled)

    def _settled(self, task: asyncio.Task[Any]) -> None:
        """A background run ended. A failed one is logged here (asyncio would log it whenever the task is
        collected, one traceback each even while the database is down); recovery or the scheduler retries it."""
        self._background.discard(task)
        error = None if task.cancelled() else task.exception()
        if error is not None:
            log_failure(error, "a background run", log, "a background run failed")
