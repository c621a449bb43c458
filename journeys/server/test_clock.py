"""The test-only clock endpoint: `POST /api/v1/test/clock` moves the server's clock forward and fires what fell due.

Served only when the config says `testClock: true` (or JOURNEYS_TEST_CLOCK=1): a two-day SLA is then tested in
milliseconds against a real server. The clock only moves forward, and needs the `operator` scope where clients
are configured: moving it fires every journey's timers early, which no production server should allow.
"""

from __future__ import annotations

import orjson
from aiohttp import web

from journeys.definitions.durations import TimeFormatError, parse_duration
from journeys.engine.clock import AdjustableClock
from journeys.http_api import API_PREFIX
from journeys.server.app_keys import ENGINE
from journeys.server.auth import Access, guard
from journeys.server.declared_length import add_post
from journeys.server.problems import ProblemError
from journeys.server.request_bodies import read_json

CLOCK_PATH = f"{API_PREFIX}/test/clock"


async def advance_clock(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    clock = engine.clock
    if not isinstance(clock, AdjustableClock):
        raise ProblemError(409, "clock-not-adjustable", "Clock not adjustable", "this engine runs on the real clock")
    body = await read_json(request)
    advance = body.get("advance") if isinstance(body, dict) else None
    try:
        duration = parse_duration(advance) if isinstance(advance, str) else None
    except TimeFormatError as error:
        raise ProblemError(400, "invalid-request", "Invalid request", f"advance: {error}") from error
    if duration is None or duration.months:
        detail = 'send {"advance": "PT48H"}: an ISO-8601 duration in weeks, days, hours, minutes or seconds'
        raise ProblemError(400, "invalid-request", "Invalid request", detail)
    now = clock.advance(duration.exact)
    fired = await engine.fire_due_timers()
    body = {"now": now.isoformat().replace("+00:00", "Z"), "fired": fired}
    return web.Response(body=orjson.dumps(body), content_type="application/json")


def add_test_clock(app: web.Application) -> None:
    guard(app, add_post(app, CLOCK_PATH, advance_clock), Access.OPERATOR)
