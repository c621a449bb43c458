"""`GET /journeys/{journeyName}/versions` in the document of the whole API: the stored versions of a journey.

The counts are over the journeys of every owner, whatever the caller may list, so the description says so: an
operator reads them to see which versions still run work before retiring one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from journeys.contracts.openapi_components import json_response, problem_response, ref
from journeys.engine.lifecycle import PHASES

VERSIONS_PATH = "/journeys/{journeyName}/versions"
VERSIONS_OPERATION = "listVersions"


def versions_operation(tags: list[str], names: Sequence[str]) -> dict[str, Any]:
    """The operation; `names` (the loaded journeys) are examples only: a name no longer loaded still has versions."""
    name = {
        "name": "journeyName",
        "in": "path",
        "required": True,
        "description": "The journey's `metadata.name`.",
        "schema": {"type": "string", **({"examples": list(names)} if names else {})},
    }
    return {
        "operationId": VERSIONS_OPERATION,
        "tags": tags,
        "summary": "List the stored versions of a journey, newest first",
        "description": (
            "Every version of the definition this database has stored, with the one new starts run marked "
            "`loaded`, and how many journeys run by each, by phase. The counts cover every client's journeys, "
            "not only the caller's."
        ),
        "parameters": [name],
        "responses": {
            "200": json_response("The stored versions, newest first.", ref("JourneyVersions")),
            "404": problem_response("No version of a journey of this name is stored."),
        },
    }


def versions_schemas() -> dict[str, Any]:
    """`JourneyVersions`, the body of the operation."""
    count = {"type": "integer", "minimum": 0}
    version = {
        "type": "object",
        "required": ["journeyVersion", "digest", "storedAt", "loaded", "instances"],
        "properties": {
            "journeyVersion": {"type": "string", "description": "The version's `metadata.version`."},
            "digest": {"type": "string", "description": "SHA-256 of the normalised definition: the version's key."},
            "storedAt": {"type": "string", "format": "date-time", "description": "When a server first loaded it."},
            "loaded": {"type": "boolean", "description": "Whether new starts run this version."},
            "instances": {
                "type": "object",
                "description": "Journeys running by this version, by phase, of every client.",
                "required": list(PHASES),
                "properties": {phase: count for phase in PHASES},
                "additionalProperties": False,
            },
        },
    }
    return {
        "JourneyVersions": {
            "type": "object",
            "required": ["journeyName", "items"],
            "properties": {"journeyName": {"type": "string"}, "items": {"type": "array", "items": version}},
        }
    }
