"""JSON bodies of the Journeys API: JourneyStatus, JourneyOutcome, JourneyStartResponse, with `_links`."""

from __future__ import annotations

from typing import Any

from journeys.engine import Snapshot, VersionSummary
from journeys.engine.lifecycle import RUNNING
from journeys.engine.outcome_document import journey_path, outcome_document, rfc3339
from journeys.engine.parallel_runs import open_steps, shown_state
from journeys.store import TransitionRecord

RESERVED_STATUS_FIELDS = frozenset(
    {"journeyId", "journeyName", "journeyVersion", "phase", "currentState", "updatedAt", "tags", "attributes", "_links"}
)


def _timestamp(snapshot: Snapshot) -> str:
    return rfc3339(snapshot.record.updated_at)


def _links_enabled(snapshot: Snapshot) -> bool:
    """A journey whose version no longer compiles keeps its read links: it can be read, not advanced."""
    return snapshot.definition is None or snapshot.definition.links_enabled


def _links(snapshot: Snapshot, *, self_href: str) -> dict[str, Any]:
    record, definition = snapshot.record, snapshot.definition
    base = journey_path(record.id)
    links: dict[str, Any] = {
        "self": {"href": self_href, "method": "GET"},
        "result": {"href": f"{base}/result", "method": "GET"},
    }
    if record.phase == RUNNING and definition is not None:
        for step in open_steps(record, definition):
            links[step] = {"href": f"{base}/steps/{step}", "method": "POST"}
        if definition.cancellable:
            links["cancel"] = {"href": f"{base}/steps/cancel", "method": "POST"}
    # Subjourneys: a child links to its parent; a parent waiting in a subjourney state, to the child it waits for.
    if record.parent_id is not None:
        links["parent"] = {"href": journey_path(record.parent_id), "method": "GET"}
    if record.child_id is not None:  # the child it waits for, or (once ended) its compensation journey
        relation = "subjourney" if record.phase == RUNNING else "compensation"
        links[relation] = {"href": journey_path(record.child_id), "method": "GET"}
    return links


def status_body(snapshot: Snapshot) -> dict[str, Any]:
    record = snapshot.record
    body: dict[str, Any] = {}
    if snapshot.step_fields:
        body.update((k, v) for k, v in snapshot.step_fields.items() if k not in RESERVED_STATUS_FIELDS)
    body.update(
        journeyId=record.id,
        journeyName=record.journey_name,
        journeyVersion=record.journey_version,
        phase=record.phase,
        currentState=shown_state(record),
        updatedAt=_timestamp(snapshot),
    )
    if _links_enabled(snapshot):
        body["_links"] = _links(snapshot, self_href=journey_path(record.id))
    return body


def outcome_body(snapshot: Snapshot) -> dict[str, Any]:
    """The JourneyOutcome, rendered by the engine's function: a result push carries the same document."""
    return outcome_document(snapshot.record, links=_links_enabled(snapshot))


def start_accepted_body(snapshot: Snapshot, origin: str) -> dict[str, Any]:
    record = snapshot.record
    body: dict[str, Any] = {
        "journeyId": record.id,
        "journeyName": record.journey_name,
        "statusUrl": origin + journey_path(record.id),
    }
    if _links_enabled(snapshot):
        body["_links"] = {
            "self": {"href": journey_path(record.id), "method": "GET"},
            "result": {"href": f"{journey_path(record.id)}/result", "method": "GET"},
        }
    return body


def transition_body(transition: TransitionRecord) -> dict[str, Any]:
    return {
        "seq": transition.seq,
        "event": transition.event,
        "fromState": transition.from_state,
        "toState": transition.to_state,
        "phase": transition.phase,
        "path": transition.path,
        "detail": transition.detail,
        "at": rfc3339(transition.at),
        "request": transition.request,
        "context": transition.context,
    }


def versions_body(journey_name: str, versions: list[VersionSummary]) -> dict[str, Any]:
    """`GET /journeys/{journeyName}/versions`: the stored versions, newest first, with their instance counts."""
    return {
        "journeyName": journey_name,
        "items": [
            {
                "journeyVersion": v.label,
                "digest": v.digest,
                "storedAt": rfc3339(v.stored_at),
                "loaded": v.loaded,
                "instances": dict(v.instances),
            }
            for v in versions
        ],
    }
