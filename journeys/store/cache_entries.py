"""The `cache:v1` cache on the journeys database: reads, the puts of committed advances, and the expiry sweep.

A read ignores an entry past its expiry, so the sweep only reclaims space: it deletes expired entries oldest first
through the expiry index, a bounded batch at a time, never holding a long write transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, bindparam, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from journeys.store.database import Database
from journeys.store.effect_records import CachePut
from journeys.store.effect_tables import cache_entry_table
from journeys.store.write_batcher import WriteBatcher

_CACHE = cache_entry_table
_GET = select(_CACHE.c.value).where(_CACHE.c.key == bindparam("key"), _CACHE.c.expires_at > bindparam("now"))
_EXPIRED = (
    select(_CACHE.c.key)
    .where(_CACHE.c.expires_at <= bindparam("now"))
    .order_by(_CACHE.c.expires_at)
    .limit(bindparam("limit"))
)
# The expiry is checked again on the row itself: an entry put anew while the batch was chosen is kept.
_SWEEP = delete(_CACHE).where(_CACHE.c.key.in_(_EXPIRED.scalar_subquery()), _CACHE.c.expires_at <= bindparam("now"))
SWEEP_BATCH = 1000
MAX_SWEEP_BATCHES = 20  # per sweep: a backlog larger than this is reclaimed over the next sweeps


def _upsert(insert: Any) -> Any:
    statement = insert(_CACHE)
    latest = {name: statement.excluded[name] for name in ("value", "stored_at", "expires_at")}
    return statement.on_conflict_do_update(index_elements=[_CACHE.c.key], set_=latest)


_UPSERT = {"postgresql": _upsert(postgresql.insert), "sqlite": _upsert(sqlite.insert)}


def put_entries(conn: Connection, puts: Iterable[CachePut]) -> None:
    """Store each put, replacing the entry under its key (the last put of a key wins)."""
    latest = {put.key: put for put in puts}
    rows = [
        {"key": p.key, "value": orjson.dumps(p.value).decode(), "stored_at": p.stored_at, "expires_at": p.expires_at}
        for p in latest.values()
    ]
    conn.execute(_UPSERT[conn.dialect.name], rows)


class CacheStore:
    """Reads and sweeps of the cache; puts are written by the advances that make them (`side_effects`)."""

    def __init__(self, database: Database, writes: WriteBatcher) -> None:
        self._database = database
        self._writes = writes

    async def get(self, key: str, now: datetime) -> Any:
        """The value under `key` unless it expired by `now`; None when there is none."""
        row = await self._database.read(lambda conn: conn.execute(_GET, {"key": key, "now": now}).first())
        return None if row is None else orjson.loads(row.value)

    async def sweep(self, now: datetime) -> int:
        """Delete entries expired by `now`, a batch per transaction; how many were deleted."""
        deleted = 0
        for _ in range(MAX_SWEEP_BATCHES):
            count: int = await self._writes.submit(
                lambda conn: conn.execute(_SWEEP, {"now": now, "limit": SWEEP_BATCH}).rowcount
            )
            deleted += count
            if count < SWEEP_BATCH:
                break
        return deleted
