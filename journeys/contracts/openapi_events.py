"""`GET /journeys/{journeyId}/events` in the document of the whole API: the Kafka records a journey published."""

from __future__ import annotations

from typing import Any

from journeys.contracts.openapi_components import json_response, problem_response, ref
from journeys.contracts.openapi_operations import journey_id_parameter

EVENTS_PATH = "/journeys/{journeyId}/events"


def events_operation(tags: list[str]) -> dict[str, Any]:
    return {
        "operationId": "listEvents",
        "tags": tags,
        "summary": "List the Kafka records a journey published",
        "description": (
            "Each `kafkaPublish:v1` task of the journey puts one record in the event outbox, committed with the "
            "advance that ran it, so only committed advances publish. `publishedAt` appears once the relay has sent "
            "the record to Kafka; `eventKey` is the same on every re-run of an advance, for consumers that "
            "deduplicate."
        ),
        "parameters": [journey_id_parameter()],
        "responses": {
            "200": json_response("The journey's records, oldest first.", ref("JourneyEvents")),
            "404": problem_response("No journey has this id."),
        },
    }


def events_schemas() -> dict[str, Any]:
    """`JourneyEvents`, the body of the operation."""
    timestamp = {"type": "string", "format": "date-time"}
    record = {
        "type": "object",
        "required": ["id", "eventKey", "state", "topic", "key", "value", "headers", "createdAt"],
        "properties": {
            "id": {"type": "string"},
            "eventKey": {"type": "string", "description": "Stable across re-runs of the advance that published it."},
            "state": {"type": "string", "description": "The task state that published the record."},
            "topic": {"type": "string"},
            "key": {"type": ["string", "null"], "description": "The record key; null when the task sets none."},
            "value": {"description": "The record value, any JSON."},
            "headers": {"type": "object", "additionalProperties": {"type": "string"}},
            "connection": {"type": "string", "description": "The task's `connectionSecretRef`, when it names one."},
            "createdAt": {**timestamp, "description": "When the advance that published it was committed."},
            "publishedAt": {**timestamp, "description": "When the relay sent it to Kafka."},
        },
    }
    return {
        "JourneyEvents": {
            "type": "object",
            "required": ["journeyId", "items"],
            "properties": {"journeyId": {"type": "string"}, "items": {"type": "array", "items": record}},
        }
    }
