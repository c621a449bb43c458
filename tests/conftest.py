"""Shared fixtures: real databases (a SQLite file, a throwaway PostgreSQL database) and a live server.

PostgreSQL tests create a database with a unique name and drop it afterwards; when no server answers
they are skipped with the reason, so the suite still passes on a laptop without PostgreSQL.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import datetime
from pathlib import Path

import aiohttp
import asyncpg
import pytest
from aiohttp import web

from journeys.connectors.http_client import AiohttpOutbound
from journeys.definitions import load_catalog
from journeys.engine import JourneyEngine
from journeys.server.app import build_app
from journeys.server.http_protocol import ProblemAppRunner
from journeys.store import JourneyStore
from tests.support import FakeClock, LiveServer, server_config

PG_ADMIN_URL = os.environ.get("JOURNEYS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


async def _postgres_admin() -> asyncpg.Connection | None:
    try:
        return await asyncpg.connect(PG_ADMIN_URL, timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return None


async def _create_database(name: str) -> bool:
    admin = await _postgres_admin()
    if admin is None:
        return False
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    return True


async def _drop_database(name: str) -> None:
    admin = await _postgres_admin()
    assert admin is not None
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for one test, dropped afterwards (sync: it runs outside the test's loop)."""
    name = f"journeys_test_{uuid.uuid4().hex[:12]}"
    if not asyncio.run(_create_database(name)):
        pytest.skip(f"no PostgreSQL server answers at {PG_ADMIN_URL} (set JOURNEYS_TEST_POSTGRES_URL)")
    try:
        yield f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        asyncio.run(_drop_database(name))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'journeys.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Every test using this runs twice: on a SQLite file and on a real PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'journeys.db'}"
    else:
        yield request.getfixturevalue("postgres_url")


@pytest.fixture
async def start_server() -> AsyncIterator[Callable[..., object]]:
    """Start a real aiohttp server on a loopback port (any number of times); all are stopped at the end."""
    running: list[Callable[[], Awaitable[None]]] = []

    async def start(
        database_url: str, *, now: datetime | None = None, fires_timers: bool = False, **changes: object
    ) -> LiveServer:
        """`now` is the server's clock when it starts (what it stores its definition versions at). The clock stands
        still, so the scheduler fires no timer by itself (tests fire them) unless `fires_timers`."""
        config = server_config(database_url, **changes)
        clock = FakeClock(now)
        clock.moves_by_itself = fires_timers
        store = await JourneyStore.open(database_url)
        outbound = AiohttpOutbound(config.outbound_rewrites)
        definitions, sources = load_catalog(config.definitions)
        engine = JourneyEngine(
            definitions,
            store,
            config.api_keys,
            clock=clock,
            outbound=outbound,
            sources=sources,
            inbound_secrets=config.inbound_secrets,
            platform_config=config.platform_config,
            result_push=config.result_push,
            cache=config.cache,
        )
        runner = ProblemAppRunner(build_app(config, engine=engine))
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        http = aiohttp.ClientSession()

        async def stop() -> None:
            running.remove(stop)
            await http.close()
            await runner.cleanup()
            await store.close()
            await outbound.close()

        running.append(stop)
        return LiveServer(f"http://127.0.0.1:{port}", http, engine, clock, stop)

    yield start
    for stop in list(running):
        await stop()


@pytest.fixture
async def server(start_server: Callable[..., object], database_url: str) -> LiveServer:
    return await start_server(database_url)  # type: ignore[misc]
