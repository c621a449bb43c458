"""Subjourney rows: the children a parent's advance creates, and the notices of ended children (`subjourney_end`).

A child is inserted in the transaction of the parent's advance that entered the subjourney state, so a parent never
waits for a child that does not exist, nor a child runs for a parent that never committed. A child that ends in an
advance of its own writes a notice in that advance's transaction; the advance that resumes its parent deletes it, so
the parent is resumed exactly once however often the notice is drained (journeys.engine.subjourneys).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, bindparam, select

from journeys.store.database import Database
from journeys.store.effect_tables import subjourney_end_table
from journeys.store.listing import write_search_keys
from journeys.store.records import InstanceRecord, TransitionRecord
from journeys.store.rows import INSTANCE_INSERT, TRANSITION_INSERT, instance_values, transition_values
from journeys.store.side_effects import write_effects
from journeys.store.timers import replace_timers
from journeys.store.write_batcher import WriteBatcher

_NOTICE_DELETE = subjourney_end_table.delete().where(subjourney_end_table.c.child_id == bindparam("child"))
_NOTICE_INSERT = subjourney_end_table.insert()


@dataclass(slots=True, frozen=True)
class SpawnedChild:
    """A child journey as its parent's advance left it (paused or ended), with its first history row."""

    record: InstanceRecord
    transition: TransitionRecord


@dataclass(slots=True, frozen=True)
class LineageWrites:
    """What an advance writes about parents and children besides its own row."""

    children: tuple[SpawnedChild, ...] = ()
    ended_child: bool = False
    """The record ends a child journey in an advance of its own: its parent is to be told (a notice)."""
    consumed: str | None = None
    """The child whose notice this (parent's) advance applies: the notice goes with it."""


@dataclass(slots=True, frozen=True)
class EndNotice:
    child_id: str
    parent_id: str
    ended_at: datetime


def write_lineage(conn: Connection, record: InstanceRecord) -> None:
    """Write `record.lineage` in the transaction of `record`'s own write (an insert, or a compare-and-set it won)."""
    lineage = record.lineage
    if lineage is None:
        return
    for child in lineage.children:
        _insert_child(conn, child)
    if lineage.consumed is not None:
        conn.execute(_NOTICE_DELETE, {"child": lineage.consumed})
    if lineage.ended_child and record.parent_id is not None:
        conn.execute(_NOTICE_DELETE, {"child": record.id})  # a retried child that ends again: one notice
        conn.execute(
            _NOTICE_INSERT, {"child_id": record.id, "parent_id": record.parent_id, "ended_at": record.updated_at}
        )


def _insert_child(conn: Connection, child: SpawnedChild) -> None:
    record = child.record
    values = instance_values(record)
    conn.execute(INSTANCE_INSERT, values)
    conn.execute(TRANSITION_INSERT, transition_values(child.transition))
    if record.timers:
        replace_timers(conn, record.id, record.timers, fresh=True)
    if record.search_keys:
        write_search_keys(conn, record.id, record.search_keys)
    write_effects(conn, record)  # what the child did before its first pause (or its end): puts, records, bindings
    write_lineage(conn, record)  # its own children, when it entered a subjourney state itself


class SubjourneyNotices:
    """The notices of ended children not yet applied to their parents."""

    def __init__(self, database: Database, writes: WriteBatcher) -> None:
        self._database = database
        self._writes = writes

    async def pending(self, limit: int = 500) -> Sequence[EndNotice]:
        """The oldest notices first (a drain after a crash applies them in the order the children ended)."""
        table = subjourney_end_table
        query = select(table).order_by(table.c.ended_at).limit(limit)
        rows = await self._database.read(lambda conn: conn.execute(query).all())
        return [EndNotice(row.child_id, row.parent_id, _utc(row.ended_at)) for row in rows]

    async def drop(self, child_id: str) -> None:
        """Forget a notice whose parent no longer waits for that child (it ended, or was cancelled)."""
        await self._writes.submit(lambda conn: conn.execute(_NOTICE_DELETE, {"child": child_id}))


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
