"""Schedule bindings (`schedule:v1`): written by the advance whose task binds them, read and fired by schedulers.

A binding is written in the transaction of the advance that ran its task (`write_schedules`, from the journey
store's insert and advance), so it exists exactly when that advance committed. `onExisting` is settled there too:
`upsert` is one `INSERT ... ON CONFLICT (identity_key) DO UPDATE`, `fail` an insert that does nothing on that
conflict; a binding that exists makes the whole advance raise `ScheduleExists` (nothing written), and the engine
fails the journey at the task instead.

An occurrence is started by `take_occurrence`, a compare-and-set on the binding's `revision` in the transaction
that inserts the run's journey: of several processes that see one occurrence due, exactly one starts a journey.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import orjson
from sqlalchemy import Connection, Row, and_, bindparam, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from journeys.store.database import Database
from journeys.store.effect_tables import schedule_table
from journeys.store.rows import dumps, utc
from journeys.store.tables import instance_table

_TABLE = schedule_table
_RUN = instance_table.alias("last_run")


class ScheduleExists(Exception):
    """An `onExisting: fail` task found a live binding with its identity: the advance wrote nothing."""

    def __init__(self, request: ScheduleRequest, reason: str) -> None:
        super().__init__(reason)
        self.request = request
        self.reason = reason


class OccurrenceTaken(Exception):
    """Another process started this occurrence first (or the binding changed since it was read): nothing written."""


@dataclass(frozen=True, slots=True)
class ScheduleRequest:
    """What a `schedule:v1` task asks its advance to commit; `path_length`: how far the run had got (a clash
    fails the journey at the task, as if it went no further)."""

    state_id: str
    path_length: int
    journey_name: str
    journey_version: str
    definition_digest: str
    start_state: str
    subject_id: str | None
    start_at: datetime
    interval: str
    max_runs: int
    context: dict[str, Any]
    on_existing: Literal["fail", "upsert", "addAnother"]
    schedule_id: str
    """The id a new binding gets (an upsert that finds one keeps that one's)."""

    @property
    def identity(self) -> str:
        """ADR-0017's identity key (journey name, version, subject, start state), as a fixed-width digest."""
        parts = [self.journey_name, self.journey_version, self.subject_id, self.start_state]
        return hashlib.sha256(orjson.dumps(parts)).hexdigest()


@dataclass(frozen=True, slots=True)
class ScheduleRecord:
    """A binding as stored. `last_run_phase`/`last_run_context`: of the journey it started last, if any (the due
    read's join; None on other reads)."""

    id: str
    journey_name: str
    journey_version: str
    definition_digest: str
    start_state: str
    subject_id: str | None
    start_at: datetime
    interval: str
    max_runs: int
    runs_started: int
    next_run_at: datetime | None
    last_context: dict[str, Any]
    last_journey_id: str | None
    bound_by: str
    owner: str | None
    revision: int
    created_at: datetime
    updated_at: datetime
    last_run_phase: str | None = None
    last_run_context: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Occurrence:
    """The start of one run of `schedule`: written with the run's journey (`journey_id`), or not at all."""

    schedule: ScheduleRecord
    journey_id: str
    context: dict[str, Any]
    next_run_at: datetime | None
    now: datetime


def _row(request: ScheduleRequest, bound_by: str, owner: str | None, now: datetime) -> dict[str, Any]:
    return {
        "id": request.schedule_id,
        "journey_name": request.journey_name,
        "journey_version": request.journey_version,
        "definition_digest": request.definition_digest,
        "start_state": request.start_state,
        "subject_id": request.subject_id,
        "identity": request.identity,
        "identity_key": None if request.on_existing == "addAnother" else request.identity,
        "start_at": request.start_at,
        "interval": request.interval,
        "max_runs": request.max_runs,
        "runs_started": 0,
        "next_run_at": request.start_at,
        "last_context": dumps(request.context),
        "last_journey_id": None,
        "bound_by": bound_by,
        "owner": owner,
        "revision": 1,
        "created_at": now,
        "updated_at": now,
    }


# What an upsert replaces: the schedule, its initial context, and its count (the binding starts over).
_UPSERTED = (
    "subject_id",
    "start_at",
    "interval",
    "max_runs",
    "runs_started",
    "next_run_at",
    "last_context",
    "last_journey_id",
    "bound_by",
    "owner",
    "updated_at",
)


def _upsert(insert: Any) -> Any:
    statement = insert(_TABLE)
    replaced = {name: statement.excluded[name] for name in _UPSERTED}
    return statement.on_conflict_do_update(
        index_elements=["identity_key"], set_={**replaced, "revision": _TABLE.c.revision + 1}
    )


_UPSERT = {"sqlite": _upsert(sqlite.insert), "postgresql": _upsert(postgresql.insert)}
_INSERT_NEW = {
    "sqlite": sqlite.insert(_TABLE).on_conflict_do_nothing(index_elements=["identity_key"]),
    "postgresql": postgresql.insert(_TABLE).on_conflict_do_nothing(index_elements=["identity_key"]),
}
_LIVE_WITH_IDENTITY = (
    select(_TABLE.c.id).where(_TABLE.c.identity == bindparam("identity"), _TABLE.c.next_run_at.is_not(None)).limit(1)
)


def write_schedules(
    conn: Connection, requests: Sequence[ScheduleRequest], bound_by: str, owner: str | None, now: datetime
) -> None:
    """Bind the schedules an advance's tasks asked for (inside its transaction); ScheduleExists undoes it all."""
    dialect = conn.dialect.name
    for request in requests:
        row = _row(request, bound_by, owner, now)
        if request.on_existing == "upsert":
            conn.execute(_UPSERT[dialect], row)
            continue
        if request.on_existing == "fail":
            existing = conn.execute(_LIVE_WITH_IDENTITY, {"identity": request.identity}).scalar()
            if existing is not None or conn.execute(_INSERT_NEW[dialect], row).rowcount != 1:
                raise ScheduleExists(
                    request,
                    f"state '{request.state_id}': a schedule for start state '{request.start_state}'"
                    f" and subject {request.subject_id!r} exists already (onExisting: fail)",
                )
            continue
        conn.execute(_TABLE.insert(), row)


def take_occurrence(conn: Connection, occurrence: Occurrence) -> bool:
    """Count the run and move the binding to its next occurrence, if nobody did since it was read (compare-and-set
    on `revision`); False: another process did, and nothing was written. The run that uses up `max_runs` ends the
    binding: it is no longer due, and frees its identity for a new binding."""
    schedule = occurrence.schedule
    runs = schedule.runs_started + 1
    finished = runs >= schedule.max_runs or occurrence.next_run_at is None
    statement = (
        _TABLE.update()
        .where(_TABLE.c.id == schedule.id, _TABLE.c.revision == schedule.revision)
        .values(
            runs_started=runs,
            next_run_at=None if finished else occurrence.next_run_at,
            identity_key=None if finished else _TABLE.c.identity_key,
            last_context=dumps(occurrence.context),
            last_journey_id=occurrence.journey_id,
            revision=schedule.revision + 1,
            updated_at=occurrence.now,
        )
    )
    return bool(conn.execute(statement).rowcount == 1)


def _record(row: Row[Any], joined: bool = False) -> ScheduleRecord:
    m = row._mapping
    run_context = m["run_context"] if joined else None
    return ScheduleRecord(
        id=m["id"],
        journey_name=m["journey_name"],
        journey_version=m["journey_version"],
        definition_digest=m["definition_digest"],
        start_state=m["start_state"],
        subject_id=m["subject_id"],
        start_at=utc(m["start_at"]),  # type: ignore[arg-type]
        interval=m["interval"],
        max_runs=m["max_runs"],
        runs_started=m["runs_started"],
        next_run_at=utc(m["next_run_at"]),
        last_context=orjson.loads(m["last_context"]),
        last_journey_id=m["last_journey_id"],
        bound_by=m["bound_by"],
        owner=m["owner"],
        revision=m["revision"],
        created_at=utc(m["created_at"]),  # type: ignore[arg-type]
        updated_at=utc(m["updated_at"]),  # type: ignore[arg-type]
        last_run_phase=m["run_phase"] if joined else None,
        last_run_context=None if run_context is None else orjson.loads(run_context),
    )


# Due, and not still running its last run: runs of one binding never overlap, each starts from the last's context.
_DUE = (
    select(_TABLE, _RUN.c.phase.label("run_phase"), _RUN.c.context.label("run_context"))
    .select_from(_TABLE.outerjoin(_RUN, _RUN.c.id == _TABLE.c.last_journey_id))
    .where(
        _TABLE.c.next_run_at <= bindparam("now"),
        or_(_RUN.c.id.is_(None), _RUN.c.phase != "Running"),
    )
    .order_by(_TABLE.c.next_run_at)
    .limit(bindparam("limit"))
)


class ScheduleStore:
    """Reads of schedule bindings (their writes ride in the journey store's insert and advance)."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def due(self, now: datetime, limit: int, skip_digests: frozenset[str] = frozenset()) -> list[ScheduleRecord]:
        """Bindings with an occurrence due by `now` whose last run ended, oldest first (but for versions in
        `skip_digests`, which cannot run)."""
        query = _DUE
        if skip_digests:
            query = query.where(_TABLE.c.definition_digest.not_in(skip_digests))
        rows = await self._database.read(lambda conn: conn.execute(query, {"now": now, "limit": limit}).all())
        return [_record(row, joined=True) for row in rows]

    async def list(
        self, *, journey_name: str | None, owner: str | None, limit: int, after: tuple[datetime, str] | None
    ) -> list[ScheduleRecord]:
        """A page of bindings, newest first (keyset on created_at, id); `owner`: only that principal's."""
        query = select(_TABLE)
        if journey_name is not None:
            query = query.where(_TABLE.c.journey_name == journey_name)
        if owner is not None:
            query = query.where(_TABLE.c.owner == owner)
        if after is not None:
            at, key = after
            query = query.where(or_(_TABLE.c.created_at < at, and_(_TABLE.c.created_at == at, _TABLE.c.id < key)))
        query = query.order_by(_TABLE.c.created_at.desc(), _TABLE.c.id.desc()).limit(limit)
        rows = await self._database.read(lambda conn: conn.execute(query).all())
        return [_record(row) for row in rows]

    async def get(self, schedule_id: str) -> ScheduleRecord | None:
        query = select(_TABLE).where(_TABLE.c.id == schedule_id)
        row = await self._database.read(lambda conn: conn.execute(query).first())
        return None if row is None else _record(row)
