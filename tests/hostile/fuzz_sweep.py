"""The hostile sweep's harness: every route of the app, called with real ids, each answer judged the same way.

The routes are walked from the app's router, so a route added later is swept without touching the tests (a path
parameter the harness has no value for fails loudly). A request is sent as raw bytes (`raw_http.py`) with an
operator's credential, so it reaches the handler behind client authentication, and with a body the route would
accept, so what is hostile about it is the one thing the case changes. Each answer must be a problem document
(`application/problem+json`, its `status` the answer's) below 500, or a success the published API documents for
that operation; and when it is an error, no journey changed. `Sweep.failures` collects every violation, so one run
lists them all.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from journeys.server.auth import ClientAuth, parse_clients
from journeys.store import JourneyFilter
from tests.app_routes import Route, walk_routes
from tests.hostile.raw_http import Header, Reply, exchange, request_bytes
from tests.server.helpers import PAYMENT, call
from tests.support import WEBHOOK_SECRET, LiveServer

API = "/api/v1"
OPERATOR_KEY = "hostile-sweep-operator-key-0123456789"
CLIENT_AUTH = ClientAuth(clients=parse_clients({"sweeper": {"keys": [OPERATOR_KEY], "scopes": ["operator"]}}))
CREDENTIAL: Header = (b"Authorization", b"Bearer " + OPERATOR_KEY.encode())
BODY_TIMEOUT_SECONDS = 0.5  # for the sweeps that time slow clients out
# For the others: the server shares the tests' event loop, and a stall of half a second (a busy CI machine) between a
# connection opening and its bytes being read would let the head timer close it before its request arrived.
UNTIMED_SECONDS = 10.0
JSON: Header = (b"Content-Type", b"application/json")
CALLBACK = {"paymentId": PAYMENT["paymentId"], "status": "SUCCESS"}
INJECTED = "X-Injected"  # the header a CR/LF in a request tries to smuggle into the answer


@dataclass
class Sweep:
    server: LiveServer
    routes: list[Route]
    openapi: dict[str, Any]
    values: dict[str, str]  # path parameter -> a real value (journey id, delivery id, ...)
    failures: list[str] = field(default_factory=list)
    answers: list[tuple[str, Route, int]] = field(default_factory=list)  # (case, route, status; 0: none)

    def target(self, route: Route, **replaced: bytes) -> bytes:
        """The route's path with real values, some parameters replaced by raw (already encoded) bytes."""

        values = {**self.values, **{name: raw.decode("latin-1") for name, raw in replaced.items()}}
        return route.path(values).encode("latin-1")

    def body_of(self, route: Route) -> tuple[bytes, list[Header]]:
        """A body (and the headers that go with it) the route accepts, so a case's one change is what is hostile."""
        if route.template.endswith("/start"):
            return orjson.dumps(PAYMENT), [JSON]
        if route.template.endswith("/steps/{stepId}"):
            return orjson.dumps(CALLBACK), [JSON, (b"X-Webhook-Secret", WEBHOOK_SECRET.encode())]
        if route.reads_body:
            return b"{}", [JSON]
        return b"", []

    async def send(
        self,
        label: str,
        route: Route,
        raw: bytes | Sequence[bytes],
        *,
        pause: float = 0.0,
        timeout: float = 10.0,
        expect: Callable[[Reply], str | None] | None = None,
    ) -> Reply | None:
        """Send one hostile request and judge its answer; a violation is recorded, not raised."""
        before = await self.journeys()
        pieces = [raw] if isinstance(raw, bytes) else list(raw)
        where = f"{label}: {route.method} {route.template} ({pieces[0].split(b' HTTP/')[0][:150]!r})"
        try:
            reply = await exchange(self.server.base_url, pieces, pause=pause, timeout=timeout)
        except AssertionError as error:
            self.failures.append(f"{where} -> {error}")
            self.answers.append((label, route, 0))
            return None
        problems = [self.judge(route, reply)]
        if expect is not None:
            problems.append(expect(reply))
        if reply.status >= 400 and await self.journeys() != before:
            problems.append("a journey changed though the request was refused")
        if INJECTED in reply.headers:
            problems.append(f"the answer carries the injected header {INJECTED}")
        self.failures.extend(f"{where} -> {reply.summary()}: {problem}" for problem in problems if problem)
        self.answers.append((label, route, reply.status))
        if reply.status < 400 and route.reads_body:
            await self.reseed()  # the request went through: the next case needs a journey still waiting
        return reply

    def judge(self, route: Route, reply: Reply) -> str | None:
        """Why the answer is not acceptable, or None: a problem document below 500 or a documented success."""
        if reply.status >= 500:
            return "a server error"
        if reply.status >= 400:
            if reply.content_type != "application/problem+json":
                return "an error that is not a problem document"
            if route.method == "HEAD":
                return None
            problem = reply.problem()
            if not isinstance(problem, dict) or problem.get("status") != reply.status:
                return "a problem document whose body is not one (or names another status)"
            return None
        operation = self.operation(route)
        if operation is not None and str(reply.status) not in operation["responses"]:
            return f"an undocumented success (documented: {sorted(operation['responses'])})"
        return None

    def operation(self, route: Route) -> dict[str, Any] | None:
        """The published API's operation the route serves, found by the route's path with its real values (a
        literal path such as `.../steps/cancel` before a template); None for the routes the API description does
        not cover (the documents and the docs page)."""
        method = "get" if route.method == "HEAD" else route.method.lower()
        concrete = self.target(route).decode("latin-1").removeprefix(API)
        for path in sorted(self.openapi["paths"], key=lambda path: path.count("{")):
            item = self.openapi["paths"][path]
            if method in item and re.fullmatch(re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(path)), concrete):
                return dict(item[method])
        return None

    def needs_credential(self, route: Route) -> bool:
        """Whether the published API says the route's operation takes a client credential."""
        operation = self.operation(route)
        return operation is not None and bool(operation.get("security", self.openapi.get("security")))

    def takes_body(self, route: Route) -> bool:
        operation = self.operation(route)
        return operation is not None and "requestBody" in operation

    async def journeys(self) -> list[Any]:
        """Every journey as the store has it: what must not change when a request is refused."""
        return await self.server.engine.store.list(JourneyFilter(), limit=10_000, after=None)

    async def reseed(self) -> None:
        self.values["journeyId"] = await _start(self.server)

    def verify(self) -> None:
        """Fail with every violation the sweep recorded, if any."""
        if self.failures:
            shown = "\n".join(self.failures[:60])
            raise AssertionError(
                f"{len(self.failures)} of {len(self.answers)} hostile requests answered wrongly:\n{shown}"
            )


