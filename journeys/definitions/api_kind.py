"""What `kind: Api` (DSL 2.2.2, ADR-0004) forbids that a journey may use.

An Api runs its graph from start to a terminal state inside one HTTP request and keeps nothing: no journey id, no
row. So a state that pauses (it would need a stored journey to come back to) is refused at load, and so are the
spec blocks that only act on stored journeys: a lifecycle (start mode, cancelling, idempotent starts), hypermedia
links to a journey, business keys to index, history to redact.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from journeys.definitions.errors import DefinitionError
from journeys.definitions.fields import Block
from journeys.definitions.model import JourneyDefinition

KINDS = ("Journey", "Api")
PAUSING_TYPES = ("wait", "webhook", "timer")
STORED_ONLY_METADATA = ("searchKeys", "redact", "bindings")  # keys and tags to index, history to redact
JOURNEY_ONLY_BLOCKS = {
    "lifecycle": "start modes, cancelling and idempotent starts act on stored journeys",
    "httpSurface": "an Api answer has no journey to link to",
    "outcomes": "an Api answers with its output or a problem, not a JourneyOutcome",
}


def pausing_states(spec: Block) -> dict[str, str]:
    """State id -> type of the states that pause a run (read from the document: they may not parse)."""
    states = spec.data.get("states")
    if not isinstance(states, Mapping):
        return {}
    return {
        str(state_id): state["type"]
        for state_id, state in states.items()
        if isinstance(state, Mapping) and state.get("type") in PAUSING_TYPES
    }


def check_api_spec(spec: Block, pausing: Mapping[str, str]) -> None:
    """Report what a `kind: Api` may not declare, each at its own field."""
    for state_id, state_type in pausing.items():
        spec.ctx.report(
            ("spec", "states", state_id, "type"),
            f"a {state_type} state cannot be used in kind: Api (an Api answers in one request and keeps no journey "
            "to resume); use kind: Journey",
        )
    for key, why in JOURNEY_ONLY_BLOCKS.items():
        if spec.has(key):
            spec.report(key, f"spec.{key} applies to kind: Journey only ({why})")
    metadata = spec.data.get("metadata")
    for key in STORED_ONLY_METADATA:
        if isinstance(metadata, Mapping) and key in metadata:
            spec.ctx.report(("spec", "metadata", key), f"{key} acts on stored journeys; an Api stores none")


def route_clash_errors(definitions: Iterable[JourneyDefinition]) -> list[DefinitionError]:
    """An Api is served at `/apis/{name}` and at its `route.path`: two Apis may not claim one path."""
    claimed: dict[str, JourneyDefinition] = {d.name: d for d in definitions if d.kind == "Api"}
    errors: list[DefinitionError] = []
    for definition in list(claimed.values()):
        route = definition.http_bindings.route_path if definition.http_bindings else None
        segment = route.removeprefix("/apis/") if route else None
        if segment is None or segment == definition.name:
            continue
        holder = claimed.setdefault(segment, definition)
        if holder is not definition:
            message = f"route path {route} is already the path of the Api '{holder.name}' ({holder.source})"
            errors.append(DefinitionError(str(definition.source), None, "spec.bindings.http.route.path", message))
    return errors
