"""Resuming runs: accepted async starts, run in the background, and runs that a crash or another process abandoned.

A Running journey that is not waiting must be run (an async start accepted but not yet run, or a run cut short by a
crash). Any process may find such a journey, so finding it is not enough to run it: the process must hold its *run
lease* (`journeys.store.run_leases`), and only the holder runs it, so two processes never send its outbound calls
twice.

- An async start is leased to the process that accepts it, in the start's own transaction, and that process keeps
  renewing the lease (`keep_leases`, a task of its own, never held up by timers or slow calls) while it runs.
- Recovery looks for runnable journeys untouched for `stale_after` and takes their leases; it runs only those whose
  lease it won (a lease is won when none stands, it is the process's own, or it lapsed).
- A lease a dead process held lapses after `lease`: its journeys are resumed elsewhere (or by its restart) then.

Leases compare instants written by different hosts: their clocks must agree to well under `lease` (NTP).
On SQLite, where one process owns the database file, a starting server resumes every runnable journey at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from journeys.engine.errors import ConcurrentUpdate
from journeys.engine.lifecycle import RUNNING
from journeys.store import InstanceRecord, RunLease

if TYPE_CHECKING:
    from journeys.engine.interpreter import Interpreter
    from journeys.engine.service import JourneyEngine

log = logging.getLogger("journeys.engine")

# A runnable journey untouched this long, and unleased, is presumed abandoned (a run cut short by a crash).
STALE_AFTER = timedelta(seconds=10)
# How long a lease holds without renewal: what a dead process's async starts wait before they are resumed elsewhere.
LEASE = timedelta(seconds=15)
KEEP_EVERY_SECONDS = 1.0  # how often the keeper looks for leases to renew (those with half their time left)


def _owner_name() -> str:
    """Who holds a lease, as operators read it: host and process, and a nonce that a restarted process does not
    share with the process it replaced (which may have had the same pid)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class RunRecovery:
    """This process's runs of runnable journeys and their leases: which it runs now, which it holds until when."""

    def __init__(self, engine: JourneyEngine) -> None:
        self._engine = engine
        self.owner = _owner_name()
        self.stale_after = STALE_AFTER
        self.lease = LEASE
        self._running: set[str] = set()  # journeys this process runs (or is about to): never started twice
        self._leased: dict[str, datetime] = {}  # journey id -> until when this process holds its lease

    def start_lease(self, now: datetime) -> RunLease:
        """The lease an async start is written with: this process's, from `now`."""
        return RunLease(self.owner, now + self.lease)

    def adopt(self, journey_id: str, until: datetime) -> None:
        """An async start this process committed with its lease (`start_lease`): it runs it next."""
        self._running.add(journey_id)
        self._leased[journey_id] = until

    async def resume(self, journey_id: str) -> None:
        """Run an adopted async start in the background (renewing its lease first if that is due)."""
        try:
            record = await self._engine.store.get(journey_id)
            if record is None or record.phase != RUNNING or record.waiting:
                return
            if not await self._hold([journey_id]):
                log.warning("journey %s: its lease lapsed before its run began; another process runs it", journey_id)
                return
            interpreter = await self._engine.versions.running(record)
        except BaseException:
            await self._finish(journey_id)
            raise
        await self._run(record, interpreter)

    async def recover(self, stale_after: timedelta | None = None) -> int:
        """Start running, in the background, the abandoned journeys this process wins the lease of; returns how many.
        `stale_after`: how long a run must be untouched to count as abandoned (default: `stale_after`; none on
        SQLite at start-up). The runs are not awaited: a slow downstream call must not hold up the scheduler."""
        engine = self._engine
        cutoff = engine.clock() - (self.stale_after if stale_after is None else stale_after)
        found = [r for r in await engine.store.runnable() if r.updated_at <= cutoff and r.id not in self._running]
        if not found:
            return 0
        self._running.update(r.id for r in found)  # before any await: a resume of the same journey keeps off
        now = engine.clock()
        held = set(await engine.store.take_run_leases([r.id for r in found], self.owner, now, now + self.lease))
        self._leased.update(dict.fromkeys(held, now + self.lease))
        resumed = 0
        for found_record in found:
            if found_record.id not in held:
                self._running.discard(found_record.id)  # another process resumes it
                continue
            # The lease is ours; the journey may have moved on between the read and the lease (its run ended).
            record = await engine.store.get(found_record.id)
            interpreter = None if record is None else await engine.interpreter_for(record)
            if record is None or record.version != found_record.version or interpreter is None:
                await self._finish(found_record.id)
                continue
            engine.spawn(self._run(record, interpreter))
            resumed += 1
        return resumed

    def at_start(self) -> timedelta | None:
        """The staleness a starting server resumes runs after: none where it owns the database (SQLite)."""
        return timedelta(0) if self._engine.store.dialect == "sqlite" else None

    async def keep_leases(self, stop: asyncio.Event) -> None:
        """Until `stop` is set: renew the leases of this process's runs that have half their time left. A task of
        its own, so that timers firing or a slow call never delay a renewal."""
        while not stop.is_set():
            try:
                now = self._engine.clock()
                due = [i for i, until in self._leased.items() if i in self._running and until - now <= self.lease / 2]
                if due:
                    await self._hold(due)
            except Exception as error:  # the database away: the next round retries, the lease has time left
                log.warning("renewing run leases failed (%s); retrying", type(error).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), KEEP_EVERY_SECONDS)

    async def _hold(self, journey_ids: list[str]) -> bool:
        """Take or renew the leases of `journey_ids` (this process's runs) unless their time is ample; True when
        this process holds all of them. A run that ended meanwhile gives its lease straight back."""
        now = self._engine.clock()
        due = [i for i in journey_ids if i not in self._leased or self._leased[i] - now <= self.lease / 2]
        if not due:
            return True
        held = set(await self._engine.store.take_run_leases(due, self.owner, now, now + self.lease))
        for journey_id in due:
            if journey_id not in held:
                self._leased.pop(journey_id, None)
                log.warning("journey %s: another process holds the lease of a run this process has", journey_id)
            elif journey_id in self._running:
                self._leased[journey_id] = now + self.lease
            else:
                await self._engine.store.release_run_lease(journey_id, self.owner)
        return held.issuperset(due)

    async def _run(self, record: InstanceRecord, interpreter: Interpreter) -> None:
        """Run `record` (already among `_running`, so nothing starts it twice), then give back its lease."""
        try:
            with contextlib.suppress(ConcurrentUpdate):
                await self._engine.run_runnable(record, interpreter)
        finally:
            await self._finish(record.id)

    async def _finish(self, journey_id: str) -> None:
        """This process no longer runs the journey: its lease, if it holds one, goes back at once."""
        self._running.discard(journey_id)
        if self._leased.pop(journey_id, None) is not None:
            await self._engine.store.release_run_lease(journey_id, self.owner)
