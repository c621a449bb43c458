"""The inbound log as OpenAPI: the operators' paths over the deliveries every inbound URL logs.

`GET /inbound/deliveries`, `GET /inbound/deliveries/{deliveryId}`, `POST .../{deliveryId}/replay` and
`GET /inbound/stats`, whose bodies follow `journeys.server.inbound.representations` and
`journeys.engine.inbound_log` field for field. They are documented only in the document of the whole API.
"""

from __future__ import annotations

from typing import Any

from journeys.contracts.openapi_components import json_response, problem_response, ref
from journeys.contracts.openapi_inbound import INBOUND_TAG
from journeys.contracts.openapi_security import needs_scope
from journeys.engine.inbound_log import STATS_SAMPLE, STEP_URL, WINDOWS
from journeys.http_api import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, OPERATOR, VERDICT_FILTERS

DELIVERIES_PATH = "/inbound/deliveries"
DELIVERY_PATH = "/inbound/deliveries/{deliveryId}"
REPLAY_PATH = "/inbound/deliveries/{deliveryId}/replay"
STATS_PATH = "/inbound/stats"
LIST_DELIVERIES = "listInboundDeliveries"
GET_DELIVERY = "getInboundDelivery"
REPLAY_DELIVERY = "replayInboundDelivery"
GET_STATS = "getInboundStats"
VERDICT_PATTERN = f"^({'|'.join(VERDICT_FILTERS)}|rejected:.+)$"


def _delivery_id_parameter() -> dict[str, Any]:
    return {
        "name": "deliveryId",
        "in": "path",
        "required": True,
        "description": "The id in `Journeys-Delivery-Id`, or an item's `deliveryId`.",
        "schema": {"type": "string"},
    }


