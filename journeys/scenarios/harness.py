"""What one scenario runs on: the real server app on a loopback port, a fresh SQLite database in a temporary
directory, a clock standing still at the file's `clock` (the engine's, and DataWeave `now()`'s), and the stub
server every downstream origin is rewritten to.

A new harness per scenario keeps scenarios independent (no journey, timer or call of one is seen by another); it
costs a few tens of milliseconds. Its database is a copy of one migrated once per process: running the migrations
for every scenario would double its time.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Mapping
from contextvars import Token
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import aiohttp
from aiohttp import web

from journeys.connectors.http_client import AiohttpOutbound
from journeys.definitions.durations import Duration
from journeys.definitions.model import JourneyDefinition
from journeys.engine import JourneyEngine, parse_profiles
from journeys.engine.clock import AdjustableClock
from journeys.expressions.evaluation_clock import EVALUATION_CLOCK, use_evaluation_clock
from journeys.http_api import API_PREFIX
from journeys.scenarios.credentials import request_headers
from journeys.scenarios.scenario_model import Request, ScenarioFile, ScriptedResponse
from journeys.scenarios.stub_operations import StubCatalog
from journeys.scenarios.stubs import StubServer
from journeys.server.app import build_app
from journeys.server.config import ServerConfig
from journeys.server.http_protocol import ProblemAppRunner
from journeys.store import JourneyStore

# The scheduler's first tick runs at startup; later ones would fire timers behind the scenario's back.
_NO_SCHEDULER_TICKS = 24 * 3600.0


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    headers: Mapping[str, str]
    body: Any


class _MigratedDatabase:
    """An empty SQLite database with the current schema, created on first use and copied for each scenario."""

    def __init__(self) -> None:
        self._directory: tempfile.TemporaryDirectory[str] | None = None

    async def copy_to(self, target: Path) -> None:
        if self._directory is None:
            directory = tempfile.TemporaryDirectory(prefix="journeys-scenario-schema-")
            store = await JourneyStore.open(f"sqlite:///{Path(directory.name) / 'schema.db'}")
            await store.close()
            self._directory = directory
        shutil.copyfile(Path(self._directory.name) / "schema.db", target)


_MIGRATED = _MigratedDatabase()


def _joined(headers: Mapping[str, str]) -> dict[str, str]:
    """One entry a header name; repeated lines (several Set-Cookie) joined with ', ' as HTTP folds them."""
    joined: dict[str, str] = {}
    for name, value in headers.items():
        joined[name] = f"{joined[name]}, {value}" if name in joined else value
    return joined


class Harness:
    """`async with Harness(...) as harness`: everything running, torn down in reverse on exit."""

    def __init__(
        self,
        file: ScenarioFile,
        definition: JourneyDefinition,
        clock: datetime,
        catalog: StubCatalog,
        scripts: dict[str, list[ScriptedResponse]],
    ) -> None:
        self.file = file
        self.definition = definition
        self.stubs = StubServer(catalog, scripts)
        self.clock = AdjustableClock(clock)
        self._directory = tempfile.TemporaryDirectory(prefix="journeys-scenario-")
        self._store: JourneyStore | None = None
        self._outbound: AiohttpOutbound | None = None
        self._runner: ProblemAppRunner | None = None
        self._http: aiohttp.ClientSession | None = None
        self.engine: JourneyEngine | None = None
        self.base_url = ""
        self._clock_token: Token[Callable[[], datetime] | None] | None = None

    async def __aenter__(self) -> Harness:
        try:
            await self._start()
        except BaseException:
            await self._stop()
            raise
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self._stop()

    async def _start(self) -> None:
        # Before the server starts: its request handlers inherit the context, so `now()` reads the scenario's clock.
        self._clock_token = use_evaluation_clock(self.clock)
        database = Path(self._directory.name) / "journeys.db"
        await _MIGRATED.copy_to(database)
        database_url = f"sqlite:///{database}"
        await self.stubs.start()
        api_keys = parse_profiles(dict(self.file.api_keys))
        inbound_secrets = parse_profiles(dict(self.file.inbound_secrets), "inboundSecrets")
        self._store = await JourneyStore.open(database_url)
        self._outbound = AiohttpOutbound(self.stubs.rewrites)
        platform_config = {self.definition.name: dict(self.file.platform_config)}
        self.engine = JourneyEngine(
            {self.definition.name: self.definition},
            self._store,
            api_keys,
            clock=self.clock,
            environment=self.file.environment,
            outbound=self._outbound,
            inbound_secrets=inbound_secrets,
            platform_config=platform_config,
            credentials=self.file.credentials,
        )
        config = ServerConfig(
            definitions=(),
            database_url=database_url,
            environment=self.file.environment,
            api_keys=api_keys,
            inbound_secrets=inbound_secrets,
            platform_config=platform_config,
            scheduler_interval=_NO_SCHEDULER_TICKS,
            credentials=self.file.credentials,
            client_cert_header=self.file.client_cert_header,
        )
        self._runner = ProblemAppRunner(build_app(config, engine=self.engine), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}{API_PREFIX}"
        self._http = aiohttp.ClientSession()

    async def _stop(self) -> None:
        if self._http is not None:
            await self._http.close()
        if self._runner is not None:
            await self._runner.cleanup()
        if self._outbound is not None:
            await self._outbound.close()
        if self._store is not None:
            await self._store.close()
        await self.stubs.close()
        self._directory.cleanup()
        if self._clock_token is not None:
            EVALUATION_CLOCK.reset(self._clock_token)
            self._clock_token = None

    async def advance(self, duration: Duration) -> None:
        """Move the clock forward, fire the timers that became due and let what they started finish."""
        assert self.engine is not None
        now = self.clock()
        self.clock.advance(duration.after(now) - now)
        await self.engine.fire_due_timers()
        await self.engine.drain()

    def headers(self, request: Request) -> dict[str, str]:
        """The headers `request` is sent with, its credentials included (journeys.scenarios.credentials)."""
        return request_headers(self.file, request, self.clock())

    async def request(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Answer:
        """Send a request to the journeys API (`path` below /api/v1); its answer, the body as JSON (or text)."""
        assert self._http is not None and self.engine is not None
        send: dict[str, Any] = {"headers": headers or {}}
        if body is not None:
            send["json"] = body
        async with self._http.request(method, self.base_url + path, **send) as response:
            text = await response.text()
            try:
                answer = await response.json(content_type=None) if text else None
            except ValueError:
                answer = text
        # Background runs (an async start's, a notify call) finish before the scenario looks again.
        await self.engine.drain()
        return Answer(response.status, _joined(response.headers), answer)
