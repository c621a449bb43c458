"""Which journeys a listing shows: the filters of `GET /journeys` and the console, as one query, and counts by phase.

Every filter narrows an indexed query: name, phase and owner have (column, created_at, id) indexes for the newest
first order, and a business key is a point lookup in `journey_search_key` (name, value) whose journey ids the
instance query is restricted to, so finding an order's journey among millions reads a handful of rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, func, select
from sqlalchemy.dialects import postgresql, sqlite

from journeys.store.tables import instance_table, search_key_table


@dataclass(frozen=True, slots=True)
class JourneyFilter:
    journey_name: str | None = None
    phase: str | None = None
    started_by: str | None = None
    """Only the journeys this principal started (a client that reads only its own)."""
    journey_version: str | None = None
    current_state: str | None = None
    keys: Mapping[str, str] = field(default_factory=dict)
    """Business keys (`spec.metadata.searchKeys`), all of which must match."""
    started_after: datetime | None = None
    started_before: datetime | None = None
    updated_after: datetime | None = None
    updated_before: datetime | None = None


def filtered(query: Select[Any], journeys: JourneyFilter) -> Select[Any]:
    table = instance_table
    equal = {
        table.c.journey_name: journeys.journey_name,
        table.c.phase: journeys.phase,
        table.c.started_by: journeys.started_by,
        table.c.journey_version: journeys.journey_version,
        table.c.current_state: journeys.current_state,
    }
    for column, value in equal.items():
        if value is not None:
            query = query.where(column == value)
    bounds = (
        (table.c.created_at >= journeys.started_after) if journeys.started_after else None,
        (table.c.created_at < journeys.started_before) if journeys.started_before else None,
        (table.c.updated_at >= journeys.updated_after) if journeys.updated_after else None,
        (table.c.updated_at < journeys.updated_before) if journeys.updated_before else None,
    )
    query = query.where(*(bound for bound in bounds if bound is not None))
    for name, value in journeys.keys.items():
        keyed = select(search_key_table.c.journey_id).where(
            search_key_table.c.name == name, search_key_table.c.value == value
        )
        query = query.where(table.c.id.in_(keyed))
    return query


def phase_counts_query(journeys: JourneyFilter) -> Select[Any]:
    return filtered(select(instance_table.c.phase, func.count()), journeys).group_by(instance_table.c.phase)


def _upsert(insert: Any) -> Any:
    """New names inserted, changed values replaced, unchanged ones left alone."""
    return insert.on_conflict_do_update(
        index_elements=["journey_id", "name"],
        set_={"value": insert.excluded.value},
        where=search_key_table.c.value != insert.excluded.value,
    )


# Built once: constructing the statement per advance cost more than running it.
_UPSERT = {
    "sqlite": _upsert(sqlite.insert(search_key_table)),
    "postgresql": _upsert(postgresql.insert(search_key_table)),
}


def write_search_keys(conn: Connection, journey_id: str, keys: Mapping[str, str]) -> None:
    """Index `keys` for the journey (a key that no longer renders keeps its last value: a business key found once
    stays findable)."""
    conn.execute(_UPSERT[conn.dialect.name], search_key_rows(journey_id, keys))


def search_key_rows(journey_id: str, keys: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"journey_id": journey_id, "name": name, "value": value} for name, value in keys.items()]


def search_keys_query(journey_id: str) -> Select[Any]:
    return select(search_key_table.c.name, search_key_table.c.value).where(search_key_table.c.journey_id == journey_id)