def refused(reply: Reply) -> str | None:
    """An expectation: the request is refused (the judge already wants a problem document for it)."""
    return None if reply.status >= 400 else "a request that must be refused went through"


def refused_with(status: int) -> Callable[[Reply], str | None]:
    """An expectation: the request is refused with exactly `status`."""

    def check(reply: Reply) -> str | None:
        return None if reply.status == status else f"expected {status}"

    return check


async def _start(server: LiveServer) -> str:
    status, body, _ = await call(
        server, "POST", f"{API}/journeys/payment-callback/start", PAYMENT, {"Authorization": f"Bearer {OPERATOR_KEY}"}
    )
    assert status == 200, body
    return str(body["journeyId"])


async def open_sweep(
    start_server: Callable[..., Awaitable[LiveServer]], database_url: str, *, body_timeout: float = UNTIMED_SECONDS
) -> Sweep:
    """A live server with client authentication and `body_timeout` (also the head timeout), a waiting journey and
    a logged delivery."""
    server = await start_server(database_url, client_auth=CLIENT_AUTH, body_timeout_seconds=body_timeout)
    journey_id = await _start(server)
    routes, values = await walk_routes(server, CLIENT_AUTH, journey_id)
    _, openapi, _ = await call(server, "GET", f"{API}/openapi.json")
    return Sweep(server, routes, openapi, values)


def plain_request(sweep: Sweep, route: Route, **replaced: bytes) -> bytes:
    """The route's ordinary request (credential, acceptable body), path parameters possibly replaced."""
    body, headers = sweep.body_of(route)
    return request_bytes(route.method, sweep.target(route, **replaced), headers=[CREDENTIAL, *headers], body=body)