def _filter(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    schema = schema or {"type": "string"}
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


def log_paths() -> dict[str, Any]:
    """The paths of the inbound log: list, one delivery, replay, statistics; the operators' alone."""
    tags = [INBOUND_TAG]
    verdicts = ", ".join(f"`{verdict}`" for verdict in VERDICT_FILTERS)
    listing = {
        "operationId": LIST_DELIVERIES,
        "tags": tags,
        "summary": "List inbound deliveries, newest first",
        "parameters": [
            _filter("source", "Only deliveries to this source."),
            _filter(
                "verdict",
                f"Only deliveries with this verdict: {verdicts} or `rejected:<cause>`; empty for all.",
                {"type": "string", "pattern": f"^({'|'.join(VERDICT_FILTERS)}|rejected:.*)?$"},
            ),
            _filter("journeyId", "Only deliveries applied or kept for this journey."),
            _filter(
                "limit",
                "Page size.",
                {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": DEFAULT_PAGE_SIZE},
            ),
            _filter("pageToken", "The `nextPageToken` of the previous page."),
        ],
        "responses": {
            "200": json_response("One page of deliveries.", ref("InboundDeliveryPage")),
            "400": problem_response("A filter or the page token is invalid."),
        },
    }
    one = {
        "operationId": GET_DELIVERY,
        "tags": tags,
        "summary": "Get an inbound delivery, with its stored body",
        "parameters": [_delivery_id_parameter()],
        "responses": {
            "200": json_response("The delivery.", ref("InboundDeliveryWithBody")),
            "404": problem_response("No delivery has this id."),
        },
    }
    replay = {
        "operationId": REPLAY_DELIVERY,
        "tags": tags,
        "summary": "Route an unmatched or expired delivery again",
        "description": (
            "Applies the stored delivery to the journey waiting for its correlation key, or puts it back in the "
            "inbox for the source's TTL."
        ),
        "parameters": [_delivery_id_parameter()],
        "responses": {
            "200": json_response("The delivery after the replay.", ref("InboundDeliveryWithBody")),
            "404": problem_response("No delivery has this id."),
            "409": problem_response(
                "The delivery is not `unmatched` or `expired`, its source is not loaded, or it still names no journey."
            ),
        },
    }
    stats = {
        "operationId": GET_STATS,
        "tags": tags,
        "summary": "Per-source delivery statistics",
        "responses": {"200": json_response("Counts, 2xx rate and processing times.", ref("InboundStats"))},
    }
    return {
        DELIVERIES_PATH: {"get": needs_scope(listing, OPERATOR)},
        STATS_PATH: {"get": needs_scope(stats, OPERATOR)},
        DELIVERY_PATH: {"get": needs_scope(one, OPERATOR)},
        REPLAY_PATH: {"post": needs_scope(replay, OPERATOR)},
    }


def _timestamp(nullable: bool = False) -> dict[str, Any]:
    return {"type": ["string", "null"] if nullable else "string", "format": "date-time"}


def _nullable_string(description: str) -> dict[str, Any]:
    return {"type": ["string", "null"], "description": description}


def log_schemas() -> dict[str, Any]:
    """The bodies of the inbound log (only in the document of the whole API)."""
    window = {
        "type": "object",
        "required": ["total", "verdicts", "successRate", "processingMs"],
        "properties": {
            "total": {"type": "integer", "minimum": 0},
            "verdicts": {
                "type": "object",
                "description": "Deliveries by verdict.",
                "additionalProperties": {"type": "integer", "minimum": 1},
            },
            "successRate": {
                "type": ["number", "null"],
                "minimum": 0,
                "maximum": 1,
                "description": "The share answered 2xx; null without deliveries.",
            },
            "processingMs": {
                "type": "object",
                "required": ["p50", "p95", "p99"],
                "properties": {p: {"type": ["number", "null"], "minimum": 0} for p in ("p50", "p95", "p99")},
            },
        },
    }
    names = [name for name, _ in WINDOWS]
    delivery: dict[str, Any] = {
        "deliveryId": {"type": "string"},
        "source": _nullable_string("The source; null for a step URL without one."),
        "journeyId": _nullable_string("The journey it was applied or kept for."),
        "stepId": _nullable_string("The step it was applied or submitted to."),
        "correlationKey": _nullable_string("The key the source's correlation expression gave."),
        "senderDeliveryId": _nullable_string("The sender's own id of the delivery (the dedupe key)."),
        "verdict": {
            "type": "string",
            "pattern": VERDICT_PATTERN,
            "description": "applied, duplicate, buffered, expired, late, unmatched or rejected:<cause>.",
        },
        "reason": _nullable_string("Why it was kept, refused or a duplicate."),
        "status": {"type": "integer", "minimum": 100, "maximum": 599, "description": "What we answered."},
        "receivedAt": _timestamp(),
        "processingMs": {"type": "number", "minimum": 0},
        "expiresAt": {**_timestamp(nullable=True), "description": "When a buffered delivery expires."},
        "keyId": _nullable_string("The id of the secret that verified it."),
        "contentType": _nullable_string("The media type it was posted with."),
        "_links": {"type": "object", "properties": {"journey": ref("Link")}},
    }
    return {
        "InboundDelivery": {
            "type": "object",
            "required": [name for name in delivery if name != "_links"],
            "properties": delivery,
        },
        "InboundDeliveryWithBody": {
            "allOf": [
                ref("InboundDelivery"),
                {
                    "type": "object",
                    "required": ["body"],
                    "properties": {
                        "body": {
                            "description": (
                                "The body as parsed, with the source's redacted fields; null for a rejected or "
                                "unreadable delivery."
                            )
                        }
                    },
                },
            ]
        },
        "InboundDeliveryPage": {
            "type": "object",
            "required": ["items", "nextPageToken"],
            "properties": {
                "items": {"type": "array", "items": ref("InboundDelivery")},
                "nextPageToken": {"type": ["string", "null"], "description": "Null on the last page."},
            },
        },
        "InboundWindowStats": window,
        "InboundStats": {
            "type": "object",
            "required": ["at", "sampleLimit", "sources"],
            "properties": {
                "at": _timestamp(),
                "sampleLimit": {"type": "integer", "const": STATS_SAMPLE},
                "sources": {
                    "type": "object",
                    "description": f"By source; step URLs without a source are counted as `{STEP_URL}`.",
                    "additionalProperties": {
                        "type": "object",
                        "required": names,
                        "properties": {name: ref("InboundWindowStats") for name in names},
                    },
                },
            },
        },
    }
