"""Run leases: which process may resume a journey whose run was abandoned (Running, not waiting), and until when.

A lease is one row per journey, taken by an upsert that wins only where no live lease of another owner stands:
two processes that both find a journey abandoned never both run it (and never both send its outbound calls).
The row is deleted when its owner's run ends; one a dead owner left lapses at `until`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, or_
from sqlalchemy.dialects import postgresql, sqlite

from journeys.store.tables import run_lease_table

_TABLE = run_lease_table
LEASE_INSERT = _TABLE.insert()


@dataclass(frozen=True, slots=True)
class RunLease:
    """Who may run a journey, until when: written with an async start, for the process that accepted it."""

    owner: str
    until: datetime


def lease_rows(journey_id: str, lease: RunLease | None) -> list[dict[str, Any]]:
    """The journey_run_lease rows of `lease` (none without one)."""
    return [] if lease is None else [{"journey_id": journey_id, "owner": lease.owner, "until": lease.until}]


_RELEASE = _TABLE.delete().where(_TABLE.c.journey_id == bindparam("journey_id"), _TABLE.c.owner == bindparam("owner"))


def _take_statement(dialect: str) -> Any:
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(_TABLE)
    # Ours already, or lapsed: the lease moves to the owner asking; a live lease of another owner stays theirs.
    return insert.on_conflict_do_update(
        index_elements=[_TABLE.c.journey_id],
        set_={"owner": insert.excluded.owner, "until": insert.excluded.until},
        where=or_(_TABLE.c.owner == insert.excluded.owner, _TABLE.c.until <= bindparam("now")),
    )


_TAKE = {dialect: _take_statement(dialect) for dialect in ("sqlite", "postgresql")}


def take(conn: Connection, journey_ids: Sequence[str], owner: str, now: datetime, until: datetime) -> list[str]:
    """Take (or renew) the leases of `journey_ids` for `owner` until `until`; returns the ids whose lease it holds."""
    statement = _TAKE[conn.dialect.name]
    held = []
    for journey_id in journey_ids:
        values = {"journey_id": journey_id, "owner": owner, "until": until, "now": now}
        if conn.execute(statement, values).rowcount == 1:
            held.append(journey_id)
    return held


def release(conn: Connection, journey_id: str, owner: str) -> None:
    """Give the lease back once the owner's run ended (committed or given up): nothing is left to resume."""
    conn.execute(_RELEASE, {"journey_id": journey_id, "owner": owner})
