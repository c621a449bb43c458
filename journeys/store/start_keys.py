"""The idempotency keys of starts: claimed in the start's own transaction, read back by retries, pruned.

A key is claimed with one upsert before the journey's row is inserted, in the same (group-committed)
transaction: of two racing starts with one key exactly one inserts its journey, and the other learns who won
without an error aborting the shared transaction. The upsert replaces a key whose window ended (`ON CONFLICT
DO UPDATE ... WHERE expires_at <= now`), so a start after the window is a new start even before the sweep
pruned the key, and a live key is left alone (no row changed: the claim lost).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, Row, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite

from journeys.store.database import Database
from journeys.store.records import StartKeyRecord
from journeys.store.rows import dumps, utc
from journeys.store.tables import start_key_table
from journeys.store.write_batcher import WriteBatcher

_TABLE = start_key_table


def _claim(insert: Any) -> Any:
    """Insert the key, or take over the row of an expired one; a live key's row stays as it is."""
    statement = insert(_TABLE)
    replaced = {column.name: statement.excluded[column.name] for column in _TABLE.columns if column.name != "scope_key"}
    return statement.on_conflict_do_update(
        index_elements=["scope_key"], set_=replaced, where=_TABLE.c.expires_at <= statement.excluded.created_at
    )


_CLAIM = {"sqlite": _claim(sqlite.insert), "postgresql": _claim(postgresql.insert)}
_BY_SCOPE = select(_TABLE).where(_TABLE.c.scope_key == bindparam("scope_key"))


def _values(key: StartKeyRecord) -> dict[str, Any]:
    return {
        "scope_key": key.scope_key,
        "fingerprint": key.fingerprint,
        "journey_id": key.journey_id,
        "answer": None if key.answer is None else dumps(key.answer),
        "created_at": key.created_at,
        "expires_at": key.expires_at,
    }


def _to_key(row: Row[Any]) -> StartKeyRecord:
    m = row._mapping
    return StartKeyRecord(
        scope_key=m["scope_key"],
        fingerprint=m["fingerprint"],
        journey_id=m["journey_id"],
        answer=None if m["answer"] is None else orjson.loads(m["answer"]),
        created_at=utc(m["created_at"]),  # type: ignore[arg-type]
        expires_at=utc(m["expires_at"]),  # type: ignore[arg-type]
    )


def claim_start_key(conn: Connection, key: StartKeyRecord) -> StartKeyRecord | None:
    """Claim `key` for the start being inserted; None when claimed, else the live key another start holds."""
    if conn.execute(_CLAIM[conn.dialect.name], _values(key)).rowcount == 1:
        return None
    # PostgreSQL waited for the holder's transaction to commit before answering "conflict": its row is visible.
    return _to_key(conn.execute(_BY_SCOPE, {"scope_key": key.scope_key}).one())


class StartKeyStore:
    """Reads and pruning of start idempotency keys (claims happen inside `JourneyStore.insert`)."""

    def __init__(self, database: Database, writes: WriteBatcher) -> None:
        self._database = database
        self._writes = writes

    async def get(self, scope_key: str, now: datetime) -> StartKeyRecord | None:
        """The live key with this scope, if a start claimed it within its window."""
        row = await self._database.read(lambda conn: conn.execute(_BY_SCOPE, {"scope_key": scope_key}).first())
        if row is None:
            return None
        key = _to_key(row)
        return key if key.expires_at > now else None

    async def prune(self, now: datetime, limit: int = 10_000) -> int:
        """Delete up to `limit` keys whose window ended; returns how many."""
        oldest = select(_TABLE.c.scope_key).where(_TABLE.c.expires_at <= now).order_by(_TABLE.c.expires_at).limit(limit)
        statement = _TABLE.delete().where(_TABLE.c.scope_key.in_(oldest.scalar_subquery()))
        return int(await self._writes.submit(lambda conn: conn.execute(statement).rowcount))
