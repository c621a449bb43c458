"""Stored versions of journey definitions, how many journeys each runs, and the legacy instances adopted by the
version loaded today.

A version is inserted once (name and digest are its key; a server loading it again adds nothing), so servers
starting at once with the same files, or with different ones during a rolling deploy, never conflict.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Row, bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite

from journeys.store.database import Database
from journeys.store.records import DefinitionVersionRecord, InstanceRecord
from journeys.store.rows import to_record, utc
from journeys.store.tables import definition_table, instance_table

_TABLE = definition_table
_INSERT_ONCE = {
    "sqlite": sqlite.insert(_TABLE).on_conflict_do_nothing(),
    "postgresql": postgresql.insert(_TABLE).on_conflict_do_nothing(),
}
_BY_KEY = select(_TABLE).where(_TABLE.c.journey_name == bindparam("name"), _TABLE.c.digest == bindparam("digest"))
_OF_JOURNEY = (
    select(_TABLE)
    .where(_TABLE.c.journey_name == bindparam("name"))
    .order_by(_TABLE.c.stored_at.desc(), _TABLE.c.digest)
)
_COUNTS = (
    select(instance_table.c.definition_digest, instance_table.c.phase, func.count())
    .where(instance_table.c.journey_name == bindparam("name"), instance_table.c.definition_digest.is_not(None))
    .group_by(instance_table.c.definition_digest, instance_table.c.phase)
)
_RUNNING_OF_VERSION = (
    select(instance_table)
    .where(
        instance_table.c.journey_name == bindparam("name"),
        instance_table.c.definition_digest == bindparam("digest"),
        instance_table.c.phase == "Running",
        instance_table.c.id > bindparam("after"),
    )
    .order_by(instance_table.c.id)
    .limit(bindparam("limit"))
)
_ADOPT = (
    instance_table.update()
    .where(instance_table.c.journey_name == bindparam("name"), instance_table.c.definition_digest.is_(None))
    .values(definition_digest=bindparam("digest"))
)


def _values(version: DefinitionVersionRecord) -> dict[str, Any]:
    return {column.name: getattr(version, column.name) for column in _TABLE.columns}


def _to_version(row: Row[Any]) -> DefinitionVersionRecord:
    m = row._mapping
    return DefinitionVersionRecord(
        journey_name=m["journey_name"],
        digest=m["digest"],
        label=m["label"],
        file_name=m["file_name"],
        source=m["source"],
        stored_at=utc(m["stored_at"]),  # type: ignore[arg-type]
    )


class DefinitionVersionStore:
    """Writes happen once per server start, so they run as one transaction of their own, outside the batcher."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def publish(self, versions: Sequence[DefinitionVersionRecord]) -> None:
        """Store every version not stored yet and give each journey's unversioned (legacy) instances its version."""

        def write(conn: Connection) -> None:
            for version in versions:
                conn.execute(_INSERT_ONCE[conn.dialect.name], _values(version))
                conn.execute(_ADOPT, {"name": version.journey_name, "digest": version.digest})

        await self._database.transaction([write])

    async def get(self, journey_name: str, digest: str) -> DefinitionVersionRecord | None:
        row = await self._database.read(
            lambda conn: conn.execute(_BY_KEY, {"name": journey_name, "digest": digest}).first()
        )
        return None if row is None else _to_version(row)

    async def of_journey(self, journey_name: str) -> list[DefinitionVersionRecord]:
        """Every stored version of `journey_name`, newest first."""
        if "\x00" in journey_name:  # no stored name holds one, and PostgreSQL refuses to compare with it
            return []
        rows = await self._database.read(lambda conn: conn.execute(_OF_JOURNEY, {"name": journey_name}).all())
        return [_to_version(row) for row in rows]

    async def instance_counts(self, journey_name: str) -> dict[tuple[str, str], int]:
        """How many journeys of `journey_name` run by each version, by (digest, phase); all owners counted."""
        rows = await self._database.read(lambda conn: conn.execute(_COUNTS, {"name": journey_name}).all())
        return {(digest, phase): count for digest, phase, count in rows}

    async def running_of_version(
        self, journey_name: str, digest: str, after: str | None, limit: int
    ) -> list[InstanceRecord]:
        """Up to `limit` Running journeys of one version, in id order after `after` (a migration's batch)."""
        params = {"name": journey_name, "digest": digest, "after": after or "", "limit": limit}
        if "\x00" in params["after"]:
            return []
        rows = await self._database.read(lambda conn: conn.execute(_RUNNING_OF_VERSION, params).all())
        return [to_record(row) for row in rows]
