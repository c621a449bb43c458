"""The timer table: written with the advance that arms or clears a journey's timers, claimed by the scheduler.

A journey's timers live twice, in one transaction: as JSON on its instance row (what the compare-and-set of an
advance protects, read with the row at no extra cost) and as rows here, the index the scheduler reads. A claim
marks due rows `claimed_until` a lease: another process skips them, and a process that dies holding them lets
the lease lapse, so the timer fires again (the compare-and-set of its advance makes a second firing a no-op).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, func, or_, select, tuple_

from journeys.store.records import Timer
from journeys.store.rows import utc
from journeys.store.tables import instance_table, timer_table

_DELETE_ALL = timer_table.delete().where(timer_table.c.journey_id == bindparam("journey_id"))
_INSERT = timer_table.insert()
_UNCLAIMED = or_(timer_table.c.claimed_until.is_(None), timer_table.c.claimed_until <= bindparam("now"))
_DUE = (
    select(timer_table.c.journey_id, timer_table.c.kind, timer_table.c.fires_at)
    .where(timer_table.c.fires_at <= bindparam("now"), _UNCLAIMED)
    .order_by(timer_table.c.fires_at)
    .limit(bindparam("limit"))
)


def _usable(query: Any, skip_digests: frozenset[str]) -> Any:
    """`query` without the timers of journeys of the definition versions in `skip_digests` (found not to compile:
    they cannot fire, and left in they would fill every batch)."""
    if not skip_digests:
        return query
    digest = instance_table.c.definition_digest
    return query.join(instance_table, instance_table.c.id == timer_table.c.journey_id).where(
        or_(digest.is_(None), digest.not_in(skip_digests))
    )


_RELEASE = (
    timer_table.update()
    .where(timer_table.c.journey_id == bindparam("claimed_journey"), timer_table.c.kind == bindparam("claimed_kind"))
    .values(claimed_until=None)
)
# A row the instance no longer names (it should have gone with the advance that cleared it) is dropped, guarded by
# its due time so a timer re-armed in the meantime stays.
_DROP_STALE = timer_table.delete().where(
    timer_table.c.journey_id == bindparam("journey_id"),
    timer_table.c.kind == bindparam("kind"),
    timer_table.c.fires_at == bindparam("fires_at"),
)
_NEXT_DUE = select(func.min(timer_table.c.fires_at)).where(_UNCLAIMED)


@dataclass(frozen=True, slots=True)
class TimerClaim:
    """A due timer this process claimed: fire it (or find it stale) before `claimed_until`."""

    journey_id: str
    kind: str
    fires_at: datetime


def replace_timers(conn: Connection, journey_id: str, timers: Mapping[str, Timer], *, fresh: bool = False) -> None:
    """Make the journey's timer rows those of `timers` (inside the advance's transaction; `fresh`: it has none)."""
    if not fresh:
        conn.execute(_DELETE_ALL, {"journey_id": journey_id})
    if timers:
        conn.execute(_INSERT, timer_rows(journey_id, timers))


def timer_rows(journey_id: str, timers: Mapping[str, Timer]) -> list[dict[str, Any]]:
    """The journey_timer rows of `timers`, unclaimed."""
    return [
        {"journey_id": journey_id, "kind": timer.kind, "fires_at": timer.fires_at, "claimed_until": None}
        for timer in timers.values()
    ]


def claim_due(
    conn: Connection, now: datetime, lease: timedelta, limit: int, skip_digests: frozenset[str] = frozenset()
) -> list[TimerClaim]:
    """Claim up to `limit` due, unclaimed timers, oldest first, for `lease` (rows another transaction is claiming
    are skipped on PostgreSQL, not waited for)."""
    query = _usable(_DUE, skip_digests)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=timer_table)
    rows = conn.execute(query, {"now": now, "limit": limit}).all()
    if not rows:
        return []
    keys = [(row.journey_id, row.kind) for row in rows]
    # Guarded as the read was: on SQLite another process may have claimed some of these between our read and this
    # write (the read does not hold the write lock), and only the rows this statement claims are ours.
    claimed = conn.execute(
        timer_table.update()
        .where(tuple_(timer_table.c.journey_id, timer_table.c.kind).in_(keys), _UNCLAIMED)
        .values(claimed_until=now + lease)
        .returning(timer_table.c.journey_id, timer_table.c.kind, timer_table.c.fires_at),
        {"now": now},
    ).all()
    claims = [TimerClaim(row.journey_id, row.kind, utc(row.fires_at)) for row in claimed]  # type: ignore[arg-type]
    return sorted(claims, key=lambda claim: claim.fires_at)


def release(conn: Connection, claim: TimerClaim) -> None:
    """Give a claim back (its firing lost a race and must be tried again at once, not after the lease)."""
    conn.execute(_RELEASE, {"claimed_journey": claim.journey_id, "claimed_kind": claim.kind})


def drop_stale(conn: Connection, claim: TimerClaim) -> None:
    conn.execute(_DROP_STALE, {"journey_id": claim.journey_id, "kind": claim.kind, "fires_at": claim.fires_at})


def next_due(conn: Connection, now: datetime, skip_digests: frozenset[str]) -> datetime | None:
    """When the earliest unclaimed timer that can fire is due: the scheduler sleeps until then."""
    return utc(conn.execute(_usable(_NEXT_DUE, skip_digests), {"now": now}).scalar())


def oldest_due_query(skip_digests: frozenset[str]) -> Any:
    """The earliest due timer of a running journey, leaving out those of `skip_digests` versions (the probes')."""
    query = _usable(select(timer_table.c.fires_at).where(timer_table.c.fires_at <= bindparam("now")), skip_digests)
    return query.order_by(timer_table.c.fires_at).limit(1)
