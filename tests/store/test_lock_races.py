"""A write whose transaction lost a deadlock is run again, not failed: the database rolled all of it back.

A real deadlock between two group-committed PostgreSQL transactions depends on timing; here a real database
reports one (the error PostgreSQL raises, SQLSTATE 40P01) on the first attempt of a real write.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection

from journeys.store.database import Statement, open_database
from journeys.store.write_batcher import WriteBatcher


class _DeadlockDetected(Exception):
    """What SQLAlchemy raises for asyncpg's DeadlockDetectedError: the driver error is on `.orig`."""

    class _Orig:
        sqlstate = "40P01"

    orig = _Orig()


async def test_a_write_that_lost_a_deadlock_is_run_again(sqlite_url: str) -> None:
    database = await open_database(sqlite_url)
    real = database.transaction
    attempts = []

    async def deadlocking_once(statements: Sequence[Statement]) -> list[Any]:
        attempts.append(len(statements))
        if len(attempts) == 1:
            raise _DeadlockDetected("deadlock detected")
        return await real(statements)

    database.transaction = deadlocking_once  # type: ignore[method-assign]
    batcher = WriteBatcher(database)
    try:

        def write(conn: Connection) -> int:
            return int(conn.exec_driver_sql("SELECT 40 + 2").scalar_one())

        assert await batcher.submit(write) == 42
        assert attempts == [1, 1]
    finally:
        await batcher.close()
        await database.close()


async def test_other_failures_are_not_retried(sqlite_url: str) -> None:
    database = await open_database(sqlite_url)
    batcher = WriteBatcher(database)
    calls = []

    def broken(conn: Connection) -> None:
        calls.append(1)
        conn.exec_driver_sql("SELECT * FROM no_such_table")

    try:
        try:
            await batcher.submit(broken)
        except Exception as error:
            assert "no_such_table" in str(error)
        else:
            raise AssertionError("the broken write succeeded")
        assert calls == [1]
    finally:
        await batcher.close()
        await database.close()
