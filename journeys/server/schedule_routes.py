"""`GET /api/v1/schedules`: the `schedule:v1` bindings, newest first, for operators to see what will run when.

Read like journeys: a client sees the bindings its own journeys made (their runs are its journeys too), an operator
or `journeys:read:all` client every binding. The context a binding hands to its next run is not shown: it may
hold what the journey keeps from its callers (tokens), and the runs' own status documents show what they did.
"""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from journeys.engine.outcome_document import rfc3339
from journeys.http_api import API_PREFIX
from journeys.server.app_keys import ENGINE
from journeys.server.auth import Access, guard, reader_of
from journeys.server.query_params import next_page_token, page_params, text_param
from journeys.store.schedules import ScheduleRecord

SCHEDULES_ROUTE = f"{API_PREFIX}/schedules"


def schedule_body(schedule: ScheduleRecord) -> dict[str, Any]:
    return {
        "scheduleId": schedule.id,
        "journeyName": schedule.journey_name,
        "journeyVersion": schedule.journey_version,
        "startState": schedule.start_state,
        "subjectId": schedule.subject_id,
        "startAt": rfc3339(schedule.start_at),
        "interval": schedule.interval,
        "maxRuns": schedule.max_runs,
        "runsStarted": schedule.runs_started,
        "nextRunAt": None if schedule.next_run_at is None else rfc3339(schedule.next_run_at),
        "lastJourneyId": schedule.last_journey_id,
        "boundBy": schedule.bound_by,
        "createdAt": rfc3339(schedule.created_at),
        "updatedAt": rfc3339(schedule.updated_at),
    }


async def list_schedules(request: web.Request) -> web.Response:
    limit, after = page_params(request)
    found = await request.app[ENGINE].schedules.list(
        journey_name=text_param(request, "journeyName"), owner=reader_of(request), limit=limit + 1, after=after
    )
    token = next_page_token(found, limit, lambda s: (s.created_at, s.id))
    body = {"items": [schedule_body(schedule) for schedule in found[:limit]], "nextPageToken": token}
    return web.Response(body=orjson.dumps(body), content_type="application/json")


def add_schedule_routes(app: web.Application) -> None:
    guard(app, app.router.add_get(SCHEDULES_ROUTE, list_schedules), Access.READ)
