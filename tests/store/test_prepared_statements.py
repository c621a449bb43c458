"""The store's hot path on SQLite runs its prepared statements on the driver (`journeys.store.sqlite_fast`), the rest
through SQLAlchemy: what a caller reads and the errors it gets must not depend on which path served it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from journeys.store import (
    AdvanceOutcome,
    InstanceRecord,
    JourneyFilter,
    JourneyStore,
    KeyInUse,
    Timer,
)
from tests.store.samples import sample_record, sample_transition

NOW = datetime(2026, 3, 1, 12, 0, 0, 500, tzinfo=UTC)


def _record(journey_id: str, **changes: object) -> InstanceRecord:
    """A sample journey whose times have microseconds and whose context holds every JSON kind."""
    context = {"paymentId": journey_id, "amount": 10.5, "nested": {"é": [1, None, True]}}
    instants = {"created_at": NOW, "updated_at": NOW + timedelta(microseconds=1)}
    return sample_record(journey_id, **{"context": context, **instants, **changes})


async def test_a_journey_read_by_id_is_the_journey_listed(database_url: str) -> None:
    store = await JourneyStore.open(database_url)
    try:
        due = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)  # a whole second: stored without a fraction by some writers
        record = _record("j1", due_at=due, timers={"step": Timer("step", "waitForCallback", due)})
        await store.insert(record, sample_transition(record))
        listed = await store.list(JourneyFilter(), limit=10, after=None)
        assert await store.get("j1") == record == listed[0]
        assert (await store.get("j1")).due_at.tzinfo is not None  # type: ignore[union-attr]

        advanced = _record("j1", phase="Succeeded", waiting=False, version=2, outcome={"status": "SUCCESS"})
        assert await store.advance(advanced, 1, sample_transition(advanced, "step")) == AdvanceOutcome.APPLIED
        assert await store.advance(advanced, 1, sample_transition(advanced, "step")) == AdvanceOutcome.CONFLICT
        assert await store.get("j1") == advanced == (await store.list(JourneyFilter(), limit=10, after=None))[0]
    finally:
        await store.close()


async def test_a_refused_write_is_refused_as_before_and_spares_its_batch(database_url: str) -> None:
    store = await JourneyStore.open(database_url)
    try:
        holder = _record("holder", inbound_source="gw", inbound_key="k", inbound_open_key="k")
        await store.insert(holder, sample_transition(holder))
        rival = _record("rival", inbound_source="gw", inbound_key="k", inbound_open_key="k")
        bystander = _record("bystander")
        results = await asyncio.gather(
            store.insert(rival, sample_transition(rival)),
            store.insert(bystander, sample_transition(bystander)),
            return_exceptions=True,
        )
        assert isinstance(results[0], KeyInUse) and results[1] is None
        assert await store.get("rival") is None
        assert await store.get("bystander") == bystander
    finally:
        await store.close()


@pytest.mark.parametrize("journey_id", ["", "x" * 200, "nul\x00"])
async def test_odd_ids_are_simply_not_found(database_url: str, journey_id: str) -> None:
    store = await JourneyStore.open(database_url)
    try:
        assert await store.get(journey_id) is None
    finally:
        await store.close()
