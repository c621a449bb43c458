"""Alembic's environment: runs the revisions on the connection `journeys.store.migrations` hands it.

At runtime no alembic.ini is involved: `upgrade_schema` builds the configuration in code and passes its open
connection (inside the transaction the store opened) as `config.attributes["connection"]`. A developer writing
a revision points the alembic command line at a database instead, e.g.
`alembic -c journeys/store/migrations/alembic.ini -x url=sqlite:///dev.db revision --autogenerate -m "..."`.
"""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import context
from sqlalchemy import create_engine
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

# Both modules register their tables in SQLModel.metadata, for autogenerate.
import journeys.store.effect_tables
import journeys.store.tables  # noqa: F401
from journeys.store.database import normalise_url
from journeys.store.migrations.runner import sqlite_upgrade_connection

config = context.config


def _run(connection: Any) -> None:
    context.configure(connection=connection, target_metadata=SQLModel.metadata)
    with context.begin_transaction():
        context.run_migrations()


async def _run_async(url: URL) -> None:
    engine = create_async_engine(url)
    async with engine.connect() as connection:
        await connection.run_sync(_run)
        await connection.commit()
    await engine.dispose()


def _run_from_command_line() -> None:
    raw = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    if not raw:
        raise SystemExit("name the database: alembic -x url=sqlite:///journeys.db ...")
    url = normalise_url(raw)
    if url.get_backend_name() != "sqlite":
        asyncio.run(_run_async(url))
        return
    engine = create_engine(url)
    with sqlite_upgrade_connection(engine) as connection:  # one transaction, as when the store upgrades
        _run(connection)
    engine.dispose()


if config.attributes.get("connection") is not None:
    _run(config.attributes["connection"])
else:
    _run_from_command_line()
