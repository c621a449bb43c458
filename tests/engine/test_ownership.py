"""The engine's ownership plumbing: a journey records who started it; asked on behalf of an owner, the engine
treats others' journeys as absent; a cancel records who cancelled. (HTTP-level: tests/auth.)"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from journeys.definitions import load_catalog
from journeys.engine import JourneyEngine, JourneyNotFound, parse_profiles
from journeys.store import JourneyStore
from tests.server.helpers import PAYMENT
from tests.support import API_KEYS, SHIPPED_DEFINITIONS


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[JourneyEngine]:
    store = await JourneyStore.open(database_url)
    definitions, sources = load_catalog([SHIPPED_DEFINITIONS])
    yield JourneyEngine(definitions, store, parse_profiles(API_KEYS), sources=sources)
    await store.close()


async def _start(engine: JourneyEngine, principal: str | None) -> str:
    started = await engine.start("payment-callback", dict(PAYMENT), principal=principal)
    return started.snapshot.record.id


async def test_a_journey_records_who_started_it_and_keeps_it(engine: JourneyEngine) -> None:
    shop, anonymous = await _start(engine, "shop"), await _start(engine, None)
    assert (await engine.get(shop)).record.started_by == "shop"
    assert (await engine.get(anonymous)).record.started_by is None
    cancelled = await engine.cancel(shop, owner="shop", by="shop")
    assert cancelled.record.phase == "Failed" and cancelled.record.started_by == "shop"
    assert (await engine.get(shop)).record.started_by == "shop"  # advances never change it


async def test_others_journeys_are_not_found_for_an_owner(engine: JourneyEngine) -> None:
    shop = await _start(engine, "shop")
    anonymous = await _start(engine, None)
    for journey_id in (shop, anonymous):
        for ask in (
            engine.get(journey_id, owner="other"),
            engine.result(journey_id, owner="other"),
            engine.history(journey_id, owner="other"),
            engine.cancel(journey_id, owner="other"),
        ):
            with pytest.raises(JourneyNotFound, match=f"no journey with id '{journey_id}'"):
                await ask
    assert (await engine.get(shop)).record.phase == "Running"  # the refused cancel changed nothing
    assert (await engine.get(shop, owner="shop")).record.id == shop
    assert [t.event for t in await engine.history(shop, owner="shop")] == ["start"]


async def test_lists_of_one_principal_and_of_everyone(engine: JourneyEngine) -> None:
    mine = {await _start(engine, "shop") for _ in range(3)}
    theirs = await _start(engine, "other")
    listed = await engine.list(journey_name=None, phase=None, limit=10, after=None, started_by="shop")
    assert {s.record.id for s in listed} == mine
    everyone = await engine.list(journey_name=None, phase=None, limit=10, after=None)
    assert {s.record.id for s in everyone} == mine | {theirs}


async def test_a_cancel_records_who_cancelled(engine: JourneyEngine) -> None:
    journey_id = await _start(engine, "shop")
    await engine.cancel(journey_id, by="ops")
    cancel = (await engine.history(journey_id))[-1]
    assert cancel.event == "cancel" and cancel.detail == {"cancelledBy": "ops"}
    unnamed = await _start(engine, None)
    await engine.cancel(unnamed)
    assert (await engine.history(unnamed))[-1].detail is None
