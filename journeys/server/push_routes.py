"""`GET /api/v1/journeys/{journeyId}/notifications`: the result pushes of a journey and every attempt at each.

What the owner of a journey (or an operator) reads to learn whether its outcome reached the callback URL, and if
not, what the receiver answered: a push is `pending` (tried again at `nextAttemptAt`), `delivered` or `abandoned`.
"""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from journeys.engine.outcome_document import rfc3339
from journeys.http_api import API_PREFIX
from journeys.server.app_keys import ENGINE
from journeys.server.auth import Access, guard, reader_of
from journeys.store.push_records import PushStatus


def push_body(push: PushStatus) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": push.push.id,
        "url": push.push.url,
        "status": push.status,
        "createdAt": rfc3339(push.push.created_at),
        "attempts": [
            {
                "at": rfc3339(attempt.at),
                "status": attempt.status,
                "error": attempt.error,
                "durationMs": round(attempt.duration_ms, 3),
            }
            for attempt in push.attempts
        ],
    }
    if push.next_attempt_at is not None:
        body["nextAttemptAt"] = rfc3339(push.next_attempt_at)
    if push.finished_at is not None:
        body["finishedAt"] = rfc3339(push.finished_at)
    return body


async def get_notifications(request: web.Request) -> web.Response:
    journey_id = request.match_info["journeyId"]
    pushes = await request.app[ENGINE].result_push.of_journey(journey_id, owner=reader_of(request))
    body = {"journeyId": journey_id, "items": [push_body(push) for push in pushes]}
    return web.Response(body=orjson.dumps(body), content_type="application/json")


def add_push_routes(app: web.Application) -> None:
    route = app.router.add_get(f"{API_PREFIX}/journeys/{{journeyId}}/notifications", get_notifications)
    guard(app, route, Access.READ)
