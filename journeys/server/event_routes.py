"""`GET /api/v1/journeys/{journeyId}/events`: the Kafka records a journey published (`kafkaPublish:v1`).

Each record is in the event outbox from the commit of the advance that published it; `publishedAt` appears once
whatever relays the outbox to Kafka has sent it. Read like the journey's status: its owner, or `journeys:read:all`.
"""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from journeys.engine.event_tasks import published_events
from journeys.engine.outcome_document import rfc3339
from journeys.http_api import API_PREFIX
from journeys.server.app_keys import ENGINE
from journeys.server.auth import Access, guard, reader_of
from journeys.store.effect_records import OutboxEvent

EVENTS_ROUTE = f"{API_PREFIX}/journeys/{{journeyId}}/events"


def event_body(event: OutboxEvent) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": event.id,
        "eventKey": event.event_key,
        "state": event.state,
        "topic": event.topic,
        "key": event.key,
        "value": event.value,
        "headers": event.headers,
        "createdAt": rfc3339(event.created_at),
    }
    if event.connection is not None:
        body["connection"] = event.connection
    if event.published_at is not None:
        body["publishedAt"] = rfc3339(event.published_at)
    return body


async def get_events(request: web.Request) -> web.Response:
    journey_id = request.match_info["journeyId"]
    events = await published_events(request.app[ENGINE], journey_id, owner=reader_of(request))
    body = {"journeyId": journey_id, "items": [event_body(event) for event in events]}
    return web.Response(body=orjson.dumps(body), content_type="application/json")


def add_event_routes(app: web.Application) -> None:
    guard(app, app.router.add_get(EVENTS_ROUTE, get_events), Access.READ)
