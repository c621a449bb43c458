"""SQLite's hot path without SQLAlchemy's per-execution machinery: the same Core statements, compiled once.

On SQLite every statement runs in this process, and SQLAlchemy Core spends 40-100 us of Python on each execution
(an execution context, the parameter dictionary, result metadata, row objects) around the few microseconds the
driver takes: on the writer thread and the event loop alike that is time holding the GIL the loop needs, and it
was a third of a journey's CPU (bench/ceiling_compare.py with py-spy). Here a statement is compiled once (per set
of parameter names) into its SQL text and a plan of where each `?` takes its value from; an execution is then one
driver call. What SQLAlchemy would have done to the values is kept: each value goes through the bind processor
SQLAlchemy would apply (its DATETIME text format, booleans as integers) and each fetched value through the result
processor, and a driver error is raised as the SQLAlchemy exception it would have raised (`IntegrityError` with
`orig`, parameters hidden), so callers cannot tell the difference.

Only what compiling once can fully decide runs here: DML and SELECT without Python-side defaults, RETURNING,
expanding IN lists, callable or escaped bind names. Anything else (and every statement given no parameters) goes
through SQLAlchemy as before. Plans are cached by statement identity (the cache holds the statement, so an id is
never reused while cached): the store's module-level prepared statements are compiled once.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Delete, Insert, Select, Update, exc
from sqlalchemy.dialects.sqlite import DATETIME as SQLITE_DATETIME
from sqlalchemy.engine import Dialect, processors

_Slot = tuple[str, Any, Callable[[Any], Any] | None]  # parameter name, constant (or _NO_VALUE), bind processor
_NO_VALUE = object()
_DATETIME_FORMAT = SQLITE_DATETIME()._storage_format  # "YYYY-MM-DD HH:MM:SS.ffffff", what fromisoformat reads
_TUPLE_FORMAT = "%04d-%02d-%02d %02d:%02d:%02d.%06d"


class Plan:
    """A statement compiled for one set of parameter names: its SQL and how to bind (and, a SELECT, read) rows."""

    __slots__ = ("_plain", "_slots", "readers", "sql")

    def __init__(self, sql: str, slots: Sequence[_Slot], readers: Sequence[Callable[[Any], Any] | None]) -> None:
        self.sql = sql
        self._slots = tuple(slots)
        # The common case: every value comes from the parameters, by key, none needs processing.
        self._plain = tuple(key for key, constant, processor in slots if constant is _NO_VALUE and not processor)
        self.readers = tuple(readers) if any(readers) else None

    def bind(self, params: Mapping[str, Any]) -> tuple[Any, ...]:
        if len(self._plain) == len(self._slots):
            return tuple([params[key] for key in self._plain])
        values = []
        for key, constant, processor in self._slots:
            value = params[key] if constant is _NO_VALUE else constant
            values.append(value if processor is None else processor(value))
        return tuple(values)

    def read(self, row: tuple[Any, ...]) -> tuple[Any, ...]:
        if self.readers is None:
            return row
        return tuple([v if r is None else r(v) for v, r in zip(row, self.readers, strict=True)])


def compile_plan(statement: Any, dialect: Dialect, keys: frozenset[str], many: bool) -> Plan | None:
    """The plan of `statement` bound with parameters named `keys`, or None when it must go through SQLAlchemy."""
    if not isinstance(statement, Insert | Update | Delete | Select):
        return None
    compiled: Any = statement.compile(dialect=dialect, column_keys=sorted(keys), for_executemany=many)
    if (
        compiled.positiontup is None
        or compiled.insert_prefetch
        or compiled.update_prefetch
        or getattr(compiled, "effective_returning", None)
        or compiled.escaped_bind_names
        or compiled.post_compile_params
        or compiled.literal_execute_params
    ):
        return None
    bind_processors = compiled._bind_processors
    slots: list[_Slot] = []
    for name in compiled.positiontup:
        bind = compiled.binds[name]
        if bind.expanding or bind.callable is not None:
            return None
        if bind.key in keys or name in keys:
            constant = _NO_VALUE
        elif bind.required:
            return None  # SQLAlchemy says which value is missing
        else:
            constant = bind.value
        processor = bind_processors.get(name)
        if processor is not None and _is_sqlalchemy_datetime(bind.type, dialect):
            processor = _datetime_text(processor)
        if constant is not _NO_VALUE and processor is not None:
            constant, processor = processor(constant), None
        slots.append((bind.key if bind.key in keys else name, constant, processor))
    readers: list[Callable[[Any], Any] | None] = []
    if isinstance(statement, Select):
        readers = [_reader(column.type, dialect) for column in statement.selected_columns]
    return Plan(compiled.string, slots, readers)


def _plan_or_none(statement: Any, dialect: Dialect, keys: frozenset[str], many: bool) -> Plan | None:
    """`compile_plan`, or None (SQLAlchemy runs the statement, as without this module) should a SQLAlchemy release
    no longer have the compiled-statement attributes it reads: slower, never wrong."""
    try:
        return compile_plan(statement, dialect, keys, many)
    except AttributeError:
        return None


def _is_sqlalchemy_datetime(column_type: Any, dialect: Dialect) -> bool:
    impl = column_type.dialect_impl(dialect)
    return isinstance(impl, SQLITE_DATETIME) and impl._storage_format == _DATETIME_FORMAT


def _datetime_text(sqlalchemy_processor: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """SQLAlchemy's DATETIME bind processor, with its format filled from a tuple rather than a dict (half the cost;
    the same text); anything but a datetime (a date, None, a wrong type) goes to SQLAlchemy's own."""

    def process(value: Any) -> Any:
        if type(value) is datetime:
            v = value
            return _TUPLE_FORMAT % (v.year, v.month, v.day, v.hour, v.minute, v.second, v.microsecond)
        return sqlalchemy_processor(value)

    return process


