"""What operators see of a running server: metrics, health probes and logs.

- `scrape`: `GET /metrics`, the app's figures in Prometheus' text format (`metrics` defines them);
- `health`: `GET /healthz` (the process is up) and `GET /readyz` (database, definitions, scheduler);
- `access`: the access log and the per-route request figures, one middleware around every request;
- `journey_events`: the engine's observer, counting and logging transitions, outcomes, deliveries and outbound
  calls as the engine reports them;
- `log_format`: the process log as text or as one JSON object per line (`journeys serve --log-format json`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from journeys.engine import JourneyEngine
from journeys.server.config import ServerConfig
from journeys.server.observability.access import METRICS, access_middleware
from journeys.server.observability.health import READINESS, Readiness, add_health_routes
from journeys.server.observability.journey_events import JourneyEvents
from journeys.server.observability.log_format import LOG_FORMATS, configure_logging
from journeys.server.observability.scrape import SCRAPE, add_metrics_route

__all__ = ["LOG_FORMATS", "access_middleware", "add_observability", "configure_logging", "watch_engine"]


def add_observability(app: web.Application, config: ServerConfig) -> None:
    """Add the metrics and health routes and the figures the access middleware moves.

    Call it after the app's lifecycle context is registered (`build_app`): the context added here ends before that
    one closes the store, so a probe's database read still running finishes first.
    """
    add_metrics_route(app)
    add_health_routes(app)
    app[READINESS] = Readiness(config.scheduler_interval)
    app.cleanup_ctx.append(_settle_probes)


def watch_engine(app: web.Application, engine: JourneyEngine) -> None:
    """Count and log what `engine` reports, and let the probes read it: as soon as the app has its engine, before
    it recovers journeys or starts its scheduler, so those are counted and logged too."""
    metrics = app[METRICS]
    engine.observer = JourneyEvents(metrics)
    engine.store.observe_commits(metrics.commit_seconds.observe)
    app[READINESS].watch(engine)
    app[SCRAPE].watch(engine)


async def _settle_probes(app: web.Application) -> AsyncIterator[None]:
    yield
    await app[READINESS].settle()
    await app[SCRAPE].settle()
