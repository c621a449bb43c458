"""The JourneyOutcome document: the body of `GET /journeys/{id}/result`, and of the result push of an ended journey.

It lives below the server because the engine renders it too, when a journey ends and its outcome is to be POSTed
to a callback URL (`journeys.engine.result_push`): the receiver gets exactly what the API would answer.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from journeys.http_api import API_PREFIX
from journeys.store import InstanceRecord


def rfc3339(value: datetime) -> str:
    """A UTC timestamp as the API writes them: RFC 3339 with a `Z`."""
    return value.isoformat().replace("+00:00", "Z")


def journey_path(journey_id: str) -> str:
    return f"{API_PREFIX}/journeys/{journey_id}"


def outcome_document(record: InstanceRecord, *, links: bool) -> dict[str, Any]:
    """The outcome of the journey `record` holds; `links`: whether its definition shows `_links`."""
    outcome = record.outcome or {}
    body: dict[str, Any] = {
        "journeyId": record.id,
        "journeyName": record.journey_name,
        "journeyVersion": record.journey_version,
        "phase": record.phase,
        "status": outcome.get("status"),
        "output": outcome.get("output"),
        "updatedAt": rfc3339(record.updated_at),
    }
    if outcome.get("error") is not None:
        body["error"] = outcome["error"]
    if outcome.get("outcomeId") is not None:  # `spec.outcomes`: how the journey ended, by name
        body["outcomeId"] = outcome["outcomeId"]
    if links:
        body["_links"] = {"self": {"href": f"{journey_path(record.id)}/result", "method": "GET"}}
    return body