def _utc_datetime(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text + "+00:00")
    except ValueError:  # not ISO text SQLAlchemy wrote: its own parser says what it is (or raises)
        parsed: datetime = processors.str_to_datetime(text)
        return parsed.replace(tzinfo=UTC)


def _reader(column_type: Any, dialect: Dialect) -> Callable[[Any], Any] | None:
    """How a fetched value of `column_type` is read: as SQLAlchemy would, but a DATETIME in the format SQLAlchemy
    stores is read as an aware UTC datetime (everything the store writes is UTC) by the C ISO parser, a tenth of
    the cost of SQLAlchemy's parse plus a `replace(tzinfo=UTC)`; aware, as PostgreSQL hands timestamps back."""
    if _is_sqlalchemy_datetime(column_type, dialect):
        return _utc_datetime
    processor: Callable[[Any], Any] | None = column_type._cached_result_processor(dialect, None)
    return processor


class Plans:
    """The compiled plans of one database, by statement identity and parameter names. A statement built per call
    (a claim of due timers names its rows) gets an entry per call: past `limit` entries all are dropped, and the
    prepared statements that matter are compiled again on their next use."""

    def __init__(self, limit: int = 1024) -> None:
        self._plans: dict[tuple[int, frozenset[str], bool], tuple[Any, Plan | None]] = {}
        self._limit = limit

    def get(self, statement: Any, dialect: Dialect, keys: frozenset[str], many: bool = False) -> Plan | None:
        cache_key = (id(statement), keys, many)
        entry = self._plans.get(cache_key)
        if entry is None:
            if len(self._plans) >= self._limit:
                self._plans = {}
            entry = (statement, _plan_or_none(statement, dialect, keys, many))  # keeps the statement: its id stays
            self._plans[cache_key] = entry
        return entry[1]


def raise_wrapped(error: sqlite3.Error, plan: Plan, args: Any, dialect: Dialect, many: bool = False) -> None:
    """Raise `error` as the SQLAlchemy exception (IntegrityError, OperationalError, ...) Core would have raised."""
    wrapped = exc.DBAPIError.instance(
        plan.sql, args, error, sqlite3.Error, hide_parameters=True, dialect=dialect, ismulti=many
    )
    raise wrapped from error


class Done:
    """The result of a DML statement run here: how many rows it changed (all a store write asks of it)."""

    __slots__ = ("rowcount",)

    def __init__(self, rowcount: int) -> None:
        self.rowcount = rowcount


class FastConnection:
    """The connection store writes see on SQLite's writer thread: `execute` runs a plannable DML statement on the
    driver (inside the batch's transaction, which pysqlite began and SQLAlchemy commits), anything else through
    the SQLAlchemy connection it wraps; every other attribute is that connection's."""

    def __init__(self, conn: Connection, plans: Plans) -> None:
        self._conn = conn
        self._plans = plans
        self.dialect = conn.dialect

    def execute(self, statement: Any, parameters: Any = None, **kwargs: Any) -> Any:
        if kwargs or not parameters or not isinstance(statement, Insert | Update | Delete):
            return self._conn.execute(statement, parameters, **kwargs)
        many = isinstance(parameters, list)
        if many:
            keys = frozenset(parameters[0])
            if any(frozenset(p) != keys for p in parameters) or not isinstance(parameters[0], dict):
                return self._conn.execute(statement, parameters)
        elif isinstance(parameters, dict):
            keys = frozenset(parameters)
        else:
            return self._conn.execute(statement, parameters)
        plan = self._plans.get(statement, self.dialect, keys, many)
        if plan is None:
            return self._conn.execute(statement, parameters)
        driver = self._conn.connection.driver_connection
        args: Any = [plan.bind(p) for p in parameters] if many else plan.bind(parameters)
        try:
            cursor = driver.executemany(plan.sql, args) if many else driver.execute(plan.sql, args)  # type: ignore[union-attr]
        except sqlite3.Error as error:
            raise_wrapped(error, plan, args, self.dialect, many)
        return Done(cursor.rowcount)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)
