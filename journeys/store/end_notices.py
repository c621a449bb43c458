"""Hearing at once that another process ended a journey: PostgreSQL's LISTEN/NOTIFY.

A trigger (alembic revision 0008) NOTIFYs `CHANNEL` with the journey's id when its phase leaves Running, in the
transaction of that advance, so the notice goes out on commit and never for an advance that lost. Each process
listens on one connection of its own (asyncpg directly: SQLAlchemy's pool has no notion of a listening
connection). Notices sent while that connection was down are lost, so every (re)connect is reported too, and
listeners re-read what they wait for. SQLite has no notices and needs none: one process owns the file.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from sqlalchemy.engine import URL

log = logging.getLogger("journeys.store")

CHANNEL = "journeys_ended"
# How the listening connection shows in pg_stat_activity, for operators (and tests) to tell it from the pool's.
APPLICATION_NAME = "journeys-end-notices"
_NAMED = {"application_name": APPLICATION_NAME}
PING_EVERY_SECONDS = 30.0  # an idle listening connection is checked this often, and dropped if it does not answer
PING_TIMEOUT_SECONDS = 5.0
RECONNECT_SECONDS = (0.5, 1.0, 2.0, 5.0)  # waits between attempts while the database is unreachable, then 5 s


def _dsn(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


class EndNotices:
    """Calls `heard(journey_id)` for every journey any process ends, and `connected()` after each (re)connect."""

    def __init__(self, url: URL, heard: Callable[[str], None], connected: Callable[[], None]) -> None:
        self._dsn = _dsn(url)
        self._heard = heard
        self._connected = connected
        self.listening = False

    async def run(self, stop: asyncio.Event) -> None:
        """Listen until `stop` is set, reconnecting (with growing pauses while that fails) whenever the connection
        is lost. Never raises: long-polls fall back to re-reading while nothing is heard."""
        failures = 0
        while not stop.is_set():
            connection: asyncpg.Connection | None = None
            try:
                connecting = asyncio.ensure_future(asyncpg.connect(self._dsn, timeout=10, server_settings=_NAMED))
                await _first(connecting, stop.wait())  # a shutdown does not wait out a connect to a database away
                if connecting.cancelled():
                    return  # stopped while connecting
                connection = connecting.result()
                await self._listen(connection, stop)
            except Exception as error:  # the database away, restarting, or cutting this connection mid-statement
                if self.listening:
                    failures = 0  # it had listened until now: a new outage
                if failures == 0:
                    log.warning("cannot listen for ended journeys (%s); retrying", type(error).__name__)
                failures += 1
            finally:
                self.listening = False
                if connection is not None:
                    with contextlib.suppress(Exception):
                        await connection.close(timeout=2)
            pause = RECONNECT_SECONDS[min(failures, len(RECONNECT_SECONDS)) - 1]
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), pause)

    async def _listen(self, connection: asyncpg.Connection, stop: asyncio.Event) -> None:
        """Hear notices on `connection` until `stop` is set or the connection is lost (then raises)."""
        lost = asyncio.Event()
        connection.add_termination_listener(lambda _connection: lost.set())
        await connection.add_listener(CHANNEL, lambda _c, _pid, _channel, payload: self._heard(payload))
        self.listening = True
        self._connected()
        while not stop.is_set():
            await _first(stop.wait(), lost.wait(), asyncio.sleep(PING_EVERY_SECONDS))
            if lost.is_set() and not stop.is_set():
                raise ConnectionError("the listening connection was closed")
            if not stop.is_set():  # an idle connection can die silently (a failover, a NAT's idle timeout)
                await connection.fetchval("SELECT 1", timeout=PING_TIMEOUT_SECONDS)


async def _first(*waits: Awaitable[Any]) -> None:
    """Return when the first of `waits` completes; cancel the others."""
    tasks = [asyncio.ensure_future(wait) for wait in waits]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
