"""PostgreSQL: the statements of an advance that always go together, sent as one (fewer round trips per journey).

On PostgreSQL each statement is a round trip to the server, and at the load of `bench/workers_bench.py` the
round trips, not the SQL, are what a journey costs (py-spy: a quarter of the server's samples in asyncpg's socket
writes). Data-modifying CTEs let one statement do what two did, with the same all-or-nothing outcome:

- `COMPARE_AND_SET_WITH_HISTORY`: the compare-and-set of an advance and its history row. The history row is
  inserted from the compare-and-set's RETURNING, so it is written exactly when the compare-and-set wins, and the
  statement's row count (1 or 0) is the compare-and-set's. Its `_CLEARING_TIMERS` twin also deletes the journey's
  timer rows, likewise only when the compare-and-set wins: an advance that leaves its last timer behind.
- `fused_insert`: a new journey's instance row, first history row, timer rows, business-key rows and run lease.

SQLite keeps the plain statements: its round trips are function calls. Measured (payment-callback, C=64, three
interleaved rounds each): server CPU per journey 2.35 -> 2.08 ms, then 1.88 -> 1.78 ms with the timer rows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from sqlalchemy import Connection, Table, bindparam, cast, select, text
from sqlalchemy.dialects import postgresql

from journeys.store.rows import COMPARE_AND_SET
from journeys.store.tables import (
    instance_table,
    run_lease_table,
    search_key_table,
    timer_table,
    transition_table,
)

HISTORY_PREFIX = "history_"


def _compare_and_set_with_history(*, clearing_timers: bool) -> Any:
    won = COMPARE_AND_SET.returning(instance_table.c.id).cte("won")
    # Cast: a parameter in a SELECT list has no type PostgreSQL could infer from the column it lands in.
    row = [cast(bindparam(HISTORY_PREFIX + c.name), c.type) for c in transition_table.c]
    statement = transition_table.insert().from_select(
        [c.name for c in transition_table.c], select(*row).select_from(won)
    )
    if clearing_timers:
        cleared = timer_table.delete().where(timer_table.c.journey_id.in_(select(won.c.id))).cte("cleared")
        statement = statement.add_cte(cleared)
    return statement


COMPARE_AND_SET_WITH_HISTORY = _compare_and_set_with_history(clearing_timers=False)
# The same, deleting the journey's timer rows too: an advance that leaves every timer behind (most that end one).
COMPARE_AND_SET_WITH_HISTORY_CLEARING_TIMERS = _compare_and_set_with_history(clearing_timers=True)


def with_history(instance: Mapping[str, Any], history: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters of COMPARE_AND_SET_WITH_HISTORY: the compare-and-set's, and the history row's, prefixed."""
    return {**instance, **{HISTORY_PREFIX + name: value for name, value in history.items()}}


_PYFORMAT = re.compile(r"%\((\w+)\)s(?:::[A-Z][A-Z ]*[A-Z](?:\(\d+\))?)?")
_TABLES = {
    table.name: table for table in (instance_table, transition_table, timer_table, search_key_table, run_lease_table)
}


@cache
def _insert_statement(shape: tuple[tuple[str, int], ...]) -> Any:
    """One INSERT per (table name, row count) of `shape`, the first ones as CTEs of the last; parameters are named
    `<table>_<row>_<column>`. Built once per shape (how many timers and business keys a new journey has)."""
    statements = []
    for name, count in shape:
        table = _TABLES[name]
        rows = [{c.name: bindparam(f"{name}_{n}_{c.name}") for c in table.c} for n in range(count)]
        statements.append(table.insert().values(rows))
    *leading, last = statements
    fused = last.add_cte(*(statement.cte(f"part{n}") for n, statement in enumerate(leading)))
    # SQLAlchemy does not cache the compiled form of INSERTs inside CTEs (it compiled this on every execution, which
    # cost more than the round trips saved): compile it once here, as text. The casts it renders are dropped: in
    # VALUES PostgreSQL takes each parameter's type from its column, and asyncpg encodes by that.
    sql = str(fused.compile(dialect=postgresql.dialect()))
    return text(_PYFORMAT.sub(r":\1", sql))


def fused_insert(conn: Connection, parts: Sequence[tuple[Table, Sequence[Mapping[str, Any]]]]) -> None:
    """Insert the rows of every (table, rows) part in one statement (parts with no rows left out): the rows of a new
    journey, which no conflict can meet."""
    present = [(table, rows) for table, rows in parts if rows]
    shape = tuple((table.name, len(rows)) for table, rows in present)
    params = {
        f"{table.name}_{n}_{column}": value
        for table, rows in present
        for n, row in enumerate(rows)
        for column, value in row.items()
    }
    conn.execute(_insert_statement(shape), params)
