"""The parts every generated OpenAPI document shares: the Journeys API envelopes and the problem document.

These schemas describe the bodies `journeys.server.representations` and `journeys.server.problems` build, field
for field, so that a client generated from any journey's document (and schemathesis checking the live server)
sees exactly what the server sends. Values the server enforces are imported instead of being repeated here: phases
from the engine, the problem media type and the page and long-poll limits from `journeys.http_api`.
"""

from __future__ import annotations

from typing import Any

from journeys.engine.delivery_records import APPLIED, BUFFERED, DUPLICATE, LATE, UNMATCHED
from journeys.engine.lifecycle import PHASES, TERMINAL_PHASES
from journeys.http_api import MAX_LONG_POLL_SECONDS, PROBLEM_CONTENT_TYPE

JSON = "application/json"
HISTORY_EVENTS = ("start", "step", "timeout", "timer", "deadline", "call-retry", "cancel", "resume", "migrate", "retry")
HISTORY_EVENTS += ("schedule",)  # the first event of a run a schedule:v1 binding started
# The verdicts answered 2xx (a rejection is a problem document, an expiry happens after the answer).
ANSWERED_VERDICTS = (APPLIED, DUPLICATE, BUFFERED, LATE, UNMATCHED)
_JOURNEY_VERSION = {
    "type": "string",
    "description": "The version (`metadata.version`) of the definition the journey started with, and runs by.",
}


def ref(name: str) -> dict[str, str]:
    """A reference to the schema component `name`."""
    return {"$ref": f"#/components/schemas/{name}"}


def json_response(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}}


def problem_response(description: str) -> dict[str, Any]:
    """An error response: always an RFC 9457 problem document, whatever the status."""
    return {"description": description, "content": {PROBLEM_CONTENT_TYPE: {"schema": ref("Problem")}}}


def journey_id_parameter() -> dict[str, Any]:
    return {"$ref": "#/components/parameters/JourneyId"}


def idempotency_key_parameter() -> dict[str, Any]:
    return {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "description": (
            "Tells a retry from a new submission of the same bytes (to a step the journey loops through): a "
            "repeat of the applied submission, the same bytes with the same key (or both without one), is "
            "answered with the first answer."
        ),
        "schema": {"type": "string"},
    }


def wait_seconds_parameter() -> dict[str, Any]:
    return {
        "name": "waitSeconds",
        "in": "query",
        "required": False,
        "description": "Long-poll: answer as soon as the journey ends, or 409 when this many seconds have passed.",
        "schema": {"type": "number", "minimum": 0, "maximum": MAX_LONG_POLL_SECONDS, "default": 0},
    }


def _instance_metadata() -> dict[str, Any]:
    """`tags` and `attributes` (DSL 2.8), shown on reads of journeys whose definition declares tags or bindings."""
    return {
        "tags": {
            "type": "array",
            "items": {"type": "string"},
            "description": "The definition's `metadata.tags` and the tags bound from the start request.",
        },
        "attributes": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "description": "Attributes bound from the start request (`spec.metadata.bindings.attributes`).",
        },
    }


def _timestamp() -> dict[str, Any]:
    return {"type": "string", "format": "date-time"}


def _links_property() -> dict[str, Any]:
    return {
        "$ref": "#/components/schemas/Links",
        "description": "Absent when the definition sets `spec.httpSurface.links.enabled: false`.",
    }


