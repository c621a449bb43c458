"""`GET /schedules` in the document of the whole API: the `schedule:v1` bindings and when each runs next."""

from __future__ import annotations

from typing import Any

from journeys.contracts.openapi_components import json_response, problem_response, ref
from journeys.http_api import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

SCHEDULES_PATH = "/schedules"


def schedules_operation(tags: list[str], names: list[str]) -> dict[str, Any]:
    name_schema: dict[str, Any] = {"type": "string", **({"examples": names} if names else {})}
    return {
        "operationId": "listSchedules",
        "tags": tags,
        "summary": "List the schedule bindings, newest first",
        "description": (
            "Each `schedule:v1` task binds future runs of its journey, from its `start` state, committed with the "
            "advance that ran it; each occurrence starts one new journey. A client sees the bindings its own "
            "journeys made, an operator (or `journeys:read:all`) every one. `nextRunAt` is null once `maxRuns` "
            "runs were started."
        ),
        "parameters": [
            {
                "name": "journeyName",
                "in": "query",
                "required": False,
                "description": "Only the bindings of this journey.",
                "schema": name_schema,
            },
            {
                "name": "limit",
                "in": "query",
                "required": False,
                "description": "Page size.",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": DEFAULT_PAGE_SIZE},
            },
            {
                "name": "pageToken",
                "in": "query",
                "required": False,
                "description": "The `nextPageToken` of the previous page.",
                "schema": {"type": "string"},
            },
        ],
        "responses": {
            "200": json_response("A page of bindings.", ref("SchedulePage")),
            "400": problem_response("A filter or the page token is invalid."),
        },
    }


def schedules_schemas() -> dict[str, Any]:
    """`SchedulePage`, the body of the operation."""
    timestamp = {"type": "string", "format": "date-time"}
    binding = {
        "type": "object",
        "required": [
            "scheduleId",
            "journeyName",
            "journeyVersion",
            "startState",
            "subjectId",
            "startAt",
            "interval",
            "maxRuns",
            "runsStarted",
            "nextRunAt",
            "lastJourneyId",
            "boundBy",
            "createdAt",
            "updatedAt",
        ],
        "properties": {
            "scheduleId": {"type": "string"},
            "journeyName": {"type": "string"},
            "journeyVersion": {"type": "string", "description": "`metadata.version` of the version its runs run by."},
            "startState": {"type": "string", "description": "The state each run starts at."},
            "subjectId": {"type": ["string", "null"]},
            "startAt": {**timestamp, "description": "The first occurrence; the others follow every `interval`."},
            "interval": {"type": "string", "description": "ISO-8601 duration."},
            "maxRuns": {"type": "integer", "minimum": 1},
            "runsStarted": {"type": "integer", "minimum": 0},
            "nextRunAt": {
                "type": ["string", "null"],
                "format": "date-time",
                "description": "When the next run starts (later, if the last run is still running); null: finished.",
            },
            "lastJourneyId": {"type": ["string", "null"], "description": "The run started last."},
            "boundBy": {"type": "string", "description": "The journey whose task made (or last upserted) it."},
            "createdAt": timestamp,
            "updatedAt": timestamp,
        },
    }
    return {
        "SchedulePage": {
            "type": "object",
            "required": ["items", "nextPageToken"],
            "properties": {
                "items": {"type": "array", "items": binding},
                "nextPageToken": {"type": ["string", "null"]},
            },
        }
    }
