"""The operators' endpoints in the document of the whole API: reload, migrate, retry, submit for a caller.

All need the `operator` scope. Their bodies are described member for member as `journeys.server.operator_routes`
builds and reads them, so schemathesis (run as an operator) checks the live answers against this.
"""

from __future__ import annotations

from typing import Any

from journeys.contracts.openapi_components import JSON, journey_id_parameter, json_response, problem_response, ref
from journeys.engine.migrations import MAX_BATCH, MOVED, REFUSED, WOULD_MOVE

RELOAD_PATH = "/definitions/reload"
MIGRATIONS_PATH = "/journeys/{journeyName}/migrations"
RETRY_PATH = "/journeys/{journeyId}/retry"
SUBMISSIONS_PATH = "/journeys/{journeyId}/submissions"
_TEXT = {"type": "string", "minLength": 1}
_DIGEST = {"type": "string", "description": "SHA-256 of the normalised definition: the version's key."}


def operator_paths(tags: list[str], names: list[str]) -> dict[str, Any]:
    reload = {
        "operationId": "reloadDefinitions",
        "tags": tags,
        "summary": "Reload the definitions from disk",
        "description": (
            "Reads every journey and source file again, and the config's `pinnedVersions`. When all are valid, "
            "the new versions are stored and new starts run them (or the pinned ones); journeys in flight keep "
            "the version they started with. When anything is invalid nothing changes, and the answer lists why. "
            "SIGHUP does the same."
        ),
        "responses": {
            "200": json_response("The definitions now loaded, and what changed.", ref("ReloadedDefinitions")),
            "422": problem_response(
                "A file or a pin is invalid: the previous definitions stay loaded; `problems` lists every problem."
            ),
        },
    }
    name = {
        "name": "journeyName",
        "in": "path",
        "required": True,
        "description": "The journey's `metadata.name`.",
        "schema": {"type": "string", **({"examples": names} if names else {})},
    }
    migrate = {
        "operationId": "migrateJourneys",
        "tags": tags,
        "summary": "Move waiting journeys to another stored version",
        "description": (
            "Checks each Running journey of version `from` (up to `limit`, in id order after `after`) against "
            "version `to`: one waiting at a step that exists there unchanged, or that `map` sends to a step of "
            "`to`, is moved (a `migrate` transition in its history); any other is refused with the reason. "
            "`dryRun` checks without writing. `nextAfter` continues a long migration."
        ),
        "parameters": [name],
        "requestBody": {"required": True, "content": {JSON: {"schema": ref("MigrationRequest")}}},
        "responses": {
            "200": json_response("What happened to each journey of the batch.", ref("MigrationReport")),
            "400": problem_response("The body is invalid, names one version twice, or maps states neither has."),
            "404": problem_response("No stored version of the journey matches `from` or `to`."),
            "409": problem_response("A reference names several versions, or the target version cannot run."),
        },
    }
    return {
        RELOAD_PATH: {"post": reload},
        MIGRATIONS_PATH: {"post": migrate},
        RETRY_PATH: {"post": _retry(tags)},
        SUBMISSIONS_PATH: {"post": _submission(tags)},
    }


def _journey_operation(tags: list[str], operation_id: str, summary: str, description: str, body: str) -> dict[str, Any]:
    return {
        "operationId": operation_id,
        "tags": tags,
        "summary": summary,
        "description": description,
        "parameters": [journey_id_parameter()],
        "requestBody": {"required": True, "content": {JSON: {"schema": ref(body)}}},
        "responses": {
            "200": json_response("The journey after the advance.", ref("JourneyStatus")),
            "400": problem_response("The body is invalid (or, for a submission, does not match the step's schema)."),
            "404": problem_response("No journey has this id, or (a submission) it has no such step."),
            "409": problem_response("The journey is not where the action applies, or another request advanced it."),
        },
    }


