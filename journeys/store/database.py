"""Opening the database and running SQL against it: the per-dialect executors (schema upgrades: `migrations`).

All statements in the store are SQLAlchemy Core written once against a synchronous `Connection`;
an executor decides where they run:

* SQLite (the embedded default): a synchronous engine. Reads run inline on the event loop (a
  primary-key lookup in WAL mode takes tens of microseconds and never waits for the writer), and
  each batch of writes runs on one dedicated writer thread in a single transaction. Measured here:
  about 20x the throughput of the aiosqlite adapter, which pays several thread hand-offs per statement.
  The hot path's prepared statements skip SQLAlchemy's per-execution work (`sqlite_fast`): `first`, and
  the DML of every write batch.
* PostgreSQL: the asyncpg driver; the same functions run through `AsyncConnection.run_sync`.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import sqlite3
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Select, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import create_async_engine

from journeys.store.migrations import sqlite_upgrade_connection, upgrade_schema, upgrade_turn
from journeys.store.sqlite_fast import FastConnection, Plans, raise_wrapped

DEFAULT_DATABASE_URL = "sqlite:///journeys.db"
DEFAULT_POOL_SIZE = 16  # PostgreSQL connections per process (besides the one listening for ended journeys)

T = TypeVar("T")
Statement = Callable[[Connection], Any]


def normalise_url(url: str) -> URL:
    """Map the URLs people type (`sqlite:///x.db`, `postgresql://...`) onto the drivers we ship; ValueError when
    `url` is not one (a plain ValueError, so callers above the store need not know SQLAlchemy's errors)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ValueError("the database URL cannot be parsed: use sqlite:///FILE or postgresql://HOST/DB") from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return parsed.set(drivername="sqlite+pysqlite")
    if backend in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+asyncpg")
    raise ValueError(f"unsupported database URL {url!r}: use sqlite:///FILE or postgresql://HOST/DB")


class Database(ABC):
    """Runs store functions: `read` for queries, `transaction` for a batch of writes committed together."""

    dialect: str

    @abstractmethod
    async def read(self, statement: Callable[[Connection], T]) -> T: ...

    @abstractmethod
    async def transaction(self, statements: Sequence[Statement]) -> list[Any]: ...

    @abstractmethod
    async def close(self) -> None: ...

    async def first(self, statement: Any, params: dict[str, Any]) -> Sequence[Any] | None:
        """The first row of a prepared SELECT (a module-level constant) bound with `params`, as a tuple of its
        columns in order; None when it selects nothing. Timestamps are UTC, naive or aware (`rows.utc`)."""
        row = await self.read(lambda conn: conn.execute(statement, params).first())
        return None if row is None else tuple(row)

    @property
    def writers(self) -> int:
        """How many write batches may be in flight at once."""
        return 1


_BUSY_TIMEOUT_MS = 10_000


def _switch_to_wal(cursor: Any) -> None:
    """Put the file in WAL mode. A new file's switch needs an exclusive lock, and SQLite answers "database is
    locked" at once, without waiting out busy_timeout, while another process opening the same new file holds
    one: so wait here, as busy_timeout would."""
    deadline = time.monotonic() + _BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.cancelled():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


class _WriterThread:
    """The one thread SQLite's writes run on. A hand-off is a put on a C queue and, when done, one
    `call_soon_threadsafe`: `run_in_executor` chains a concurrent future to an asyncio one for each batch, which
    cost the event loop as much as the batch's statements."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[tuple[Callable[[Any], Any], Any, asyncio.Future[Any]] | None] = (
            queue.SimpleQueue()
        )
        self._thread = threading.Thread(target=self._work, name="journeys-sqlite-writer", daemon=True)
        self._thread.start()
        self._stopping = False

    def run(self, function: Callable[[Any], T], argument: Any) -> asyncio.Future[T]:
        if self._stopping:  # as an executor after shutdown: nothing would ever answer
            raise RuntimeError("the database is closed")
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.put((function, argument, future))
        return future

    def _work(self) -> None:
        while (item := self._queue.get()) is not None:
            function, argument, future = item
            result, error = None, None
            try:
                result = function(argument)
            except BaseException as caught:  # handed to the awaiting coroutine, as an executor would
                error = caught
            with contextlib.suppress(RuntimeError):  # the loop was closed: nobody awaits the answer
                future.get_loop().call_soon_threadsafe(_settle, future, result, error)
            del item, result, error, future

    async def stop(self) -> None:
        self._stopping = True
        self._queue.put(None)
        await asyncio.get_running_loop().run_in_executor(None, self._thread.join)


class SqliteDatabase(Database):
    dialect = "sqlite"

    def __init__(self, url: URL) -> None:
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        # hide_parameters: a failed statement's message (which may be logged) never quotes the request data bound
        # to it (callback bodies, ids, contexts).
        self._engine = create_engine(url, connect_args={"check_same_thread": False}, pool_size=2, hide_parameters=True)

        @event.listens_for(self._engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
            _switch_to_wal(cursor)
            cursor.execute("PRAGMA synchronous=FULL")  # an acknowledged commit survives power loss
            cursor.close()

        try:
            with sqlite_upgrade_connection(self._engine) as conn:
                upgrade_schema(conn)
        except BaseException:
            self._engine.dispose()
            raise
        # The upgrade's connection, back in the pool in its default mode, is reused for one of these.
        self._writer = _WriterThread()
        self._write_conn = self._engine.connect()
        self._read_conn = self._engine.connect()
        self._plans = Plans()
        self._fast_write_conn = FastConnection(self._write_conn, self._plans)

    async def read(self, statement: Callable[[Connection], T]) -> T:
        try:
            return statement(self._read_conn)
        finally:
            self._read_conn.rollback()  # end the read transaction so the WAL can be checkpointed

    async def first(self, statement: Any, params: dict[str, Any]) -> Sequence[Any] | None:
        conn = self._read_conn
        plan = self._plans.get(statement, conn.dialect, frozenset(params)) if isinstance(statement, Select) else None
        if plan is None:
            return await super().first(statement, params)
        args = plan.bind(params)
        try:
            # fetchall: the statement runs to its end, so no read snapshot stays open (pysqlite begins no
            # transaction for a SELECT), and the WAL can be checkpointed.
            rows = conn.connection.driver_connection.execute(plan.sql, args).fetchall()  # type: ignore[union-attr]
        except sqlite3.Error as error:
            raise_wrapped(error, plan, args, conn.dialect)
        return plan.read(rows[0]) if rows else None

    def _run_batch(self, statements: Sequence[Statement]) -> list[Any]:
        conn = self._fast_write_conn
        with self._write_conn.begin():
            return [statement(conn) for statement in statements]  # type: ignore[arg-type]

    async def transaction(self, statements: Sequence[Statement]) -> list[Any]:
        return await self._writer.run(self._run_batch, statements)

    async def close(self) -> None:
        await self._writer.run(lambda _: self._write_conn.close(), None)
        await self._writer.stop()
        self._read_conn.close()
        self._engine.dispose()


class PostgresDatabase(Database):
    dialect = "postgresql"

    def __init__(self, url: URL, pool_size: int = DEFAULT_POOL_SIZE) -> None:
        self.url = url  # journeys.store.end_notices opens a listening connection of its own to it
        self._pool_size = pool_size
        # A fixed pool: overflow connections would be opened and closed under load, and opening one
        # (TCP, TLS negotiation, auth) costs more than the queries it serves.
        # hide_parameters: as for SQLite, error messages must not quote request data.
        self._engine = create_async_engine(
            url, pool_size=pool_size, max_overflow=0, pool_timeout=30, hide_parameters=True
        )
        # Reads are single statements: autocommit spares them a BEGIN and a ROLLBACK round trip each.
        self._reader = self._engine.execution_options(isolation_level="AUTOCOMMIT")

    async def setup(self) -> None:
        async with upgrade_turn(), self._engine.begin() as conn:
            await conn.run_sync(upgrade_schema)

    async def read(self, statement: Callable[[Connection], T]) -> T:
        async with self._reader.connect() as conn:
            return await conn.run_sync(statement)

    async def transaction(self, statements: Sequence[Statement]) -> list[Any]:
        async with self._engine.begin() as conn:
            return await conn.run_sync(lambda sync: [statement(sync) for statement in statements])

    async def close(self) -> None:
        await self._engine.dispose()

    @property
    def writers(self) -> int:
        """Four group commits in flight, but never more than half the pool: reads need connections too."""
        return max(1, min(4, self._pool_size // 2))


async def open_database(url: str, pool_size: int = DEFAULT_POOL_SIZE) -> Database:
    """Open (and create or upgrade the schema of) the database at `url`; `pool_size`: PostgreSQL connections."""
    parsed = normalise_url(url)
    if parsed.get_backend_name() == "sqlite":
        return SqliteDatabase(parsed)
    database = PostgresDatabase(parsed, pool_size)
    await database.setup()
    return database
