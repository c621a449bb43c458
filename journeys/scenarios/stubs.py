"""The downstream services of one scenario: a real aiohttp server on a loopback port that every origin the journey
calls is rewritten to (`outboundRewrites`, as an operator points production hosts at a gateway).

Origin number `i` is served under `/{i}`, so several hosts share one port and each request still says which host
it was meant for. Every request is recorded (the scenario's `calls` checks them) and answered with the next scripted
response of its operation (the last one repeats), else the operation's documented default, else 404.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from multidict import CIMultiDict

from journeys.scenarios.scenario_model import ScriptedResponse
from journeys.scenarios.stub_operations import StubCatalog, StubOperation


@dataclass(frozen=True, slots=True)
class ReceivedCall:
    """A request a stub received, as the journey sent it, and the status it was answered with."""

    operation: str | None
    method: str
    url: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: Any
    status: int

    def summary(self) -> str:
        return f"{self.method} {self.url} -> {self.status} ({self.operation or 'no operation matched'})"


def _decoded(raw: bytes, content_type: str) -> Any:
    if not raw:
        return None
    text = raw.decode("utf-8", errors="replace")
    if "json" in content_type.lower():
        try:
            return json.loads(text)
        except ValueError:
            pass
    return text


def _answer(scripted: ScriptedResponse) -> web.Response:
    headers = CIMultiDict(scripted.headers)
    if scripted.text is not None:
        headers.setdefault("Content-Type", "text/plain; charset=utf-8")
        return web.Response(status=scripted.status, headers=headers, body=scripted.text.encode())
    if scripted.has_body and scripted.status not in (204, 304):
        headers.setdefault("Content-Type", "application/json")
        return web.Response(status=scripted.status, headers=headers, body=json.dumps(scripted.body).encode())
    return web.Response(status=scripted.status, headers=headers)


class StubServer:
    """Serves `catalog` with `scripts` (operation -> responses in call order); `calls` is what arrived."""

    def __init__(self, catalog: StubCatalog, scripts: Mapping[str, list[ScriptedResponse]]) -> None:
        self._catalog = catalog
        self._scripts = dict(scripts)
        self._served: dict[str, int] = {}
        self.calls: list[ReceivedCall] = []
        self.url = ""
        self._runner: web.AppRunner | None = None

    @property
    def rewrites(self) -> dict[str, str]:
        return {origin: f"{self.url}/{index}" for index, origin in enumerate(self._catalog.origins)}

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{index:\\d+}{rest:.*}", self._handle)
        # A stub still sleeping out a `delayMs` past the journey's timeout must not hold the teardown.
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.05)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def _next(self, operation: StubOperation) -> ScriptedResponse:
        scripted = self._scripts.get(operation.key)
        if not scripted:
            return operation.default
        served = self._served.get(operation.key, 0)
        self._served[operation.key] = served + 1
        return scripted[min(served, len(scripted) - 1)]

    async def _handle(self, request: web.Request) -> web.Response:
        index = int(request.match_info["index"])
        if index >= len(self._catalog.origins):
            raise web.HTTPNotFound()
        origin = self._catalog.origins[index]
        path = request.match_info["rest"].split("?", 1)[0] or "/"
        raw_path = request.raw_path[len(request.match_info["index"]) + 1 :].split("?", 1)[0] or "/"
        operation = self._catalog.operation(request.method, origin, raw_path)
        if operation is None:
            scripted = ScriptedResponse(
                status=404, body={"title": f"no stub operation for {request.method} {path}"}, has_body=True
            )
        else:
            scripted = self._next(operation)
        query = request.query_string
        self.calls.append(
            ReceivedCall(
                operation=operation.key if operation else None,
                method=request.method,
                url=origin + raw_path + (f"?{query}" if query else ""),
                path=raw_path,
                query={name: value for name, value in request.query.items()},
                headers={name: value for name, value in request.headers.items()},
                body=_decoded(await request.read(), request.content_type),
                status=scripted.status,
            )
        )
        if scripted.delay_ms:
            await asyncio.sleep(scripted.delay_ms / 1000)
        return _answer(scripted)
