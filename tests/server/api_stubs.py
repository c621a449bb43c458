"""The downstream service the `kind: Api`, binding and cookie tests call: a real aiohttp server on a loopback port.

Definitions name `https://api.example.com` (as the JourneyForge examples do); the server under test rewrites that
prefix to this stub, while the engine still sees the original host (cookie domains are checked against it).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from multidict import CIMultiDict

from tests.support import ROOT, LiveServer, on_loopback

HOST = "https://api.example.com"
API_FIXTURES = ROOT / "tests" / "fixtures" / "apis"
USERS = {"u1": {"id": "u1", "email": "ada@example.test", "active": True}, "u2": {"id": "u2", "active": False}}


@dataclass
class Downstream:
    url: str = ""
    seen: list[tuple[str, str, Mapping[str, str]]] = field(default_factory=list)
    """(method, path and query, headers: case-insensitive, as HTTP's are) of every request, in order."""
    job_states: list[str] = field(default_factory=list)
    failures_left: int = 0
    """How many calls to /flaky still answer 503 before one answers 200."""

    def record(self, request: web.Request) -> None:
        self.seen.append((request.method, request.path_qs, CIMultiDict(request.headers)))

    def headers_of(self, path: str) -> Mapping[str, str]:
        return next(headers for _, seen_path, headers in self.seen if seen_path == path)

    async def user(self, request: web.Request) -> web.Response:
        self.record(request)
        if request.match_info["userId"] == "boom":
            return web.json_response({"title": "down"}, status=500)
        user = USERS.get(request.match_info["userId"])
        return web.json_response(user) if user else web.json_response({"title": "not found"}, status=404)

    async def create_account(self, request: web.Request) -> web.Response:
        self.record(request)
        body = await request.json()
        return web.json_response({"accountId": "acc-1", **body}, status=201)

    async def job_status(self, request: web.Request) -> web.Response:
        self.record(request)
        state = self.job_states.pop(0) if self.job_states else "RUNNING"
        return web.json_response({"jobId": request.match_info["jobId"], "state": state})

    async def flaky(self, request: web.Request) -> web.Response:
        self.record(request)
        if self.failures_left > 0:
            self.failures_left -= 1
            return web.json_response({"title": "busy"}, status=503)
        return web.json_response({"done": True})

    async def slow(self, request: web.Request) -> web.Response:
        self.record(request)
        await asyncio.sleep(3)
        return web.json_response({"late": True})

    async def login(self, request: web.Request) -> web.Response:
        self.record(request)
        response = web.json_response({"loggedIn": True})
        response.headers.add("Set-Cookie", "session=s-1; Path=/; Secure; HttpOnly")
        response.headers.add("Set-Cookie", "prefs=dark; Path=/")
        response.headers.add("Set-Cookie", "tracker=t-1; Domain=tracker.test; Path=/")  # not this host's domain
        response.headers.add("Set-Cookie", "old=x; Path=/; Max-Age=0")
        return response

    async def profile(self, request: web.Request) -> web.Response:
        self.record(request)
        if "session=s-1" not in request.headers.get("Cookie", ""):
            return web.json_response({"title": "no session"}, status=401)
        return web.json_response({"name": "Ada"})


@pytest.fixture
async def downstream() -> AsyncIterator[Downstream]:
    stub = Downstream()
    app = web.Application()
    app.router.add_get("/users/{userId}", stub.user)
    app.router.add_post("/accounts", stub.create_account)
    app.router.add_get("/jobs/{jobId}/status", stub.job_status)
    app.router.add_post("/login", stub.login)
    app.router.add_get("/profile", stub.profile)
    app.router.add_post("/flaky", stub.flaky)
    app.router.add_get("/slow", stub.slow)
    async with on_loopback(app) as stub.url:
        yield stub


async def serve(
    start_server: Callable[..., Any], database_url: str, stub: Downstream, *definitions: Path, **changes: Any
) -> LiveServer:
    """A live journeys server with only `definitions` loaded, its calls to api.example.com sent to `stub`."""
    server = await start_server(database_url, definitions=definitions, outbound_rewrites={HOST: stub.url}, **changes)
    return server  # type: ignore[no-any-return]
