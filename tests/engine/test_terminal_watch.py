"""Long-poll readers wake on a signal, even one sent while they were reading, and leave nothing behind."""

from __future__ import annotations

import asyncio

from journeys.engine.terminal_watch import TerminalWatch


async def _woken(event: asyncio.Event, timeout: float) -> bool:
    try:
        await asyncio.wait_for(event.wait(), timeout)
    except TimeoutError:
        return False
    return True


async def test_a_signal_wakes_every_reader_of_the_journey_and_no_other() -> None:
    watch = TerminalWatch()
    with watch.watching("j1") as first, watch.watching("j1") as second, watch.watching("j2") as other:
        assert len(watch) == 2
        watch.signal("j1")
        assert await _woken(first, 1) and await _woken(second, 1)
        assert not await _woken(other, 0.05)
    assert len(watch) == 0
    watch.signal("j1")  # a signal with nobody waiting is harmless


async def test_a_signal_sent_before_the_reader_waits_is_not_lost() -> None:
    """The end is committed while the reader is still reading the journey: it must not wait out its re-read."""
    watch = TerminalWatch()
    with watch.watching("j1") as ended:
        watch.signal("j1")  # before the reader awaits anything
        assert await _woken(ended, 0.05)


async def test_one_reader_clearing_its_event_does_not_hide_the_signal_from_another() -> None:
    watch = TerminalWatch()
    with watch.watching("j1") as fast, watch.watching("j1") as slow:
        watch.signal("j1")
        assert await _woken(fast, 1)
        fast.clear()  # the fast reader re-reads and finds the journey still running: it waits again
        assert await _woken(slow, 0.05)
