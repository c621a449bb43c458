"""Telling a database outage from a bug, and logging it at a bounded rate.

While the database is unreachable every request and every background loop fails the same way; logging each
failure with its traceback wrote ~325,000 lines in a 10 s PostgreSQL outage. This module sits below the
server and the engine (both report here) so that one process writes at most one line per second per outage,
each with the number of failures it stands for, and one line when the database answers again.
"""

from __future__ import annotations

import errno
import logging
import socket
import time
from collections.abc import Callable, Iterator

import asyncpg
from sqlalchemy import exc as sa_exc

log = logging.getLogger("journeys.database")

# SQLSTATE classes of "cannot talk to the server": 08 connection exception; 57P01-57P03 admin/crash shutdown
# and "cannot connect now" (the server is starting or stopping).
_UNAVAILABLE_SQLSTATES = ("08", "57P01", "57P02", "57P03")
_NETWORK_ERRNOS = frozenset(
    {errno.ENETDOWN, errno.ENETUNREACH, errno.EHOSTDOWN, errno.EHOSTUNREACH, errno.ETIMEDOUT, errno.EPIPE}
)
_SUMMARY_LENGTH = 200


def _chain(error: BaseException) -> Iterator[BaseException]:
    """`error`, the driver error SQLAlchemy wrapped (`orig`) and the causes, each once."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        orig = getattr(current, "orig", None)
        pending.extend([orig if isinstance(orig, BaseException) else None, current.__cause__, current.__context__])


def _network_error(error: BaseException) -> bool:
    """A failed connection: refused, reset, unreachable, timed out, or a name that does not resolve. A plain
    OSError without an errno is what asyncio raises when every address of a host failed. Not file errors."""
    if isinstance(error, ConnectionError | TimeoutError | socket.gaierror):
        return True
    return type(error) is OSError and (error.errno is None or error.errno in _NETWORK_ERRNOS)


def is_database_unavailable(error: BaseException) -> bool:
    """True when `error` means the database could not be reached (connection refused, reset or lost, the
    server shutting down, no pooled connection free in time), not that a statement was wrong.

    Connection errors reach us raw from the driver's connect (asyncpg raises `OSError`/`ConnectionError`)
    or wrapped by SQLAlchemy, so the whole chain of causes is examined.
    """
    for current in _chain(error):
        if isinstance(current, sa_exc.DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, sa_exc.TimeoutError) or _network_error(current):
            return True
        sqlstate = getattr(current, "sqlstate", None)
        if isinstance(sqlstate, str) and sqlstate.startswith(_UNAVAILABLE_SQLSTATES):
            return True
        if isinstance(current, asyncpg.ConnectionDoesNotExistError):  # closed under a running statement
            return True
    return False


def summary(error: BaseException) -> str:
    """One line naming the innermost cause, without the SQL or its parameters (which may hold request data)."""
    innermost = error
    for current in _chain(error):
        innermost = current
    first_line = (str(innermost).strip().splitlines() or [""])[0]
    return f"{type(innermost).__name__}: {first_line}"[:_SUMMARY_LENGTH]


class OutageLog:
    """Reports failures of one dependency at most once per `interval` seconds, then its recovery once.

    The first failure of an outage is logged at once; later ones are counted and the count is logged with
    the next line, at most once per interval. `succeeded` ends the outage with a line saying how long it
    lasted and how many operations failed (it costs one comparison when there is no outage).
    """

    def __init__(
        self,
        what: str,
        logger: logging.Logger = log,
        *,
        interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._what, self._log, self._interval, self._clock = what, logger, interval, clock
        self._since: float | None = None
        self._next_line = 0.0
        self._total = 0
        self._unreported = 0

    @property
    def failures(self) -> int:
        """Failures reported since the outage began (0 when there is none)."""
        return self._total

    def failed(self, error: BaseException, where: str) -> None:
        now = self._clock()
        if self._since is None:
            self._since = now
        self._total += 1
        self._unreported += 1
        if now < self._next_line:
            return
        self._log.error(
            "%s unavailable for %.1f s: %d failed operations since the last line (latest in %s: %s)",
            self._what,
            now - self._since,
            self._unreported,
            where,
            summary(error),
        )
        self._unreported = 0
        self._next_line = now + self._interval

    def succeeded(self) -> None:
        if self._since is None:
            return
        now = self._clock()
        if now < self._next_line:  # keep the budget of one line per interval; the next success reports it
            return
        self._log.warning(
            "%s available again after %.1f s of outage; %d operations failed",
            self._what,
            now - self._since,
            self._total,
        )
        self._since, self._total, self._unreported = None, 0, 0
        self._next_line = now + self._interval


DATABASE = OutageLog("database")
"""The process's one database outage log: the server's requests and the engine's loops all report here."""


def log_failure(error: BaseException, where: str, logger: logging.Logger, message: str, *args: object) -> None:
    """A background loop's failure: counted by the database outage log when the database is unreachable (the
    loop retries on its next tick), otherwise logged with its traceback as `message`."""
    if is_database_unavailable(error):
        DATABASE.failed(error, where)
    else:
        logger.error(message, *args, exc_info=error)
