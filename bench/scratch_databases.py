"""A throwaway database for a benchmark run: a SQLite file in the run's temporary directory, or a fresh PostgreSQL
database on the given server, dropped at the end."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg


@asynccontextmanager
async def scratch_database(
    postgres: str | None, directory: Path, name: str = "bench", *, keep: bool = False
) -> AsyncIterator[str]:
    """Yields the database URL to open; `postgres` is a server URL (a database is created there and dropped, unless
    `keep`: to look into afterwards). `name` tells apart several scratch databases of one run (the SQLite file name;
    a part of the PostgreSQL one)."""
    if postgres is None:
        yield f"sqlite:///{directory / f'{name}.db'}"
        return
    database = f"journeys_{name}_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(postgres)
    await admin.execute(f'CREATE DATABASE "{database}"')
    await admin.close()
    try:
        yield f"{postgres.rsplit('/', 1)[0]}/{database}"
    finally:
        if not keep:
            admin = await asyncpg.connect(postgres)
            await admin.execute(f'DROP DATABASE "{database}" WITH (FORCE)')
            await admin.close()
