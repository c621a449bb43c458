"""The access log and the per-route request figures, from one middleware around every request.

One INFO line per request on `journeys.access`: method, route template, status, duration in milliseconds, and the
journey id when the route has one. Never the raw path, the query string or a header: a path segment may be
anything a client typed (a card number, a token), a query may carry a token, headers carry secrets. So the route
is the router's template (`/api/v1/journeys/{journeyId}/steps/{stepId}`), a request no route matched is logged as
`(unmatched)`, a method outside the usual ones as `OTHER`, and the journey id only when it has the shape of the ids
the engine mints (32 hex digits) — anything else in its place is not logged.

The same method and route label the request-duration histogram and the response counter, so their series stay
as few as the routes. This middleware is the outermost: it times and sees the status of every answer, problem
documents included. aiohttp's own access log is off (`journeys.server.http_protocol.serve`).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from journeys.server.observability.log_format import write_line
from journeys.server.observability.metrics import Metrics

log = logging.getLogger("journeys.access")

METRICS: web.AppKey[Metrics] = web.AppKey("metrics", Metrics)
UNMATCHED = "(unmatched)"
CLIENT_CLOSED = 499  # the client went away before its answer (nginx's code); aiohttp cancels the handler
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_JOURNEY_ID = re.compile(r"[0-9a-f]{32}")  # as `journeys.engine.ids` mints them


def route_template(request: web.Request) -> str:
    """The template of the route that matched, or UNMATCHED (404, 405): never the path itself."""
    resource = request.match_info.route.resource
    return UNMATCHED if resource is None else resource.canonical


@web.middleware
async def access_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    began = time.perf_counter()
    status = 500  # an exception no middleware answered: aiohttp answers 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as error:  # a redirect (the problem middleware answers 4xx and 5xx)
        status = error.status
        raise
    except asyncio.CancelledError:
        status = CLIENT_CLOSED
        raise
    finally:
        _record(request, status, time.perf_counter() - began)


def _record(request: web.Request, status: int, seconds: float) -> None:
    method = request.method if request.method in _METHODS else "OTHER"
    route = route_template(request)
    metrics = request.app[METRICS]
    metrics.request_seconds(method, route).observe(seconds)
    metrics.responses(method, route, str(status)).inc()
    if not log.isEnabledFor(logging.INFO):
        return
    journey_id = request.match_info.get("journeyId")
    if journey_id is not None and not _JOURNEY_ID.fullmatch(journey_id):
        journey_id = None
    milliseconds = round(seconds * 1000, 1)
    fields = {"method": method, "route": route, "status": status, "durationMs": milliseconds, "journeyId": journey_id}
    suffix = "" if journey_id is None else f" journeyId={journey_id}"
    write_line(log, logging.INFO, "%s %s %d %.1fms%s", (method, route, status, milliseconds, suffix), fields)
