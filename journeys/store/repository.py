"""The journey store: the only place that issues SQL.

Reads run through the database executor; writes (new instances and compare-and-set advances) go
through the WriteBatcher so concurrent advances share a commit. An advance is
`UPDATE ... WHERE id = :id AND version = :expected` plus its history row, in one transaction: zero
rows updated means another request advanced the journey first, and that caller loses.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Connection, Row, and_, bindparam, or_, select

from journeys.store.database import Database, open_database
from journeys.store.records import InstanceRecord, TransitionRecord
from journeys.store.tables import instance_table, transition_table
from journeys.store.write_batcher import WriteBatcher


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def _utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything we store is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def _instance_values(record: InstanceRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "journey_name": record.journey_name,
        "journey_version": record.journey_version,
        "phase": record.phase,
        "current_state": record.current_state,
        "waiting": record.waiting,
        "context": _dumps(record.context),
        "outcome": None if record.outcome is None else _dumps(record.outcome),
        "due_at": record.due_at,
        "created_at": record.created_at,
        "updated_at": record.updated_at,
        "version": record.version,
    }


def _transition_values(transition: TransitionRecord) -> dict[str, Any]:
    return {
        "journey_id": transition.journey_id,
        "seq": transition.seq,
        "event": transition.event,
        "from_state": transition.from_state,
        "to_state": transition.to_state,
        "phase": transition.phase,
        "path": _dumps(transition.path),
        "detail": None if transition.detail is None else _dumps(transition.detail),
        "at": transition.at,
    }


def _to_record(row: Row[Any]) -> InstanceRecord:
    m = row._mapping
    return InstanceRecord(
        id=m["id"],
        journey_name=m["journey_name"],
        journey_version=m["journey_version"],
        phase=m["phase"],
        current_state=m["current_state"],
        waiting=bool(m["waiting"]),
        context=orjson.loads(m["context"]),
        outcome=None if m["outcome"] is None else orjson.loads(m["outcome"]),
        due_at=_utc(m["due_at"]),
        created_at=_utc(m["created_at"]),  # type: ignore[arg-type]
        updated_at=_utc(m["updated_at"]),  # type: ignore[arg-type]
        version=m["version"],
    )


def _to_transition(row: Row[Any]) -> TransitionRecord:
    m = row._mapping
    return TransitionRecord(
        journey_id=m["journey_id"],
        seq=m["seq"],
        event=m["event"],
        from_state=m["from_state"],
        to_state=m["to_state"],
        phase=m["phase"],
        path=orjson.loads(m["path"]),
        detail=None if m["detail"] is None else orjson.loads(m["detail"]),
        at=_utc(m["at"]),  # type: ignore[arg-type]
    )


_INSTANCE_INSERT = instance_table.insert()
_TRANSITION_INSERT = transition_table.insert()
_BY_ID = select(instance_table).where(instance_table.c.id == bindparam("journey_id"))
# Prepared once: the new row values bind by column name, the guard binds as expected_id/expected_version.
_UPDATED_COLUMNS = ("phase", "current_state", "waiting", "context", "outcome", "due_at", "updated_at", "version")
_COMPARE_AND_SET = (
    instance_table.update()
    .where(
        instance_table.c.id == bindparam("expected_id"),
        instance_table.c.version == bindparam("expected_version"),
    )
    .values({name: bindparam(name) for name in _UPDATED_COLUMNS})
)
_HISTORY = (
    select(transition_table)
    .where(transition_table.c.journey_id == bindparam("journey_id"))
    .order_by(transition_table.c.seq)
)


class JourneyStore:
    """Persistence of journey instances; create with `await JourneyStore.open(url)`."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._writes = WriteBatcher(database)

    @classmethod
    async def open(cls, url: str) -> JourneyStore:
        return cls(await open_database(url))

    @property
    def dialect(self) -> str:
        return self._database.dialect

    async def close(self) -> None:
        await self._writes.close()
        await self._database.close()

    # -- writes -----------------------------------------------------------------------------------

    async def insert(self, record: InstanceRecord, transition: TransitionRecord) -> None:
        """Persist a new instance and its first history row; returns once committed."""
        values = _instance_values(record)
        history = _transition_values(transition)

        def write(conn: Connection) -> None:
            conn.execute(_INSTANCE_INSERT, values)
            conn.execute(_TRANSITION_INSERT, history)

        await self._writes.submit(write)

    async def compare_and_set(
        self, record: InstanceRecord, expected_version: int, transition: TransitionRecord
    ) -> bool:
        """Replace the instance row if it is still at `expected_version`; False when another advance won."""
        row = _instance_values(record)
        values = {name: row[name] for name in _UPDATED_COLUMNS}
        values["expected_id"], values["expected_version"] = record.id, expected_version
        history = _transition_values(transition)

        def write(conn: Connection) -> bool:
            if conn.execute(_COMPARE_AND_SET, values).rowcount != 1:
                return False
            conn.execute(_TRANSITION_INSERT, history)
            return True

        return bool(await self._writes.submit(write))

    # -- reads ------------------------------------------------------------------------------------

    async def get(self, journey_id: str) -> InstanceRecord | None:
        row = await self._database.read(lambda conn: conn.execute(_BY_ID, {"journey_id": journey_id}).first())
        return None if row is None else _to_record(row)

    async def history(self, journey_id: str) -> list[TransitionRecord]:
        rows = await self._database.read(lambda conn: conn.execute(_HISTORY, {"journey_id": journey_id}).all())
        return [_to_transition(row) for row in rows]

    async def list(
        self,
        *,
        journey_name: str | None,
        phase: str | None,
        limit: int,
        after: tuple[datetime, str] | None,
    ) -> list[InstanceRecord]:
        """A page of instances, newest first, keyset-paginated on (created_at, id)."""
        table = instance_table
        query = select(table)
        if journey_name is not None:
            query = query.where(table.c.journey_name == journey_name)
        if phase is not None:
            query = query.where(table.c.phase == phase)
        if after is not None:
            created, last_id = after
            query = query.where(
                or_(table.c.created_at < created, and_(table.c.created_at == created, table.c.id < last_id))
            )
        query = query.order_by(table.c.created_at.desc(), table.c.id.desc()).limit(limit)
        return await self._records(query)

    async def runnable(self, limit: int = 500) -> Sequence[InstanceRecord]:
        """Running instances not paused at a step: accepted but not (fully) run, e.g. after a crash."""
        query = (
            select(instance_table)
            .where(instance_table.c.phase == "Running", instance_table.c.waiting.is_(False))
            .order_by(instance_table.c.updated_at)
            .limit(limit)
        )
        return await self._records(query)

    async def due(self, now: datetime, limit: int = 500) -> Sequence[InstanceRecord]:
        """Waiting instances whose step timer has fired."""
        query = (
            select(instance_table)
            .where(
                instance_table.c.phase == "Running",
                instance_table.c.waiting.is_(True),
                instance_table.c.due_at <= now,
            )
            .order_by(instance_table.c.due_at)
            .limit(limit)
        )
        return await self._records(query)

    async def _records(self, query: Any) -> list[InstanceRecord]:
        rows = await self._database.read(lambda conn: conn.execute(query).all())
        return [_to_record(row) for row in rows]
