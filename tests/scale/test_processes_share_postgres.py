"""Several `journeys serve` processes on one PostgreSQL database, under load, one SIGKILLed mid-flight: nothing they
acknowledged is lost or doubled (issue 11, item 3).

Three processes on their own ports share a scratch database; the load client (tests.scale.load) starts journeys on
all of them, sends each callback to another process than the start, some twice, long-polls results on yet another,
and lets timers fall due on whichever process claims them. While async runs wait in a downstream call, the process
holding them is SIGKILLed; the load goes on (what goes to the dead process gets no answer and is not counted). Then a
survivor's API must show every acknowledged start ended, every acknowledged callback applied once, every timer fired
once, every long-poll answered with the end, and the dead process's async runs resumed by a survivor, once (their
downstream call made again by one process only: the recovery lease).

The second test does the same against `journeys serve --workers 3` (one port, SO_REUSEPORT): the worker killed is
one holding an async run, and the parent must replace it while the port keeps answering.

The wall time is mostly waiting for the dead process's run leases to lapse (journeys.engine.recovery's LEASE)
and, when it had claimed a timer, for that claim to lapse (timer_desk's CLAIM_LEASE): both are waited
for with bounded polls, never sleeps.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import aiohttp
import pytest

from tests.scale.load import (
    SCALE_DEFINITIONS,
    TIMER_DEFINITIONS,
    Downstream,
    Load,
    check_exactly_once,
    check_resumed_once,
    children,
    kill_mid_call,
    settle,
    socket_owner,
    summary,
    until,
)
from tests.server_process import ServerProcess, spawning
from tests.support import API_KEYS, SHIPPED_DEFINITIONS, TEST_DEFINITIONS, on_loopback

pytestmark = pytest.mark.skipif(
    not Path("/proc/net/tcp").exists(),
    reason="finds which process makes a call, and a parent's workers, in Linux /proc",
)
DEFINITIONS = (SHIPPED_DEFINITIONS, TEST_DEFINITIONS, TIMER_DEFINITIONS, SCALE_DEFINITIONS)
TIMEOUT = aiohttp.ClientTimeout(total=75)  # above the long-polls' wait
SETTLE_SECONDS = 90  # a bound, not a wait: abandoned runs resume after ~15 s, a dead claim on a timer lapses in 30 s


@pytest.fixture
async def downstream() -> AsyncIterator[Downstream]:
    service = Downstream()
    async with on_loopback(service.app()) as base:
        service.url = base
        yield service


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Callable[..., ServerProcess]]:
    """Start `journeys serve` processes with the scale definitions loaded; all stopped at the end (a test asks for
    it after `postgres_url` and `downstream`, so that the servers stop before those go)."""
    # A small pool each: the suite runs beside other tests sharing one PostgreSQL's max_connections.
    yield from spawning(tmp_path, {"apiKeys": API_KEYS, "databasePoolSize": 6}, DEFINITIONS)


def start_load(load: Load) -> asyncio.Task[None]:
    """About 110 journeys started over 5 s, each carried through to its end in the background."""
    return asyncio.create_task(load.run(payments=45, timers=18, deadlines=16, asyncs=30, seconds=5.0))


def client() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(timeout=TIMEOUT, connector=aiohttp.TCPConnector(limit=0))


async def test_three_processes_lose_nothing_when_one_is_killed(
    postgres_url: str, downstream: Downstream, spawn: Callable[..., ServerProcess]
) -> None:
    async with client() as http:
        processes = [spawn(postgres_url) for _ in range(3)]  # at once: they take turns to create the schema
        await asyncio.gather(*(process.ready(http) for process in processes))
        victim, survivor = processes[1], processes[2]
        load = Load(http, [process.base for process in processes], downstream)
        loop = asyncio.get_running_loop()
        downstream.servers = lambda: {process.process.pid for process in processes}
        running = start_load(load)
        began = loop.time()
        # Mid-flight: its async runs, callbacks and long-polls in flight, perhaps a timer it claimed.
        killed, lost_runs = await kill_mid_call(downstream, lambda: {victim.process.pid}, began)
        killed_at = loop.time()

        await running
        await settle(http, survivor.base, load.journeys, SETTLE_SECONDS)
        lags = await check_exactly_once(http, survivor.base, load, killed)
        print(summary(load, lost_runs, killed_at, lags), f"{loop.time() - began:.1f} s")
        check_resumed_once(downstream, lost_runs, killed)
        counts = {kind: sum(j.kind == kind for j in load.journeys) for kind in ("payment", "timer", "deadline")}
        assert all(count >= 5 for count in counts.values()), counts
        assert sum(j.acked_at > killed_at for j in load.journeys) >= 5  # the load went on on the survivors


async def test_workers_on_one_port_lose_nothing_and_a_killed_worker_is_replaced(
    postgres_url: str, downstream: Downstream, spawn: Callable[..., ServerProcess]
) -> None:
    """`journeys serve --workers 3`: the kernel spreads connections over the workers (a new connection for each
    request), so starts, callbacks and long-polls of one journey land on whichever worker it picks."""
    connector = aiohttp.TCPConnector(limit=0, force_close=True)
    async with aiohttp.ClientSession(timeout=TIMEOUT, connector=connector) as http:
        server = spawn(postgres_url, options=("--workers", "3"))
        parent = server.process.pid
        await until(lambda: len(children(parent)) == 3, 30, "the parent runs 3 workers")
        await server.ready(http)
        load = Load(http, [server.base], downstream)
        loop = asyncio.get_running_loop()
        workers = children(parent)
        downstream.servers = lambda: children(parent) | workers
        running = start_load(load)
        began = loop.time()
        killed, lost_runs = await kill_mid_call(downstream, lambda: workers, began)
        killed_at = loop.time()

        def replaced() -> set[int]:
            return children(parent) - workers

        await until(lambda: len(children(parent)) == 3 and bool(replaced()), 30, "a worker replaces the killed one")
        await running
        await settle(http, server.base, load.journeys, SETTLE_SECONDS)
        lags = await check_exactly_once(http, server.base, load, killed)
        print(summary(load, lost_runs, killed_at, lags), f"{loop.time() - began:.1f} s")
        check_resumed_once(downstream, lost_runs, killed)  # by a surviving worker or the new one
        assert sum(j.acked_at > killed_at for j in load.journeys) >= 5  # the port kept answering
        # The replacement serves the port beside the others: it holds a socket bound to it.
        (new,) = replaced()
        assert killed not in children(parent) and socket_owner(server.port, {new}) == new
