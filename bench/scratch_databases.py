"""A throwaway database for a benchmark run: a SQLite file in the run's temporary directory, or a fresh PostgreSQL
database on the given server, dropped at the end."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg


@asynccontextmanager
async def scratch_database(postgres: str | None, directory: Path) -> AsyncIterator[str]:
    """Yields the database URL to open; `postgres` is a server URL (a database is created there and dropped)."""
    if postgres is None:
        yield f"sqlite:///{directory / 'bench.db'}"
        return
    name = f"journeys_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(postgres)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    try:
        yield f"{postgres.rsplit('/', 1)[0]}/{name}"
    finally:
        admin = await asyncpg.connect(postgres)
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()
