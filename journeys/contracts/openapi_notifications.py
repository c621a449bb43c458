"""`GET /journeys/{journeyId}/notifications` in the document of the whole API: the result pushes of a journey.

A journey whose definition (`spec.lifecycle.callbackUrl`) or start (`callbackUrl`) names a callback URL has its
outcome POSTed there when it ends; this operation shows each push and every attempt to deliver it, so the owner of
the journey learns whether the outcome arrived and, if not, what the receiver answered.
"""

from __future__ import annotations

from typing import Any

from journeys.contracts.openapi_components import json_response, problem_response, ref
from journeys.contracts.openapi_operations import journey_id_parameter

NOTIFICATIONS_PATH = "/journeys/{journeyId}/notifications"
NOTIFICATIONS_OPERATION = "listNotifications"


def notifications_operation(tags: list[str]) -> dict[str, Any]:
    return {
        "operationId": NOTIFICATIONS_OPERATION,
        "tags": tags,
        "summary": "List the result pushes of a journey, with every delivery attempt",
        "description": (
            "When a journey with a callback URL ends (succeeded, failed or cancelled), its JourneyOutcome is POSTed "
            "to that URL, signed with Standard Webhooks headers (`webhook-id`, `webhook-timestamp`, "
            "`webhook-signature`), and tried again with a growing delay until the receiver answers 2xx or the "
            "server gives up. Empty while the journey runs, or when it has no callback URL."
        ),
        "parameters": [journey_id_parameter()],
        "responses": {
            "200": json_response("The journey's pushes, oldest first.", ref("JourneyNotifications")),
            "404": problem_response("No journey has this id."),
        },
    }


def notifications_schemas() -> dict[str, Any]:
    """`JourneyNotifications`, the body of the operation."""
    timestamp = {"type": "string", "format": "date-time"}
    attempt = {
        "type": "object",
        "required": ["at", "status", "error", "durationMs"],
        "properties": {
            "at": timestamp,
            "status": {
                "type": ["integer", "null"],
                "description": "The receiver's HTTP status; null when it gave no answer (see `error`).",
            },
            "error": {
                "type": ["string", "null"],
                "description": "Why there was no answer or no attempt, or the start of a refusing receiver's answer.",
            },
            "durationMs": {"type": "number", "minimum": 0},
        },
    }
    push = {
        "type": "object",
        "required": ["id", "url", "status", "createdAt", "attempts"],
        "properties": {
            "id": {"type": "string", "description": "The `webhook-id` header every attempt carries."},
            "url": {"type": "string", "description": "The callback URL."},
            "status": {"type": "string", "enum": ["pending", "delivered", "abandoned"]},
            "createdAt": {**timestamp, "description": "When the journey ended."},
            "nextAttemptAt": {**timestamp, "description": "When a pending push is tried next."},
            "finishedAt": {**timestamp, "description": "When it was delivered or given up."},
            "attempts": {"type": "array", "items": attempt},
        },
    }
    return {
        "JourneyNotifications": {
            "type": "object",
            "required": ["journeyId", "items"],
            "properties": {"journeyId": {"type": "string"}, "items": {"type": "array", "items": push}},
        }
    }
