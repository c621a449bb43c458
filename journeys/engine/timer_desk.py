"""Firing due timers: a step's timeout, a `timer` state's due time, the journey's deadline, a call's next attempt.

The scheduler claims due rows of the timer table (several processes never claim one row at once), then fires each
as an advance with the same compare-and-set as every other: a timer that fires while a callback is applied yields
one transition, never two. The loser of that race looks again at once, since the winner may have left the timer
armed (a deadline outlives the steps), and fires it if it is still due; a timer the journey no longer has is
dropped. Fires of one batch run side by side, so their commits share the write batcher's group commits.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from journeys.definitions.model import ExternalInputState, TimerState
from journeys.engine.errors import ConcurrentUpdate
from journeys.engine.interpreter import Interpreter
from journeys.engine.lifecycle import RUNNING
from journeys.engine.runs import NO_REQUEST, Run, run_from
from journeys.engine.timer_states import unscoped
from journeys.store import InstanceRecord, Timer

if TYPE_CHECKING:
    from journeys.engine.service import JourneyEngine
    from journeys.store.timers import TimerClaim

BATCH = 500
# How long a claim keeps other processes off a timer: a process that dies after claiming delays it this long.
CLAIM_LEASE = timedelta(seconds=30)
SIDE_BY_SIDE = 64
SOONEST = 0.01  # seconds: the shortest sleep, so a timer that cannot fire yet never spins the loop
ATTEMPTS = 3  # compare-and-set races lost in a row before the claim is given back for the next tick


class TimerDesk:
    def __init__(self, engine: JourneyEngine) -> None:
        self._engine = engine
        self._armed = asyncio.Event()
        self._sleeping_until: datetime | None = None
        self._next_due: datetime | None = None  # as the last `fire_due` found it
        # A clock standing still (tests, scenarios) fires nothing by itself: whoever moves it fires what fell due.
        self.fires_by_itself: bool = getattr(engine.clock, "moves_by_itself", True)

    def notice(self, due_at: datetime) -> None:
        """A commit of this process armed a timer due at `due_at`: wake the scheduler if it sleeps past that."""
        if self.fires_by_itself and self._sleeping_until is not None and due_at < self._sleeping_until:
            self._armed.set()

    async def fire_due(self) -> int:
        """Fire every timer due now (in batches); returns how many moved a journey. An idle call costs one indexed
        read (when the next timer is due), which `sleep_until_due` then sleeps by."""
        engine, fired = self._engine, 0
        while True:
            now = engine.clock()
            self._next_due = await engine.store.next_timer_due(now, engine.versions.unusable())
            if self._next_due is None or self._next_due > now:
                return fired
            claims = await engine.store.claim_timers(now, CLAIM_LEASE, BATCH, engine.versions.unusable())
            for start in range(0, len(claims), SIDE_BY_SIDE):
                chunk = claims[start : start + SIDE_BY_SIDE]
                records = await engine.store.get_many([claim.journey_id for claim in chunk])
                by_journey: dict[str, list[TimerClaim]] = {}
                for claim in chunk:
                    by_journey.setdefault(claim.journey_id, []).append(claim)
                done = await asyncio.gather(*(self._fire_each(own, records.get(j)) for j, own in by_journey.items()))
                fired += sum(done)
            if not claims:
                return fired

    async def _fire_each(self, claims: list[TimerClaim], record: InstanceRecord | None) -> int:
        """Fire one journey's due timers one after the other (two branches of a parallel often have timers due at
        once): side by side, all but one would lose the compare-and-set and run their advance, calls included, again.
        """
        fired = 0
        for index, claim in enumerate(claims):
            if index:
                record = await self._engine.store.get(claim.journey_id)
            fired += await self._fire(claim, record)
        return fired

    async def _fire(self, claim: TimerClaim, record: InstanceRecord | None) -> bool:
        """Fire one claimed timer of `record` (read with its batch; read again after a lost race)."""
        engine = self._engine
        for attempt in range(ATTEMPTS):
            if attempt:
                record = await engine.store.get(claim.journey_id)
            timer = record.timers.get(claim.kind) if record is not None and record.phase == RUNNING else None
            if record is None or timer is None or timer.fires_at != claim.fires_at:
                await engine.store.drop_stale_timer(claim)
                return False
            interpreter = await engine.interpreter_for(record)
            if interpreter is None:
                return False  # a version that no longer compiles: the claim lapses, a reload may bring it back
            now = engine.clock()
            run = run_from(record)
            event, detail = await self._apply(interpreter, run, timer, now)
            if event is None:
                await engine.store.drop_stale_timer(claim)
                return False
            try:
                await engine.commit(record, run, event, now, detail)
                return True
            except ConcurrentUpdate:
                continue
        await engine.store.release_timer(claim)
        return False

    async def _apply(
        self, interpreter: Interpreter, run: Run, timer: Timer, now: datetime
    ) -> tuple[str | None, dict[str, Any] | None]:
        """Advance `run` as `timer` firing says; the history event and its detail (None: the timer is stale)."""
        engine = self._engine
        run.timers.pop(timer.kind)
        kind, scope = unscoped(timer.kind)  # a parallel branch's timer fires in its branch alone
        if scope and scope not in interpreter.definition.scopes:  # a branch its version no longer has
            return None, None
        state = interpreter.definition.states_in(scope).get(timer.state)
        if kind == "deadline":
            execution = interpreter.definition.execution
            if execution is None:
                return None, None
            detail = {"maxDurationSec": execution.max_duration_sec}
            if execution.next is not None:
                await engine.advance(interpreter, run, execution.next, NO_REQUEST, now)
            else:
                interpreter.fail(run, execution.error_code or "JOURNEY_TIMEOUT", execution.reason or "deadline reached")
            return "deadline", detail
        position = run.branches.get(scope, {}).get("state") if scope else run.state
        if position != timer.state or state is None:
            return None, None
        if kind == "step-timeout":
            if not isinstance(state, ExternalInputState) or state.on_timeout is None:
                return None, None
            await engine.advance(interpreter, run, state.on_timeout, NO_REQUEST, now, scope)
            return "timeout", {"step": timer.state}
        if kind == "timer":
            if not isinstance(state, TimerState):
                return None, None
            await engine.advance(interpreter, run, state.next, NO_REQUEST, now, scope)
            return "timer", {"timer": timer.state, "dueAt": timer.fires_at.isoformat()}
        run.attempt, run.call_key = timer.attempt, timer.key
        await engine.advance(interpreter, run, timer.state, NO_REQUEST, now, scope)
        return "call-retry", {"state": timer.state, "attempt": timer.attempt + 1}

    async def sleep_until_due(self, stop: asyncio.Event, interval: float) -> None:
        """Wait for the next tick: at most `interval`, less when a timer falls due sooner (as the last `fire_due`
        found) or this process arms one that is."""
        now, due = self._engine.clock(), self._next_due if self.fires_by_itself else None
        wait = interval if due is None else min(interval, max(SOONEST, (due - now).total_seconds()))
        self._sleeping_until = now + timedelta(seconds=wait)
        self._armed.clear()
        waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._armed.wait())]
        try:
            await asyncio.wait(waiters, timeout=wait, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self._sleeping_until = None
            for waiter in waiters:
                waiter.cancel()