def _retry(tags: list[str]) -> dict[str, Any]:
    return _journey_operation(
        tags,
        "retryJourney",
        "Run a Failed journey again from a state",
        "Runs the journey again from `fromState` of its own version, with the context it failed with (an outbound "
        "call is made again, a step waits again). The history gets a `retry` transition with `retriedBy` and "
        "`reason`.",
        "RetryRequest",
    )


def _submission(tags: list[str]) -> dict[str, Any]:
    return _journey_operation(
        tags,
        "submitForCaller",
        "Submit a step on a caller's behalf",
        "Applies `body` to the step the journey waits at, as its caller's submission would: validated against the "
        "step's schema, while the journey's own API-key check is vouched for by the operator. The history records "
        "`submittedBy` and `reason`.",
        "SubmissionRequest",
    )


def operator_schemas() -> dict[str, Any]:
    loaded = {
        "type": "object",
        "required": ["journeyName", "journeyVersion", "digest", "previousDigest", "change", "pinned"],
        "properties": {
            "journeyName": {"type": "string"},
            "journeyVersion": {"type": "string"},
            "digest": _DIGEST,
            "previousDigest": {"type": ["string", "null"], "description": "What new starts ran before."},
            "change": {"enum": ["added", "changed", "unchanged"]},
            "pinned": {"type": "boolean", "description": "New starts run a version the config pins."},
        },
    }
    version = {
        "type": "object",
        "required": ["journeyVersion", "digest"],
        "properties": {"journeyVersion": {"type": "string"}, "digest": _DIGEST},
    }
    move = {
        "type": "object",
        "required": ["journeyId", "fromState", "toState", "outcome", "reason"],
        "properties": {
            "journeyId": {"type": "string"},
            "fromState": {"type": "string"},
            "toState": {"type": ["string", "null"]},
            "outcome": {"enum": [MOVED, WOULD_MOVE, REFUSED]},
            "reason": {"type": ["string", "null"], "description": "Why it was refused."},
        },
    }
    count = {"type": "integer", "minimum": 0}
    reference = {**_TEXT, "description": "A stored version: its label, or a digest prefix (8 characters or more)."}
    return {
        "ReloadedDefinitions": {
            "type": "object",
            "required": ["journeys", "removed", "sources"],
            "properties": {
                "journeys": {"type": "array", "items": loaded},
                "removed": {"type": "array", "items": {"type": "string"}},
                "sources": {"type": "array", "items": {"type": "string"}},
            },
        },
        "MigrationRequest": {
            "type": "object",
            "required": ["from", "to"],
            "additionalProperties": False,
            "properties": {
                "from": reference,
                "to": reference,
                "map": {
                    "type": "object",
                    "description": "A state of `from` -> the step of `to` its journeys move to.",
                    "additionalProperties": _TEXT,
                },
                "dryRun": {"type": "boolean", "default": False},
                "after": {**_TEXT, "description": "Continue after this journey id (a previous `nextAfter`)."},
                "limit": {"type": "integer", "minimum": 1, "maximum": MAX_BATCH, "default": MAX_BATCH},
            },
        },
        "RetryRequest": {
            "type": "object",
            "required": ["fromState"],
            "additionalProperties": False,
            "properties": {"fromState": _TEXT, "reason": {"type": "string"}},
        },
        "SubmissionRequest": {
            "type": "object",
            "required": ["step"],
            "additionalProperties": False,
            "properties": {
                "step": _TEXT,
                "body": {"description": "The submission, as the caller would have sent it."},
                "reason": {"type": "string"},
            },
        },
        "MigrationReport": {
            "type": "object",
            "required": ["journeyName", "from", "to", "dryRun", "moved", "wouldMove", "refused", "items", "nextAfter"],
            "properties": {
                "journeyName": {"type": "string"},
                "from": version,
                "to": version,
                "dryRun": {"type": "boolean"},
                "moved": count,
                "wouldMove": count,
                "refused": count,
                "items": {"type": "array", "items": move},
                "nextAfter": {"type": ["string", "null"]},
            },
        },
    }
