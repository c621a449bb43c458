"""The count of waiting journeys a scrape reports reads every waiting row, so it is reused for a while in proportion
to what reading it cost (journeys.engine.vitals): a scrape soon after shows the last count, a later one counts
again. The store and engine are real; only the monotonic clock the reuse is measured by is stepped by hand."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from journeys.definitions import load_catalog
from journeys.engine import JourneyEngine
from journeys.engine.vitals import WAITING_COST_SHARE, WAITING_MAX_AGE, Vitals
from journeys.store import JourneyStore

DEFINITIONS = Path(__file__).resolve().parents[2] / "definitions"
JOURNEY = "payment-callback"
READ_TAKES = 0.01  # seconds each read of the stepped clock says passed since the previous one


class SteppedClock:
    """A monotonic clock that moves `step` on every read (a count thus "takes" `step`), or by `jump`."""

    def __init__(self) -> None:
        self.now = 0.0
        self.step = READ_TAKES

    def __call__(self) -> float:
        self.now += self.step
        return self.now

    def jump(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[JourneyEngine]:
    store = await JourneyStore.open(database_url)
    engine = JourneyEngine(load_catalog([DEFINITIONS])[0], store, {})
    await engine.versions.publish(engine.clock())
    yield engine
    await store.close()


async def _start(engine: JourneyEngine, payment: str) -> None:
    await engine.start(JOURNEY, {"paymentId": payment, "amount": 1, "currency": "EUR"})


def _count(waiting: list[tuple[str, str, int]]) -> int:
    return sum(count for name, state, count in waiting if (name, state) == (JOURNEY, "waitForCallback"))


async def test_a_count_is_reused_for_a_hundred_times_its_cost_then_read_again(engine: JourneyEngine) -> None:
    clock = SteppedClock()
    vitals = Vitals(engine, monotonic=clock)
    await _start(engine, "pay-1")
    assert _count(await vitals.waiting()) == 1

    await _start(engine, "pay-2")
    assert _count(await vitals.waiting()) == 1  # the count took READ_TAKES: reused for WAITING_COST_SHARE times that

    clock.jump(READ_TAKES * WAITING_COST_SHARE)
    assert _count(await vitals.waiting()) == 2


async def test_no_count_is_older_than_the_cap_however_long_it_took(engine: JourneyEngine) -> None:
    clock = SteppedClock()
    vitals = Vitals(engine, monotonic=clock)
    await _start(engine, "pay-1")
    clock.step = 3600.0  # this read "takes" an hour
    assert _count(await vitals.waiting()) == 1
    clock.step = READ_TAKES
    await _start(engine, "pay-2")
    clock.jump(WAITING_MAX_AGE)
    assert _count(await vitals.waiting()) == 2
