"""`GET /healthz` and `GET /readyz`, for load balancers and orchestrators; public, like the contract documents.

- `/healthz`: the process is up and its event loop answers. Touches nothing else, so a database outage never
  gets a healthy process restarted (a liveness probe).
- `/readyz`: the process can do its work (a readiness probe): the database answers a trivial query within
  READY_DATABASE_TIMEOUT seconds, journey definitions are loaded, and the scheduler (timers, recovery, inbox)
  began a tick recently: within STALE_TICKS scheduler intervals, and never less than MIN_STALE (a tick that
  fires a backlog of timers, each with its outbound calls, may run that long without being stuck). 200 with each
  check, or a 503 problem document naming what is not ready. It says why in words, never with the database's
  own error (host names, ports): details go to the log, through the database outage log's rate limit.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import orjson
from aiohttp import web

from journeys.engine import JourneyEngine
from journeys.engine.vitals import Vitals
from journeys.outages import log_failure
from journeys.server.auth import Access, guard
from journeys.server.observability.shared_read import SharedRead
from journeys.server.problems import DATABASE_UNTOUCHED, ProblemError

log = logging.getLogger("journeys.server")

READY_DATABASE_TIMEOUT = 1.0  # seconds: a load balancer's probe gives up after a second or two
STALE_TICKS = 3
MIN_STALE = timedelta(seconds=30)


class Readiness:
    """The checks of `/readyz`; `watch` gives it the engine once the app has started."""

    def __init__(self, scheduler_interval: float) -> None:
        self.stale_after = max(timedelta(seconds=STALE_TICKS * scheduler_interval), MIN_STALE)
        self._vitals: Vitals | None = None
        self._database: SharedRead[None] | None = None

    def watch(self, engine: JourneyEngine) -> None:
        self._vitals = Vitals(engine)
        self._database = SharedRead(self._vitals.check_database, READY_DATABASE_TIMEOUT)

    async def settle(self) -> None:
        if self._database is not None:
            await self._database.settle()

    async def checks(self) -> dict[str, tuple[bool, str]]:
        """Each check's name -> (ready, what was found)."""
        assert self._vitals is not None and self._database is not None, "the app has not started"
        return {
            "database": await self._check_database(self._database),
            "definitions": _check_definitions(self._vitals.definitions_loaded),
            "scheduler": self._check_scheduler(self._vitals.since_scheduler_ticked()),
        }

    @staticmethod
    async def _check_database(ping: SharedRead[None]) -> tuple[bool, str]:
        try:
            await ping()
        except TimeoutError:
            return False, f"did not answer within {ping.timeout:g} s"
        except Exception as error:
            log_failure(error, "the readiness probe", log, "readiness probe: the database check failed")
            return False, "unreachable"
        return True, "answers"

    def _check_scheduler(self, since: timedelta | None) -> tuple[bool, str]:
        if since is None:
            return False, "has not ticked yet"
        seconds, limit = since.total_seconds(), self.stale_after.total_seconds()
        if seconds > limit:
            return False, f"last ticked {seconds:.0f} s ago (stale after {limit:g} s)"
        return True, f"ticked {seconds:.1f} s ago"


def _check_definitions(loaded: int) -> tuple[bool, str]:
    return (True, f"{loaded} loaded") if loaded else (False, "no journey definition is loaded")


READINESS: web.AppKey[Readiness] = web.AppKey("readiness", Readiness)


def _json(body: Any) -> web.Response:
    return web.Response(body=orjson.dumps(body), content_type="application/json", headers={"Cache-Control": "no-store"})


async def healthz(request: web.Request) -> web.Response:
    request[DATABASE_UNTOUCHED] = True
    return _json({"status": "up"})


async def readyz(request: web.Request) -> web.Response:
    checks = await request.app[READINESS].checks()
    body = {name: {"ready": ready, "detail": detail} for name, (ready, detail) in checks.items()}
    failing = [f"{name} {detail}" for name, (ready, detail) in checks.items() if not ready]
    if failing:  # raised, not returned: a refusal does not tell the database outage log the database is back
        detail = "not ready: " + "; ".join(failing)
        raise ProblemError(503, "not-ready", "Not ready", detail, headers={"Cache-Control": "no-store"}, checks=body)
    return _json({"status": "ready", "checks": body})


def add_health_routes(app: web.Application) -> None:
    guard(app, app.router.add_get("/healthz", healthz), Access.PUBLIC)
    guard(app, app.router.add_get("/readyz", readyz), Access.PUBLIC)
