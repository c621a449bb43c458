"""Opening the database: URL normalisation, connection settings, and schema creation/upgrade.

SQLite is the embedded default (a file, WAL journal, full fsync on commit so an acknowledged advance
survives a crash); PostgreSQL is reached through asyncpg with the same tables and statements.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from sqlalchemy import event, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlmodel import SQLModel

from journeys.store.tables import schema_version_table

DEFAULT_DATABASE_URL = "sqlite:///journeys.db"

Migration = Callable[[AsyncConnection], Awaitable[None]]


async def _create_tables(conn: AsyncConnection) -> None:
    await conn.run_sync(SQLModel.metadata.create_all)


# Each entry upgrades the schema from version N-1 to N (index + 1). Append, never edit.
MIGRATIONS: tuple[Migration, ...] = (_create_tables,)
SCHEMA_VERSION = len(MIGRATIONS)


def normalise_url(url: str) -> str:
    """Map the URLs people type (`sqlite:///x.db`, `postgresql://...`) onto the async drivers we ship."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    elif backend in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    else:
        raise ValueError(f"unsupported database URL {url!r}: use sqlite:///FILE or postgresql://HOST/DB")
    return parsed.render_as_string(hide_password=False)


def is_sqlite(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "sqlite"


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def create_engine(url: str) -> AsyncEngine:
    """Create the async engine for `url`, creating the SQLite file's directory when needed."""
    async_url = make_url(normalise_url(url))
    if async_url.get_backend_name() == "sqlite":
        database = async_url.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(async_url, pool_size=4, max_overflow=4)
        _configure_sqlite(engine)
        return engine
    return create_async_engine(async_url, pool_size=12, max_overflow=8, pool_pre_ping=False)


async def upgrade_schema(engine: AsyncEngine) -> int:
    """Bring the schema to SCHEMA_VERSION, running only the migrations this database has not had yet."""
    async with engine.begin() as conn:
        await conn.run_sync(schema_version_table.create, checkfirst=True)
        current = (await conn.execute(select(schema_version_table.c.version))).scalar_one_or_none()
        applied = current or 0
        for migration in MIGRATIONS[applied:]:
            await migration(conn)
        if current is None:
            await conn.execute(schema_version_table.insert().values(id=1, version=SCHEMA_VERSION))
        elif current != SCHEMA_VERSION:
            await conn.execute(schema_version_table.update().values(version=SCHEMA_VERSION))
    return SCHEMA_VERSION
