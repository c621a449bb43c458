"""Starting scheduled runs: each due occurrence of a `schedule:v1` binding becomes exactly one new journey.

The scheduler of every process looks for due bindings on each tick (beside the timers). A run is inserted, Running
at the binding's start state and leased to this process, in one transaction with a compare-and-set that counts
it and moves the binding on (journeys.store.schedules.take_occurrence): when several processes see one occurrence
due, one inserts its journey and the others write nothing. The run is then run in the background like an accepted
async start, and recovered like one if this process dies first.

- Runs of one binding never overlap: an occurrence that falls due while the last run is still Running waits for
  that run to end, and each run starts from the last run's final context (the binding's initial context at first).
- A binding's occurrences are `startAt + k * interval`. After a start the next is the first of them still ahead,
  so occurrences missed while no server ran (or while the last run ran long) are not replayed: one run starts
  when the scheduler comes back, then the cadence resumes. `maxRuns` counts the runs started.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from journeys.definitions.durations import Duration, parse_duration
from journeys.engine.ids import time_ordered_id
from journeys.engine.lifecycle import TERMINAL_PHASES
from journeys.engine.runs import Run
from journeys.engine.snapshots import record_of, transition_of
from journeys.engine.timer_states import arm_deadline
from journeys.store import InstanceRecord
from journeys.store.schedules import Occurrence, OccurrenceTaken, ScheduleRecord

if TYPE_CHECKING:
    from journeys.engine.service import JourneyEngine


BATCH = 100


def next_occurrence(anchor: datetime, interval: Duration, now: datetime) -> datetime:
    """The first occurrence `anchor + k * interval` (k >= 1) after `now`: missed ones are skipped, not replayed.
    Months count from the anchor (`P1M` from 31 January: 28 February, then 31 March), so they never drift."""
    if not interval.months:
        k = max(1, int((now - anchor) / interval.exact))
    else:
        elapsed = (now.year - anchor.year) * 12 + now.month - anchor.month
        k = max(1, elapsed // interval.months - 1)
    while True:
        at = Duration(interval.months * k, interval.exact * k).after(anchor)
        if at > now:
            return at
        k += 1


class ScheduleDesk:
    """This process's part of the scheduling: start the runs of the bindings due now."""

    def __init__(self, engine: JourneyEngine) -> None:
        self._engine = engine

    async def fire_due(self) -> int:
        """Start a run for every binding due now; returns how many this process started."""
        engine, started = self._engine, 0
        while True:
            now = engine.clock()
            due = await engine.store.schedules.due(now, BATCH, engine.versions.unusable())
            results = [await self._start(schedule, now) for schedule in due]
            started += sum(results)
            if len(due) < BATCH or not any(results):
                return started

    async def _start(self, schedule: ScheduleRecord, now: datetime) -> bool:
        """Insert and launch the run of `schedule`'s due occurrence; False when another process started it."""
        engine = self._engine
        ended = schedule.last_run_phase in TERMINAL_PHASES and schedule.last_run_context is not None
        context = schedule.last_run_context if ended else schedule.last_context
        run = Run(time_ordered_id(), schedule.start_state, context or {}, now)
        interpreter = await engine.interpreter_for(self._record(run, schedule, now))
        if interpreter is None:
            return False  # its version no longer compiles: left due, and skipped while that lasts
        arm_deadline(interpreter.definition, run)
        run.redact = interpreter.definition.redact
        record = self._record(run, schedule, now)
        runs = schedule.runs_started + 1
        following = None if runs >= schedule.max_runs else self._following(schedule, now)
        detail = {"scheduleId": schedule.id, "run": runs, "maxRuns": schedule.max_runs}
        lease = engine.recovery.start_lease(now)
        try:
            await engine.store.insert(
                record,
                transition_of(record, "schedule", None, run, now, detail),
                run_lease=lease,
                occurrence=Occurrence(schedule, record.id, run.context, following, now),
            )
        except OccurrenceTaken:
            return False
        engine.recovery.adopt(record.id, lease.until)
        engine.spawn(engine.resume(record.id))
        engine.after_commit(None, record, "schedule")
        return True

    async def list(
        self, *, journey_name: str | None, owner: str | None, limit: int, after: tuple[datetime, str] | None
    ) -> list[ScheduleRecord]:
        """A page of bindings, newest first; `owner`: only those journeys of that principal bound (and so runs)."""
        store = self._engine.store.schedules
        return await store.list(journey_name=journey_name, owner=owner, limit=limit, after=after)

    @staticmethod
    def _following(schedule: ScheduleRecord, now: datetime) -> datetime | None:
        """The next occurrence; None (the binding ends with this run) when it would be past the year 9999."""
        try:
            return next_occurrence(schedule.start_at, parse_duration(schedule.interval), now)
        except (OverflowError, ValueError):
            return None

    @staticmethod
    def _record(run: Run, schedule: ScheduleRecord, now: datetime) -> InstanceRecord:
        """The new journey's row: Running at the start state, not yet run, owned by the binding's principal."""
        return record_of(
            run,
            schedule.journey_name,
            schedule.journey_version,
            schedule.definition_digest,
            created_at=now,
            updated_at=now,
            version=1,
            started_by=schedule.owner,
        )
