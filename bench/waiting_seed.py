"""Seeding a scratch database with K waiting journeys cloned from one real start (bench/million_waiting_bench.py).

The rows one start wrote (instance with context, timers JSON and due time; history; timer row; search key) are read
back and cloned with new ids, payment ids and times shifted back by up to SPREAD (so the step timeouts fall due
over the next hours and none fires during a run): executemany in chunks on SQLite, COPY on PostgreSQL.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import DateTime, Table

from journeys.store.tables import instance_table, search_key_table, timer_table, transition_table

TEMPLATE_PAYMENT = "seed-template-payment"
SPREAD = timedelta(hours=20)  # clones were created over the last 20 hours
CHUNK = 20_000
# The tables a start writes, and the column naming the journey in each.
SEEDED: list[tuple[Table, str]] = [
    (instance_table, "id"),
    (transition_table, "journey_id"),
    (timer_table, "journey_id"),
    (search_key_table, "journey_id"),
]


def payment(i: int) -> str:
    """The payment id of clone i (its context and search key carry it; a callback must name it)."""
    return f"seed-{i:07d}"


def sqlite_path(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


@dataclass
class Template:
    """The rows one real start wrote, by table, as Python values (datetimes naive UTC on SQLite, aware on PG)."""

    journey_id: str
    rows: dict[str, list[dict[str, Any]]]
    created: datetime
    due: datetime


def _as_in_json(moment: datetime) -> str:
    """A time as the timers JSON holds it: ISO 8601 with its UTC offset (SQLite hands back naive UTC times)."""
    return moment.isoformat() if moment.tzinfo is not None else moment.isoformat() + "+00:00"


class Cloner:
    """Makes the rows of clone i from the template's: new id, payment id, created/updated times and due time."""

    def __init__(self, template: Template, count: int, now: datetime) -> None:
        self.template, self.count, self.now = template, count, now
        # Ids as the engine mints them (journeys.engine.ids): the time each clone was started at, then random bits.
        self.ids: list[str] = [
            f"{int((template.created + self._shift(i)).timestamp() * 1e9):016x}{os.urandom(8).hex()}"
            for i in range(count)
        ]

    def _shift(self, i: int) -> timedelta:
        """How much earlier than the template clone i is: spread over SPREAD, the last one started about now."""
        return -SPREAD * (self.count - i) / self.count + (self.now - self.template.created)

    def rows(self, table: Table, start: int, stop: int) -> Iterator[tuple[Any, ...]]:
        template = self.template
        names = [column.name for column in table.columns]
        dated = {column.name for column in table.columns if isinstance(column.type, DateTime)}
        for i in range(start, stop):
            new_id, paid = self.ids[i], payment(i)
            shift = self._shift(i)
            due = template.due + shift
            for row in template.rows[table.name]:
                values: list[Any] = []
                for name in names:
                    value = row[name]
                    if name in dated and value is not None:
                        value += shift
                    elif isinstance(value, str):
                        value = value.replace(template.journey_id, new_id).replace(TEMPLATE_PAYMENT, paid)
                        value = value.replace(_as_in_json(template.due), _as_in_json(due))
                    values.append(value)
                yield tuple(values)


def _sqlite_datetime(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")  # SQLAlchemy's storage format for DateTime on SQLite


async def read_template(url: str, journey_id: str) -> Template:
    rows: dict[str, list[dict[str, Any]]] = {}
    if url.startswith("sqlite"):
        conn = sqlite3.connect(sqlite_path(url))
        conn.row_factory = sqlite3.Row
        for table, key in SEEDED:
            found = conn.execute(f"SELECT * FROM {table.name} WHERE {key} = ?", (journey_id,)).fetchall()
            dated = {c.name for c in table.columns if isinstance(c.type, DateTime)}
            rows[table.name] = [
                {k: datetime.fromisoformat(r[k]) if k in dated and r[k] is not None else r[k] for k in r.keys()}  # noqa: SIM118 (a Row iterates values)
                for r in found
            ]
        conn.close()
    else:
        conn = await asyncpg.connect(url)
        for table, key in SEEDED:
            found = await conn.fetch(f"SELECT * FROM {table.name} WHERE {key} = $1", journey_id)
            rows[table.name] = [dict(r) for r in found]
        await conn.close()
    instance = rows[instance_table.name][0]
    assert instance["waiting"] and instance["due_at"] is not None, instance
    return Template(journey_id, rows, instance["created_at"], instance["due_at"])


def seed_sqlite(url: str, cloner: Cloner) -> None:
    conn = sqlite3.connect(sqlite_path(url), isolation_level=None)
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-200000")
    for start in range(0, cloner.count, CHUNK):
        stop = min(cloner.count, start + CHUNK)
        conn.execute("BEGIN")
        for table, _ in SEEDED:
            names = [column.name for column in table.columns]
            statement = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
            rows = (
                tuple(_sqlite_datetime(v) if isinstance(v, datetime) else v for v in row)
                for row in cloner.rows(table, start, stop)
            )
            conn.executemany(statement, rows)
        conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


async def seed_postgresql(url: str, cloner: Cloner) -> None:
    conn = await asyncpg.connect(url)
    for start in range(0, cloner.count, CHUNK * 5):
        stop = min(cloner.count, start + CHUNK * 5)
        async with conn.transaction():
            for table, _ in SEEDED:
                names = [column.name for column in table.columns]
                await conn.copy_records_to_table(table.name, records=cloner.rows(table, start, stop), columns=names)
    await conn.execute("VACUUM ANALYZE")  # what autovacuum does within a minute of a bulk load
    await conn.close()