def shared_schemas() -> dict[str, Any]:
    """The envelopes of the Journeys API, the same for every journey."""
    return {
        "Link": {
            "type": "object",
            "required": ["href", "method"],
            "properties": {"href": {"type": "string"}, "method": {"type": "string", "enum": ["GET", "POST"]}},
        },
        "Links": {
            "type": "object",
            "description": (
                "`self` and `result` always; while the journey runs, one link named after the step it waits at "
                "and `cancel` when it is cancellable."
            ),
            "additionalProperties": ref("Link"),
        },
        "JourneyStatus": {
            "type": "object",
            "required": ["journeyId", "journeyName", "journeyVersion", "phase", "currentState", "updatedAt"],
            "properties": {
                "journeyId": {"type": "string"},
                "journeyName": {"type": "string"},
                "journeyVersion": _JOURNEY_VERSION,
                "phase": {"type": "string", "enum": list(PHASES)},
                "currentState": {"type": "string", "description": "The state the journey is in or ended at."},
                **_instance_metadata(),
                "updatedAt": _timestamp(),
                "_links": _links_property(),
            },
        },
        "JourneyError": {
            "type": "object",
            "required": ["code", "reason"],
            "properties": {"code": {"type": "string"}, "reason": {"type": "string"}},
        },
        "JourneyOutcome": {
            "type": "object",
            "required": ["journeyId", "journeyName", "journeyVersion", "phase", "status", "output", "updatedAt"],
            "properties": {
                "journeyId": {"type": "string"},
                "journeyName": {"type": "string"},
                "journeyVersion": _JOURNEY_VERSION,
                "phase": {"type": "string", "enum": [phase for phase in PHASES if phase in TERMINAL_PHASES]},
                "status": {
                    "type": "string",
                    "description": "`output.status` when it is a string, else the error code, else `SUCCEEDED`.",
                },
                "output": {"description": "The journey's output; null when it failed."},
                "error": {**ref("JourneyError"), "description": "Only when the journey failed."},
                "outcomeId": {
                    "type": "string",
                    "description": "The first `spec.outcomes` entry matching how the journey ended; absent if none.",
                },
                **_instance_metadata(),
                "updatedAt": _timestamp(),
                "_links": _links_property(),
            },
        },
        "JourneyStartResponse": {
            "type": "object",
            "required": ["journeyId", "journeyName", "statusUrl"],
            "properties": {
                "journeyId": {"type": "string"},
                "journeyName": {"type": "string"},
                "statusUrl": {"type": "string", "format": "uri"},
                "_links": _links_property(),
            },
        },
        "JourneyTransition": {
            "type": "object",
            "required": ["seq", "event", "fromState", "toState", "phase", "path", "detail", "at"],
            "properties": {
                "seq": {"type": "integer", "minimum": 1},
                "event": {"type": "string", "enum": list(HISTORY_EVENTS)},
                "fromState": {"type": ["string", "null"]},
                "toState": {"type": "string"},
                "phase": {"type": "string", "enum": list(PHASES)},
                "path": {
                    "type": "array",
                    "description": "Every state the advance walked through.",
                    "items": {"type": "string"},
                },
                "detail": {"type": ["object", "null"]},
                "at": _timestamp(),
                "request": {
                    "description": (
                        "The request body that caused the advance (a start's, a step's); null when none did (a "
                        "timeout, a recovered run, a cancel) or on transitions from before bodies were kept. Paths "
                        "the definition lists in `spec.metadata.redact` read \"[REDACTED]\"."
                    ),
                },
                "context": {
                    "type": ["object", "null"],
                    "description": "The context after the advance, redacted like `request`; null on older transitions.",
                },
            },
        },
        "JourneyHistory": {
            "type": "object",
            "required": ["journeyId", "items"],
            "properties": {
                "journeyId": {"type": "string"},
                "items": {"type": "array", "items": ref("JourneyTransition")},
            },
        },
        "Problem": {
            "type": "object",
            "description": "RFC 9457 problem details.",
            "required": ["type", "title", "status", "detail", "instance"],
            "properties": {
                "type": {"type": "string", "format": "uri-reference"},
                "title": {"type": "string"},
                "status": {"type": "integer", "minimum": 400, "maximum": 599},
                "detail": {"type": "string"},
                "instance": {"type": "string", "format": "uri-reference"},
                "errors": {
                    "type": "array",
                    "description": "The schema violations, each with its JSON location (400 invalid-input).",
                    "items": {"type": "string"},
                },
                "code": {"type": "string", "description": "Why the API key was refused (401): APIKEY_MISSING, ..."},
                "requiredScope": {"type": "string", "description": "The scope the client's credential lacks (403)."},
                "cause": {
                    "type": "string",
                    "description": (
                        "Why a delivery failed its source's verification (401/403): missing-signature, "
                        "malformed-signature, invalid-signature, missing-timestamp, stale-timestamp."
                    ),
                },
            },
        },
    }


def page_schema() -> dict[str, Any]:
    """The body of `GET /journeys`, only in the document of the whole API."""
    return {
        "type": "object",
        "required": ["items", "nextPageToken"],
        "properties": {
            "items": {"type": "array", "items": ref("JourneyStatus")},
            "nextPageToken": {"type": ["string", "null"], "description": "Null on the last page."},
        },
    }


