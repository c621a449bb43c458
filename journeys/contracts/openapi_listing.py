"""`GET /journeys` in the generated documents: its filters (business keys among them) and paging."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from journeys.contracts.openapi_components import json_response, problem_response, ref
from journeys.definitions.model import JourneyDefinition
from journeys.engine.lifecycle import PHASES
from journeys.http_api import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, SEARCH_KEY_PREFIX


def _phase_filter_pattern() -> str:
    """What the list filter accepts: a phase in any case, or nothing (JSON Schema regexes have no `(?i)`)."""
    any_case = ("".join(f"[{c.upper()}{c.lower()}]" for c in phase) for phase in PHASES)
    return f"^({'|'.join(any_case)})?$"


def _text(name: str, description: str, **schema: Any) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": {"type": "string", **schema},
    }


def _instant(name: str, description: str) -> dict[str, Any]:
    """A time filter: an RFC 3339 date-time, or empty for none (as every filter of the list)."""
    schema = {"anyOf": [{"type": "string", "format": "date-time"}, {"type": "string", "maxLength": 0}]}
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


def list_parameters(search_keys: Sequence[str] = ()) -> list[dict[str, Any]]:
    """The filters and paging of `GET /journeys`; `search_keys`, the business key names the loaded journeys declare
    (`spec.metadata.searchKeys`), each a `key.<name>` filter."""
    instant = "An RFC 3339 timestamp with an offset, e.g. 2026-01-01T00:00:00Z."
    return [
        _text("journeyName", "Only journeys of this definition."),
        _text(
            "journeyVersion", "Only journeys running by a version with this label (`metadata.version`); empty for all."
        ),
        _text(
            "phase",
            "Only journeys in this phase: Running, Succeeded or Failed, in any case; empty for all.",
            pattern=_phase_filter_pattern(),
            examples=list(PHASES),
        ),
        _text("currentState", "Only journeys at this state (waiting there, or ended there)."),
        _instant("startedAfter", f"Only journeys started at or after this instant. {instant}"),
        _instant("startedBefore", f"Only journeys started before this instant. {instant}"),
        _instant("updatedAfter", f"Only journeys last advanced at or after this instant. {instant}"),
        _instant("updatedBefore", f"Only journeys last advanced before this instant. {instant}"),
        *(
            _text(f"{SEARCH_KEY_PREFIX}{name}", f"Only journeys whose business key `{name}` has this value.")
            for name in search_keys
        ),
        {
            "name": "tag",
            "in": "query",
            "required": False,
            "description": "Only journeys carrying this tag (`metadata.tags` or a bound one); repeat for several.",
            "schema": {"type": "array", "items": {"type": "string"}},
            "style": "form",
            "explode": True,
        },
        {
            "name": "limit",
            "in": "query",
            "required": False,
            "description": "Page size.",
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": DEFAULT_PAGE_SIZE},
        },
        _text("pageToken", "The `nextPageToken` of the previous page."),
    ]


def indexed_key_names(definition: JourneyDefinition) -> list[str]:
    """The `key.<name>` filters a journey answers: its search keys and its bound attributes (one index)."""
    bound = definition.metadata_bindings.attributes if definition.metadata_bindings is not None else ()
    return [*definition.search_keys, *(name for name, _ in bound)]


def list_operation(operation_id: str, tags: list[str], search_keys: Sequence[str] = ()) -> dict[str, Any]:
    return {
        "operationId": operation_id,
        "tags": tags,
        "summary": "List journeys, newest first",
        "description": (
            "Filters combine (all must match). `key.<name>` filters by a business key a journey declares "
            "(`spec.metadata.searchKeys`): an indexed lookup."
        ),
        "parameters": list_parameters(search_keys),
        "responses": {
            "200": json_response("One page of journeys.", ref("JourneyPage")),
            "400": problem_response("A filter or the page token is invalid."),
        },
    }
