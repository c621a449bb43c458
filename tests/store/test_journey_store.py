"""The store on a real SQLite file and a real PostgreSQL database: schema, compare-and-set, queries."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from journeys.store import InstanceRecord, JourneyFilter, JourneyStore, Timer
from journeys.store.database import normalise_url
from journeys.store.migrations import head_revision
from tests.store.samples import NOW, sample_record, sample_transition

LEASE = timedelta(seconds=30)


async def test_round_trip_and_reopen(database_url: str) -> None:
    store = await JourneyStore.open(database_url)
    record = sample_record("j1", due_at=NOW + timedelta(hours=1))
    await store.insert(record, sample_transition(record))
    await store.close()

    reopened = await JourneyStore.open(database_url)  # the schema upgrade is a no-op the second time
    try:
        assert await reopened.get("j1") == record
        assert await reopened.get("missing") is None
        assert [t.event for t in await reopened.history("j1")] == ["start"]
    finally:
        await reopened.close()


async def test_an_advance_has_exactly_one_winner(database_url: str) -> None:
    store = await JourneyStore.open(database_url)
    try:
        record = sample_record("j2")
        await store.insert(record, sample_transition(record))
        attempts = []
        for i in range(20):
            after = sample_record("j2", phase="Succeeded", waiting=False, version=2, current_state=f"end{i}")
            attempts.append(store.advance(after, 1, sample_transition(after, "step")))
        results = [o == "applied" for o in await asyncio.gather(*attempts)]  # all in flight: shared commits
        assert results.count(True) == 1 and len(results) == 20
        stored = await store.get("j2")
        assert stored is not None and stored.version == 2
        assert stored.current_state == f"end{results.index(True)}"
        assert [t.event for t in await store.history("j2")] == ["start", "step"]
    finally:
        await store.close()


async def test_a_failing_write_does_not_sink_its_batch(database_url: str) -> None:
    store = await JourneyStore.open(database_url)
    try:
        first = sample_record("dup")
        await store.insert(first, sample_transition(first))
        fresh = [sample_record(f"ok{i}") for i in range(10)]
        results = await asyncio.gather(
            store.insert(first, sample_transition(first)),  # duplicate primary key
            *(store.insert(r, sample_transition(r)) for r in fresh),
            return_exceptions=True,
        )
        assert isinstance(results[0], Exception)
        assert all(result is None for result in results[1:])
        assert [await store.get(r.id) for r in fresh] == fresh
    finally:
        await store.close()


def _timed(journey_id: str, due_at: datetime, **changes: object) -> InstanceRecord:
    """A journey waiting at its step with a step timeout due at `due_at`."""
    timer = Timer("step-timeout", "waitForCallback", due_at)
    return sample_record(journey_id, due_at=due_at, timers={"step-timeout": timer}, **changes)


async def test_due_runnable_and_list_queries(database_url: str) -> None:
    store = await JourneyStore.open(database_url)
    try:
        rows = [
            _timed("due", NOW - timedelta(seconds=1)),
            _timed("later", NOW + timedelta(hours=1)),
            sample_record("pending", waiting=False, current_state="start"),
            sample_record("done", phase="Succeeded", waiting=False, created_at=NOW + timedelta(seconds=1)),
        ]
        for row in rows:
            await store.insert(row, sample_transition(row))
        assert [c.journey_id for c in await store.claim_timers(NOW, LEASE)] == ["due"]
        assert (await store.get("due")).timers == rows[0].timers  # type: ignore[union-attr]
        assert [r.id for r in await store.runnable()] == ["pending"]
        assert [r.id for r in await store.list(JourneyFilter(phase="Succeeded"), limit=10, after=None)] == ["done"]
        first = await store.list(JourneyFilter(journey_name="payment-callback"), limit=2, after=None)
        after = (first[-1].created_at, first[-1].id)
        rest = await store.list(JourneyFilter(journey_name="payment-callback"), limit=10, after=after)
        assert first[0].id == "done"
        assert sorted(r.id for r in first + rest) == sorted(r.id for r in rows)
    finally:
        await store.close()


async def test_a_claimed_timer_is_claimed_again_only_after_its_lease_or_a_release(database_url: str) -> None:
    store = await JourneyStore.open(database_url)
    try:
        row = _timed("due", NOW - timedelta(seconds=1))
        await store.insert(row, sample_transition(row))
        (claim,) = await store.claim_timers(NOW, LEASE)
        assert await store.claim_timers(NOW, LEASE) == []  # another process asking now gets nothing
        assert await store.next_timer_due(NOW) is None  # and the scheduler does not spin on it
        assert [c.journey_id for c in await store.claim_timers(NOW + LEASE, LEASE)] == ["due"]  # a dead claimer
        await store.release_timer(claim)
        assert [c.journey_id for c in await store.claim_timers(NOW + LEASE, LEASE)] == ["due"]
    finally:
        await store.close()


async def test_an_advance_rewrites_the_timers_only_when_they_change(database_url: str) -> None:
    store = await JourneyStore.open(database_url)
    try:
        row = _timed("j", NOW + timedelta(hours=1))
        await store.insert(row, sample_transition(row))
        moved = sample_record("j", version=2, current_state="next", timers={}, timers_changed=True)
        assert await store.advance(moved, 1, sample_transition(moved, "step")) == "applied"
        assert await store.next_timer_due(NOW + timedelta(days=1)) is None
        assert (await store.get("j")).timers == {}  # type: ignore[union-attr]
    finally:
        await store.close()


async def test_timers_of_versions_that_cannot_run_never_fill_the_due_batch(database_url: str) -> None:
    """Journeys of a version that no longer compiles cannot time out; left in the batch, enough of them would keep
    every other journey's timer from firing."""
    store = await JourneyStore.open(database_url)
    try:
        past = NOW - timedelta(minutes=1)
        rows = [
            _timed("broken-1", past - timedelta(hours=2), definition_digest="broken"),
            _timed("broken-2", past - timedelta(hours=1), definition_digest="broken"),
            _timed("legacy", past, definition_digest=None),
            _timed("fine", past, definition_digest="fine"),
        ]
        for row in rows:
            await store.insert(row, sample_transition(row))
        kept = await store.claim_timers(NOW, LEASE, 2, skip_digests=frozenset({"broken"}))
        assert sorted(c.journey_id for c in kept) == ["fine", "legacy"]
        assert [c.journey_id for c in await store.claim_timers(NOW, LEASE, 2)] == ["broken-1", "broken-2"]
    finally:
        await store.close()


async def test_the_schema_revision_is_recorded(sqlite_url: str, tmp_path: Path) -> None:
    store = await JourneyStore.open(sqlite_url)
    await store.close()
    with sqlite3.connect(tmp_path / "journeys.db") as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [(head_revision(),)]
        assert head_revision() == "0013"


def test_url_normalisation() -> None:
    assert normalise_url("sqlite:///x.db").drivername == "sqlite+pysqlite"
    assert normalise_url("postgresql://u@h/db").drivername == "postgresql+asyncpg"
    with pytest.raises(ValueError, match="unsupported database URL"):
        normalise_url("mysql://u@h/db")