def delivery_headers() -> dict[str, Any]:
    """The headers every answer to a delivery (a step submission or a post to a source) carries."""
    return {
        "Journeys-Delivery-Verdict": {"$ref": "#/components/headers/JourneysDeliveryVerdict"},
        "Journeys-Delivery-Id": {"$ref": "#/components/headers/JourneysDeliveryId"},
    }


def refusal_headers() -> dict[str, Any]:
    """The headers of a refused delivery that was logged (not of a 404 or 413: those are not logged)."""
    return {
        "Journeys-Delivery-Verdict": {"$ref": "#/components/headers/JourneysDeliveryRefusal"},
        "Journeys-Delivery-Id": {"$ref": "#/components/headers/JourneysDeliveryRefusalId"},
    }


def delivery_problem_response(description: str) -> dict[str, Any]:
    """A problem answering a delivery, naming its row in the inbound log when it was logged."""
    return {**problem_response(description), "headers": refusal_headers()}


RETRY_AFTER = {"description": "Seconds to wait before retrying.", "schema": {"type": "string"}}
DATABASE_UNAVAILABLE = "The database cannot be reached (`database-unavailable`): retry after `Retry-After` seconds."


def _body_reading_responses() -> dict[str, Any]:
    """What reading a body can answer before the operation itself runs (an operation's own 400 covers the first)."""
    accept_encoding = {
        "description": "The content codings the server decodes, e.g. `gzip, deflate`.",
        "schema": {"type": "string"},
    }
    return {
        "400": problem_response(
            "The body's bytes do not decode as its `Content-Encoding` says (`malformed-body`); nothing was applied "
            "or logged."
        ),
        "408": problem_response(
            "The request was not sent within the server's timeout (`body-timeout`; `request-timeout` when its "
            "headers were not); nothing was applied and the connection is closed."
        ),
        "415": {
            **problem_response(
                "The body's `Content-Encoding` is not one the server decodes (`unsupported-content-encoding`); "
                "nothing was applied."
            ),
            "headers": {"Accept-Encoding": accept_encoding},
        },
    }


def add_server_responses(paths: dict[str, Any]) -> None:
    """Add to every operation of `paths` the answers the server can give whatever the operation: 503 while the
    database cannot be reached and, to one that takes a body, 400, 408 and 415 (`_body_reading_responses`).
    They come from the server's middleware and body reading, not from the journey, so they are added in one
    place rather than by each operation's builder (and an operation added later gets them too)."""
    for item in paths.values():
        for operation in item.values():
            responses = operation["responses"]
            if "requestBody" in operation:
                responses.update({**_body_reading_responses(), **responses})
            busy = responses.get("503")
            if busy is None:
                responses["503"] = {**problem_response(DATABASE_UNAVAILABLE), "headers": {"Retry-After": RETRY_AFTER}}
            else:  # the journey was busy (inbound): the same advice, for one more reason
                responses["503"] = {
                    **busy,
                    "description": f"{busy['description']} Or: {DATABASE_UNAVAILABLE}",
                    "headers": {**busy.get("headers", {}), "Retry-After": RETRY_AFTER},
                }
            operation["responses"] = dict(sorted(responses.items()))


def shared_headers() -> dict[str, Any]:
    return {
        "JourneysDeliveryRefusal": {
            "description": "Why the delivery was refused, as logged: `rejected:<cause>`.",
            "required": False,
            "schema": {"type": "string", "pattern": "^rejected:.+$"},
        },
        "JourneysDeliveryRefusalId": {
            "description": "The refused delivery's id in the inbound log.",
            "required": False,
            "schema": {"type": "string"},
        },
        "JourneysDeliveryVerdict": {
            "description": (
                "What became of the delivery: `applied`, `duplicate` (a retry, answered exactly as the first "
                "delivery was), `buffered` (kept until a journey waits for its key), `late` (its journey has "
                "ended) or `unmatched` (it names no journey)."
            ),
            "required": True,
            "schema": {"type": "string", "enum": list(ANSWERED_VERDICTS)},
        },
        "JourneysDeliveryId": {
            "description": "The delivery's id in the inbound log (`GET /inbound/deliveries/{deliveryId}`).",
            "required": True,
            "schema": {"type": "string"},
        },
    }


def shared_parameters() -> dict[str, Any]:
    return {
        "JourneyId": {
            "name": "journeyId",
            "in": "path",
            "required": True,
            "description": "The id the start operation returned.",
            "schema": {"type": "string"},
        }
    }
