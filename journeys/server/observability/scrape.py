"""`GET /metrics`: the app's registry in Prometheus' text format, with the database figures read at scrape time.

The timer lag is read then (one look at the due index, see `journeys.store.probes`), and the waiting journeys per
state are counted again when the last count has grown old for its cost (one GROUP BY over the waiting rows, reused
for a hundred times what it took: `journeys.engine.vitals`), at most SCRAPE_DATABASE_TIMEOUT seconds. When
they cannot be read the scrape still answers, with `journeys_database_up 0` and without them: the counters are in
memory, and an outage is exactly when an operator wants to see them move.

Guarded as `Access.READ`: with clients configured, a scraper presents a key with `journeys:read` (operations.md);
the figures are counts by journey name, state, route and verdict, never a journey's id or data, as the version
counts of `/journeys/{journeyName}/versions` that the same scope reads.
"""

from __future__ import annotations

import logging

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from journeys.engine import JourneyEngine
from journeys.engine.vitals import Vitals
from journeys.outages import log_failure
from journeys.server.auth import Access, guard
from journeys.server.observability.access import METRICS
from journeys.server.observability.metrics import Metrics
from journeys.server.observability.shared_read import SharedRead
from journeys.server.problems import DATABASE_UNTOUCHED

log = logging.getLogger("journeys.server")

SCRAPE_DATABASE_TIMEOUT = 5.0  # seconds: well inside Prometheus' default scrape timeout (10 s)

Figures = tuple[list[tuple[str, str, int]], float, tuple[int, float]]


async def _read_figures(vitals: Vitals) -> Figures:
    unpublished, event_lag = await vitals.event_backlog()
    return await vitals.waiting(), (await vitals.timer_lag()).total_seconds(), (unpublished, event_lag.total_seconds())


class Scrape:
    """Refreshes the database gauges, then renders the registry; `watch` gives it the engine on startup."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics
        self._read: SharedRead[Figures] | None = None

    def watch(self, engine: JourneyEngine) -> None:
        vitals = Vitals(engine)
        self._read = SharedRead(lambda: _read_figures(vitals), SCRAPE_DATABASE_TIMEOUT)

    async def settle(self) -> None:
        if self._read is not None:
            await self._read.settle()

    async def render(self) -> tuple[bytes, bool]:
        """The exposition, and whether the database figures in it were read."""
        assert self._read is not None, "the app has not started"
        gauges = self._metrics.database
        try:
            gauges.waiting, gauges.timer_lag_seconds, events = await self._read()
            gauges.unpublished_events, gauges.event_lag_seconds = events
            gauges.up = True
        except Exception as error:
            gauges.up = False
            log_failure(error, "a metrics scrape", log, "a metrics scrape could not read the database")
        return generate_latest(self._metrics.registry), gauges.up


SCRAPE: web.AppKey[Scrape] = web.AppKey("scrape", Scrape)


async def metrics(request: web.Request) -> web.Response:
    body, database_read = await request.app[SCRAPE].render()
    if not database_read:
        request[DATABASE_UNTOUCHED] = True
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def add_metrics_route(app: web.Application) -> None:
    app[METRICS] = metrics_of_app = Metrics()
    app[SCRAPE] = Scrape(metrics_of_app)
    guard(app, app.router.add_get("/metrics", metrics), Access.READ)
