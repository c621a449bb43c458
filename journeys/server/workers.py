"""`journeys serve --workers N`: N server processes on one port, kept running by the process that started them.

Python runs one request handler at a time per process, so a busy server uses one core; several processes on one
PostgreSQL database use several. Each worker is a whole server (its own scheduler, recovery, result-push worker and
database pool) that binds the port with SO_REUSEPORT, so the kernel spreads connections over them; they coordinate
only through the database (compare-and-set, claimed timers, run leases, LISTEN/NOTIFY). The parent serves nothing:

- SIGTERM or SIGINT: passed to every worker, each of which shuts down gracefully; the parent exits when all have.
- SIGHUP: passed to every worker, each of which reloads its definitions.
- The parent dies (even by SIGKILL): every worker gets SIGTERM from the kernel and shuts down gracefully.
- A worker that dies (a crash, the OOM killer, `kill -9`) is replaced. One that exits with status 2 found a problem
  no restart cures (definitions that do not compile, a pin naming no stored version): every worker is stopped and
  the parent exits 2 as well, as a single `journeys serve` would.

Workers are forked after the config is read and checked, before any event loop, thread or connection exists.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import logging
import os
import signal
import sys
import time
from collections.abc import Callable
from types import FrameType

log = logging.getLogger("journeys.server")

UNFIT = 2  # the exit status of a server that cannot start with this config: restarting would not help
QUICK_DEATH_SECONDS = 5.0  # a worker dead sooner than this is replaced after a pause, not at once
RESTART_PAUSE_SECONDS = 1.0
PR_SET_PDEATHSIG = 1  # prctl(2)
_HANDLED = {signal.SIGTERM, signal.SIGINT, signal.SIGHUP}


def _stop_with_parent(parent: int) -> None:
    """Have the kernel send this worker SIGTERM when the parent dies (killed with SIGKILL, it cannot pass a signal
    on): workers never outlive their supervisor to serve on unwatched. Linux only; elsewhere a no-op."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # the parent died before the request was made
        os.kill(os.getpid(), signal.SIGTERM)


def _ended(code: int) -> str:
    return f"was killed by signal {-code}" if code < 0 else f"exited with status {code}"


class Supervisor:
    """Forks `count` workers, each running `serve_one()` (which returns its exit status), and keeps them running."""

    def __init__(self, count: int, serve_one: Callable[[], int]) -> None:
        self._count = count
        self._serve_one = serve_one
        self._workers: dict[int, tuple[int, float]] = {}  # pid -> (slot, when it started)
        self._stopping = False

    def run(self) -> int:
        """Until every worker has exited after a stop; returns the exit status for the parent."""
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        signal.signal(signal.SIGHUP, self._pass_on)
        for slot in range(self._count):
            self._spawn(slot)
        log.info("%d workers serving: pids %s", self._count, ", ".join(map(str, self._workers)))
        status = 0
        while self._workers:
            try:
                pid, wait_status = os.wait()
            except ChildProcessError:
                break
            if pid not in self._workers:
                continue
            slot, started = self._workers.pop(pid)
            code = os.waitstatus_to_exitcode(wait_status)
            if self._stopping:
                continue
            if code == UNFIT:
                log.error("worker %d (pid %d) cannot start with this config: stopping every worker", slot, pid)
                status = UNFIT
                self._stop(signal.SIGTERM, None)
                continue
            log.warning("worker %d (pid %d) %s; starting another", slot, pid, _ended(code))
            if time.monotonic() - started < QUICK_DEATH_SECONDS:
                time.sleep(RESTART_PAUSE_SECONDS)
            if not self._stopping:
                self._spawn(slot)
        return status

    def _spawn(self, slot: int) -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        parent = os.getpid()
        # Signals wait while the fork happens: the parent's handlers must not run in the worker, and a stop must
        # not come between the fork and the parent's record of the worker (it would never reach it).
        signal.pthread_sigmask(signal.SIG_BLOCK, _HANDLED)
        pid = os.fork()
        if pid == 0:  # the worker
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            signal.signal(signal.SIGHUP, signal.SIG_IGN)  # until its server listens for reloads
            _stop_with_parent(parent)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, _HANDLED)
            code = 1
            try:
                code = self._serve_one()
            except BaseException:
                log.exception("worker %d failed", slot)
            finally:
                logging.shutdown()
                os._exit(code)
        self._workers[pid] = (slot, time.monotonic())
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _HANDLED)

    def _stop(self, number: int, _frame: FrameType | None) -> None:
        self._stopping = True
        self._send(signal.SIGTERM if number == signal.SIGINT else number)

    def _pass_on(self, number: int, _frame: FrameType | None) -> None:
        self._send(number)

    def _send(self, number: int) -> None:
        for pid in list(self._workers):
            with contextlib.suppress(ProcessLookupError):  # already gone: the wait loop collects it
                os.kill(pid, number)
