"""Application assembly: definitions + store + engine behind the aiohttp app, with a clean lifecycle."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

from aiohttp import web

from journeys.connectors.http_client import AiohttpOutbound
from journeys.definitions import load_catalog
from journeys.definitions.model import ApiKeyValidateTask, TaskState
from journeys.engine import JourneyEngine
from journeys.server.app_keys import BODY_TIMEOUT_SECONDS, ENGINE, MAX_BODY_BYTES
from journeys.server.auth import AUTHENTICATOR, Authenticator, client_auth_middleware
from journeys.server.config import ServerConfig
from journeys.server.contract_routes import add_contract_routes
from journeys.server.inbound import add_inbound_routes
from journeys.server.problems import problem_middleware
from journeys.server.routes import add_routes
from journeys.store import JourneyStore

log = logging.getLogger("journeys.server")


def _warn_unconfigured_profiles(engine: JourneyEngine, config: ServerConfig) -> None:
    for definition in engine.definitions.values():
        for state in definition.states.values():
            task = state.task if isinstance(state, TaskState) else None
            if isinstance(task, ApiKeyValidateTask) and task.profile not in config.api_keys:
                log.warning(
                    "journey '%s' state '%s' uses API key profile '%s', which has no keys configured: "
                    "its submissions will be answered 500 until the profile is configured",
                    definition.name,
                    state.id,
                    task.profile,
                )


def _warn_unconfigured_secrets(engine: JourneyEngine, config: ServerConfig) -> None:
    for source in engine.inbound.sources.values():
        if source.verify.secrets not in config.inbound_secrets:
            log.warning(
                "inbound source '%s' verifies with secrets profile '%s', which is not configured (inboundSecrets): "
                "its deliveries will be answered 500 until it is, so senders retry them",
                source.name,
                source.verify.secrets,
            )


def build_app(config: ServerConfig, *, engine: JourneyEngine | None = None) -> web.Application:
    """Build the app; unless an engine is given, it loads definitions and opens the store on startup."""
    # Client authentication runs inside the problem middleware: its refusals are problem documents too.
    middlewares = [problem_middleware, client_auth_middleware]
    app = web.Application(client_max_size=config.max_body_bytes, middlewares=middlewares)
    app[MAX_BODY_BYTES] = config.max_body_bytes
    app[BODY_TIMEOUT_SECONDS] = config.body_timeout_seconds
    app[AUTHENTICATOR] = Authenticator(config.client_auth)
    add_routes(app)
    add_inbound_routes(app)
    add_contract_routes(app)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        own_engine = engine is None
        if own_engine:
            outbound = AiohttpOutbound(config.outbound_rewrites)
            definitions, sources = load_catalog(config.definitions)
            store = await JourneyStore.open(config.database_url)
            app[ENGINE] = JourneyEngine(
                definitions,
                store,
                config.api_keys,
                environment=config.environment,
                outbound=outbound,
                sources=sources,
                inbound_secrets=config.inbound_secrets,
                inbound_retention=timedelta(days=config.inbound_retention_days),
                idempotency_window=timedelta(hours=config.idempotency_window_hours),
            )
        else:
            app[ENGINE] = engine
        current = app[ENGINE]
        await current.versions.publish(current.clock())
        _warn_unconfigured_profiles(current, config)
        _warn_unconfigured_secrets(current, config)
        recovered = await current.recover()
        if recovered:
            log.info("recovered %d journeys that were accepted but not yet run", recovered)
        stop_scheduler = asyncio.Event()
        scheduler = asyncio.create_task(current.run_scheduler(config.scheduler_interval, stop_scheduler))
        try:
            yield
        finally:
            stop_scheduler.set()
            await scheduler
            await current.drain()
            if own_engine:
                await outbound.close()
                await current.store.close()

    app.cleanup_ctx.append(lifecycle)
    return app
