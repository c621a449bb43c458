"""Application assembly: definitions + store + engine behind the aiohttp app, with a clean lifecycle."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

from aiohttp import web

from journeys.connectors.http_client import AiohttpOutbound
from journeys.definitions import load_catalog
from journeys.engine import JourneyEngine
from journeys.engine.clock import AdjustableClock
from journeys.engine.snapshots import utc_now
from journeys.server.api_routes import add_api_routes
from journeys.server.app_keys import BODY_TIMEOUT_SECONDS, ENGINE, MAX_BODY_BYTES
from journeys.server.auth import AUTHENTICATOR, Authenticator, client_auth_middleware
from journeys.server.config import ServerConfig
from journeys.server.console import add_console
from journeys.server.contract_routes import add_contract_routes
from journeys.server.declared_length import oversized_body_middleware
from journeys.server.event_routes import add_event_routes
from journeys.server.inbound import add_inbound_routes
from journeys.server.observability import access_middleware, add_observability, watch_engine
from journeys.server.operator_routes import add_operator_routes
from journeys.server.problems import problem_middleware
from journeys.server.push_routes import add_push_routes
from journeys.server.reloading import DefinitionReloader, warn_unconfigured
from journeys.server.routes import add_routes
from journeys.server.schedule_routes import add_schedule_routes
from journeys.server.test_clock import add_test_clock
from journeys.server.tls import CLIENT_CERT_HEADER
from journeys.store import JourneyStore

log = logging.getLogger("journeys.server")


def build_app(
    config: ServerConfig, *, engine: JourneyEngine | None = None, reload_on_sighup: bool = False
) -> web.Application:
    """Build the app; unless an engine is given, it loads definitions and opens the store on startup.
    `reload_on_sighup`: the process's SIGHUP reloads the definitions (for `journeys serve`, one app a process)."""
    # Client authentication runs inside the problem middleware: its refusals are problem documents too. The access
    # log and request figures wrap both: they see every answer. A body declared too large is refused before
    # authentication, as aiohttp itself would refuse it: from its headers alone.
    middlewares = [access_middleware, problem_middleware, oversized_body_middleware, client_auth_middleware]
    app = web.Application(client_max_size=config.max_body_bytes, middlewares=middlewares)
    app[MAX_BODY_BYTES] = config.max_body_bytes
    app[BODY_TIMEOUT_SECONDS] = config.body_timeout_seconds
    app[AUTHENTICATOR] = Authenticator(config.client_auth)
    app[CLIENT_CERT_HEADER] = config.client_cert_header
    add_routes(app)
    add_push_routes(app)
    add_event_routes(app)
    add_schedule_routes(app)
    add_api_routes(app)
    add_inbound_routes(app)
    add_contract_routes(app)
    reloader = DefinitionReloader(app, config)
    add_operator_routes(app, reloader)
    add_console(app)
    if config.test_clock:
        add_test_clock(app)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        own_engine = engine is None
        if own_engine:
            outbound = AiohttpOutbound(config.outbound_rewrites)
            definitions, sources = load_catalog(config.definitions)
            store = await JourneyStore.open(config.database_url, config.database_pool_size)
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
                result_push=config.result_push,
                cache=config.cache,
                platform_config=config.platform_config,
                credentials=config.credentials,
                clock=AdjustableClock() if config.test_clock else utc_now,
            )
        else:
            app[ENGINE] = engine
        current = app[ENGINE]
        watch_engine(app, current)
        await current.versions.publish(current.clock(), config.pinned_versions)
        warn_unconfigured(current, config)
        recovered = await current.recover(current.recovery.at_start())
        if recovered:
            log.info("resuming %d journeys that were accepted or cut short but not run to their next pause", recovered)
        stop_scheduler = asyncio.Event()
        scheduler = asyncio.create_task(current.run_scheduler(config.scheduler_interval, stop_scheduler))
        pusher = asyncio.create_task(current.result_push.run(config.scheduler_interval, stop_scheduler))
        listener = asyncio.create_task(current.terminal.follow(current.store, stop_scheduler))
        stop_keeper = asyncio.Event()  # after the drain: the runs it waits for keep their leases until they end
        lease_keeper = asyncio.create_task(current.recovery.keep_leases(stop_keeper))
        if reload_on_sighup:
            reloader.listen()
        try:
            yield
        finally:
            if reload_on_sighup:
                await reloader.stop_listening()
            stop_scheduler.set()
            await scheduler
            await pusher
            await listener
            await current.drain()
            stop_keeper.set()
            await lease_keeper
            if own_engine:
                await outbound.close()
                await current.store.close()

    app.cleanup_ctx.append(lifecycle)
    add_observability(app, config)
    return app
