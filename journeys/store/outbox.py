"""The result-push outbox: pushes put in it with the advance that ended their journey, claimed by delivery workers,
settled once answered 2xx or given up, every attempt logged.

A claim moves a due row's `next_attempt_at` a lease ahead and stamps it with the worker's token, in one
transaction (rows another transaction is claiming are skipped on PostgreSQL, not waited for): another process
does not take it while the attempt runs, and if the worker dies holding it the row comes due again when the lease
ends, so a push that was not acknowledged is sent again, never lost. What a worker writes back is guarded by its
token: a worker whose lease ran out (another has taken the row) logs its attempt but settles nothing.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, bindparam, literal_column, select

from journeys.store.database import Database
from journeys.store.push_records import (
    PENDING,
    ClaimedPush,
    PushAttempt,
    PushStatus,
    ResultPush,
)
from journeys.store.rows import utc
from journeys.store.tables import result_push_attempt_table, result_push_table
from journeys.store.write_batcher import WriteBatcher

_PUSH, _ATTEMPT = result_push_table, result_push_attempt_table
# A literal, not a bound parameter: only then may the database use the partial index of pending rows.
_IS_PENDING = _PUSH.c.status == literal_column(f"'{PENDING}'")
_INSERT = _PUSH.insert()
_DUE = (
    select(_PUSH)
    .where(_IS_PENDING, _PUSH.c.next_attempt_at <= bindparam("now"))
    .order_by(_PUSH.c.next_attempt_at)
    .limit(bindparam("limit"))
)
# Guarded by the due time it was read with: a row another worker claimed between our read and this write (SQLite
# reads outside the write lock; PostgreSQL skips rows locked by other claims) has moved on, and is left to it.
_CLAIM = (
    _PUSH.update()
    .where(_PUSH.c.id == bindparam("push_id"), _IS_PENDING, _PUSH.c.next_attempt_at == bindparam("due"))
    .values(next_attempt_at=bindparam("until"), claim=bindparam("token"))
)
_SETTLE = (
    _PUSH.update()
    .where(_PUSH.c.id == bindparam("push_id"), _PUSH.c.claim == bindparam("token"))
    .values(
        status=bindparam("status"),
        attempts=_PUSH.c.attempts + 1,
        next_attempt_at=bindparam("next_at"),
        finished_at=bindparam("finished_at"),
        claim=None,
    )
)
_ANY_DUE = select(_PUSH.c.id).where(_IS_PENDING, _PUSH.c.next_attempt_at <= bindparam("now")).limit(1)
_LOG_ATTEMPT = _ATTEMPT.insert()
_OF_JOURNEY = select(_PUSH).where(_PUSH.c.journey_id == bindparam("journey_id")).order_by(_PUSH.c.created_at)
_ATTEMPTS_OF = (
    select(_ATTEMPT).where(_ATTEMPT.c.push_id.in_(bindparam("push_ids", expanding=True))).order_by(_ATTEMPT.c.at)
)


def put_in_outbox(conn: Connection, push: ResultPush) -> None:
    """Insert `push`, due at once (inside the transaction of the advance that ended its journey)."""
    conn.execute(
        _INSERT,
        {
            "id": push.id,
            "journey_id": push.journey_id,
            "url": push.url,
            "body": push.body,
            "status": PENDING,
            "attempts": 0,
            "created_at": push.created_at,
            "next_attempt_at": push.created_at,
            "claim": None,
            "finished_at": None,
        },
    )


def _push(row: Row[Any]) -> ResultPush:
    m = row._mapping
    return ResultPush(m["id"], m["journey_id"], m["url"], m["body"], utc(m["created_at"]))  # type: ignore[arg-type]


def _claim_due(conn: Connection, now: datetime, lease: timedelta, limit: int) -> list[ClaimedPush]:
    query = _DUE.with_for_update(skip_locked=True) if conn.dialect.name == "postgresql" else _DUE
    rows = conn.execute(query, {"now": now, "limit": limit}).all()
    claimed = []
    for row in rows:
        token = uuid.uuid4().hex
        values = {"push_id": row.id, "due": row.next_attempt_at, "until": now + lease, "token": token}
        if conn.execute(_CLAIM, values).rowcount == 1:
            claimed.append(ClaimedPush(_push(row), row.attempts, token))
    return claimed


class OutboxStore:
    """Claims, settlement and reads of result pushes (they are put in the outbox by `JourneyStore.advance`)."""

    def __init__(self, database: Database, writes: WriteBatcher) -> None:
        self._database = database
        self._writes = writes

    async def any_due(self, now: datetime) -> bool:
        """Whether a push is due: a read, so an idle worker polls without opening a write transaction."""
        return await self._database.read(lambda conn: conn.execute(_ANY_DUE, {"now": now}).first() is not None)

    async def claim(self, now: datetime, lease: timedelta, limit: int = 50) -> list[ClaimedPush]:
        """Claim up to `limit` due pushes, oldest due first, for `lease`."""
        claimed: list[ClaimedPush] = await self._writes.submit(lambda conn: _claim_due(conn, now, lease, limit))
        return claimed

    async def settle(
        self,
        claimed: ClaimedPush,
        attempt: PushAttempt,
        status: str,
        next_attempt_at: datetime | None,
    ) -> bool:
        """Log `attempt` and move the push to `status` (pending again at `next_attempt_at`, or settled); False when
        the claim had lapsed and another worker holds the push (the attempt is logged all the same)."""
        done = status != PENDING
        settle = {
            "push_id": claimed.push.id,
            "token": claimed.claim,
            "status": status,
            "next_at": next_attempt_at,
            "finished_at": attempt.at if done else None,
        }
        logged = {
            "id": uuid.uuid4().hex,
            "push_id": claimed.push.id,
            "at": attempt.at,
            "status": attempt.status,
            "error": attempt.error,
            "duration_ms": attempt.duration_ms,
        }

        def write(conn: Connection) -> bool:
            conn.execute(_LOG_ATTEMPT, logged)
            return bool(conn.execute(_SETTLE, settle).rowcount == 1)

        held: bool = await self._writes.submit(write)
        return held

    async def of_journey(self, journey_id: str) -> list[PushStatus]:
        """The journey's pushes, oldest first, each with its attempts."""

        def read(conn: Connection) -> list[PushStatus]:
            pushes = conn.execute(_OF_JOURNEY, {"journey_id": journey_id}).all()
            if not pushes:
                return []
            attempts: dict[str, list[PushAttempt]] = {row.id: [] for row in pushes}
            for a in conn.execute(_ATTEMPTS_OF, {"push_ids": list(attempts)}).all():
                attempts[a.push_id].append(PushAttempt(utc(a.at), a.status, a.error, a.duration_ms))  # type: ignore[arg-type]
            return [
                PushStatus(
                    _push(row),
                    row.status,
                    tuple(attempts[row.id]),
                    None if row.status != PENDING else utc(row.next_attempt_at),
                    utc(row.finished_at),
                )
                for row in pushes
            ]

        if "\x00" in journey_id:  # no stored id holds one, and PostgreSQL refuses to compare with it
            return []
        return await self._database.read(read)
