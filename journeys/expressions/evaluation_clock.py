"""The time DataWeave's `now()` reads: the wall clock, unless whoever runs the expressions set a clock of its own.

An engine on an adjustable clock (a scenario run, the server's test clock) must give expressions the same time it
gives timers and history: else a journey that branches on `now().hour`, or writes `decidedAt: now()`, behaves by
the real hour and stamps outputs no test can predict. A context variable carries the clock to the expressions
without threading it through every evaluation call; tasks started while it is set inherit it.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar, Token
from datetime import UTC, datetime

EVALUATION_CLOCK: ContextVar[Callable[[], datetime] | None] = ContextVar("evaluation_clock", default=None)


def use_evaluation_clock(clock: Callable[[], datetime]) -> Token[Callable[[], datetime] | None]:
    """Have `now()` read `clock` in this context (and tasks started from it); reset with the returned token."""
    return EVALUATION_CLOCK.set(clock)


def evaluation_now() -> datetime:
    clock = EVALUATION_CLOCK.get()
    return clock() if clock is not None else datetime.now(UTC)
