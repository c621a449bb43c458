"""`/api/v1/inbound`: gateways post to `/inbound/{source}`; operators page the log, read stats, replay.

- `POST /inbound/{source}`: answered with the source's 2xx answer for every verdict but a failed
  verification (401/403) and our own failure (5xx); a retry gets exactly the first answer.
- `GET /inbound/deliveries?source=&verdict=&journeyId=&limit=&pageToken=`: the log, newest first.
- `GET /inbound/deliveries/{deliveryId}`: one delivery, with its stored (redacted) body.
- `POST /inbound/deliveries/{deliveryId}/replay`: route an `unmatched` or `expired` delivery again.
- `GET /inbound/stats`: per source, counts by verdict, 2xx rate and processing-time percentiles over the
  last 5 minutes, hour and day.
"""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from journeys.http_api import API_PREFIX, VERDICT_FILTERS
from journeys.server.app_keys import ENGINE
from journeys.server.auth import Access, guard
from journeys.server.declared_length import add_post
from journeys.server.inbound.representations import delivery_body
from journeys.server.problems import ProblemError
from journeys.server.query_params import next_page_token, page_params, text_param
from journeys.server.routes import inbound_message, receipt_response

INBOUND = f"{API_PREFIX}/inbound"


def _json(body: Any) -> web.Response:
    return web.Response(body=orjson.dumps(body), content_type="application/json")


async def deliver(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    receipt = await engine.inbound.deliver(request.match_info["source"], await inbound_message(request))
    return receipt_response(receipt)


async def list_deliveries(request: web.Request) -> web.Response:
    verdict = text_param(request, "verdict")
    if verdict is not None and verdict not in VERDICT_FILTERS and not verdict.startswith("rejected:"):
        allowed = ", ".join((*VERDICT_FILTERS, "rejected:<cause>"))
        raise ProblemError(400, "invalid-query", "Invalid query parameter", f"verdict must be one of {allowed}")
    limit, after = page_params(request)
    fetched = await request.app[ENGINE].inbound_log.page(
        source=text_param(request, "source"),
        verdict=verdict,
        journey_id=text_param(request, "journeyId"),
        limit=limit + 1,
        after=after,
    )
    token = next_page_token(fetched, limit, lambda item: (item.received_at, item.id))
    return _json({"items": [delivery_body(item) for item in fetched[:limit]], "nextPageToken": token})


async def get_delivery(request: web.Request) -> web.Response:
    item = await request.app[ENGINE].inbound_log.get(request.match_info["deliveryId"])
    return _json(delivery_body(item, with_body=True))


async def replay_delivery(request: web.Request) -> web.Response:
    item = await request.app[ENGINE].inbound.replay(request.match_info["deliveryId"])
    return _json(delivery_body(item, with_body=True))


async def get_stats(request: web.Request) -> web.Response:
    return _json(await request.app[ENGINE].inbound_log.stats())


def add_inbound_routes(app: web.Application) -> None:
    """The log is the operators' (it holds every journey's deliveries); a source verifies its senders itself."""
    guard(app, app.router.add_get(f"{INBOUND}/deliveries", list_deliveries), Access.OPERATOR)
    guard(app, app.router.add_get(f"{INBOUND}/stats", get_stats), Access.OPERATOR)
    guard(app, app.router.add_get(f"{INBOUND}/deliveries/{{deliveryId}}", get_delivery), Access.OPERATOR)
    guard(app, add_post(app, f"{INBOUND}/deliveries/{{deliveryId}}/replay", replay_delivery), Access.OPERATOR)
    # `deliveries` and `stats` are the log's own resources, never a source (the loader refuses those names).
    guard(app, add_post(app, f"{INBOUND}/{{source:(?!(?:deliveries|stats)$)[^/]+}}", deliver), Access.DELIVERY)
