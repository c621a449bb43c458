"""Long-poll waiters wake on a signal, time out otherwise, and leave nothing behind."""

from __future__ import annotations

import asyncio

from journeys.engine.terminal_watch import TerminalWatch


async def test_signal_wakes_every_waiter_and_cleans_up() -> None:
    watch = TerminalWatch()
    waiters = [asyncio.create_task(watch.wait("j1", 5)) for _ in range(3)]
    await asyncio.sleep(0.01)
    assert len(watch) == 1
    watch.signal("j1")
    await asyncio.wait_for(asyncio.gather(*waiters), timeout=1)
    assert len(watch) == 0


async def test_timeout_returns_and_cleans_up() -> None:
    watch = TerminalWatch()
    loop = asyncio.get_running_loop()
    began = loop.time()
    await watch.wait("j2", 0.05)
    assert loop.time() - began >= 0.04
    assert len(watch) == 0
    watch.signal("j2")  # a signal with nobody waiting is harmless
    assert len(watch) == 0
