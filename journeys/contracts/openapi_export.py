"""Generate OpenAPI 3.1 documents from journey definitions: one per journey, and one for the whole API.

The documents are derived, never written by hand: request bodies are the definitions' own JSON Schemas, the
responses each operation can give follow from the state graph (`journey_graph`), and the envelopes come from
`openapi_components`. Every document is checked with openapi-spec-validator before it is returned, so neither
the CLI nor the server can hand out an invalid contract.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from openapi_spec_validator import OpenAPIV31SpecValidator, validate

from journeys.contracts.naming import operation_id
from journeys.contracts.openapi_components import JSON, page_schema, ref, shared_parameters, shared_schemas
from journeys.contracts.openapi_operations import (
    OperationIds,
    cancel_operation,
    history_operation,
    journey_schemas,
    list_operation,
    outcome_schema_name,
    result_operation,
    start_operation,
    status_operation,
    step_operation,
    steps_of,
)
from journeys.definitions.model import ExternalInputState, JourneyDefinition
from journeys.server.representations import API_PREFIX

API_TAG = "journeys"
API_VERSION = "1"  # the version of the HTTP API (`/api/v1`), not of any journey

STATUS_PATH = "/journeys/{journeyId}"
RESULT_PATH = "/journeys/{journeyId}/result"
HISTORY_PATH = "/journeys/{journeyId}/history"
CANCEL_PATH = "/journeys/{journeyId}/steps/cancel"


def _start_path(definition: JourneyDefinition) -> str:
    return f"/journeys/{definition.name}/start"


def _step_path(step_id: str) -> str:
    return f"/journeys/{{journeyId}}/steps/{step_id}"


def _document(
    info: dict[str, Any], tags: list[dict[str, Any]], paths: dict[str, Any], schemas: dict[str, Any]
) -> dict[str, Any]:
    document = {
        "openapi": "3.1.0",
        "info": info,
        "servers": [{"url": API_PREFIX, "description": "The Journeys API, on the host that serves this document."}],
        "tags": tags,
        "paths": paths,
        "components": {"schemas": {**shared_schemas(), **schemas}, "parameters": shared_parameters()},
    }
    # Plain JSON data: no shared sub-objects (YAML would write anchors), no YAML-only scalars from definitions.
    plain: dict[str, Any] = json.loads(json.dumps(document, default=str))
    validate(plain, cls=OpenAPIV31SpecValidator)
    return plain


def _journey_tag(definition: JourneyDefinition) -> dict[str, Any]:
    tag = {"name": definition.name}
    if definition.description:
        tag["description"] = definition.description
    return tag


def export_openapi(definition: JourneyDefinition) -> dict[str, Any]:
    """The document of one journey: its start and step operations and the reads of its instances.

    Raises openapi_spec_validator's OpenAPIValidationError if the result is not valid OpenAPI 3.1.
    """
    name = definition.name
    steps = steps_of(definition)
    ids = OperationIds(
        status=operation_id(name, "getStatus"),
        result=operation_id(name, "getResult"),
        history=operation_id(name, "getHistory"),
        cancel=operation_id(name, "cancel") if definition.cancellable else None,
        steps={step.id: operation_id(name, step.id) for step in steps},
    )
    tags = [name]
    outcome = ref(outcome_schema_name(definition))
    paths: dict[str, Any] = {
        _start_path(definition): {"post": start_operation(definition, ids)},
        STATUS_PATH: {"get": status_operation(ids.status, tags)},
    }
    for step in steps:
        paths[_step_path(step.id)] = {"post": step_operation(definition, step, ids.steps[step.id], ids)}
    paths[RESULT_PATH] = {"get": result_operation(ids.result, tags, outcome)}
    if ids.cancel is not None:
        paths[CANCEL_PATH] = {"post": cancel_operation(ids.cancel, tags, outcome)}
    paths[HISTORY_PATH] = {"get": history_operation(ids.history, tags)}
    description = (
        f"{definition.description or f'The {name} journey.'}\n\n"
        f"Generated from `{definition.source.name}` by `journeys export openapi`: edit the definition, not this "
        "document. Every error response is an RFC 9457 problem document (`application/problem+json`)."
    )
    info = {"title": f"Journeys {name} API", "version": definition.version, "description": description}
    return _document(info, [_journey_tag(definition)], paths, journey_schemas(definition))


def _parameter_key(parameter: Mapping[str, Any]) -> tuple[str, str]:
    return parameter.get("in", "$ref"), parameter.get("name", parameter.get("$ref", ""))


def _merged_steps(step_id: str, operations: list[dict[str, Any]]) -> dict[str, Any]:
    """One operation for a step id that several journeys share: they are served by the same path.

    The server checks a body against the step schema of the journey the id belongs to, so a body may be any of
    theirs: `anyOf`, because `oneOf` would refuse a body that two permissive schemas both accept.
    """
    responses: dict[str, Any] = {}
    links: dict[str, Any] = {}
    for operation in operations:
        for status, response in operation["responses"].items():
            responses.setdefault(status, response)
        links.update(operation["responses"]["200"]["links"])
    bodies = [operation["requestBody"]["content"][JSON]["schema"] for operation in operations]
    results = [operation["responses"]["200"]["content"][JSON]["schema"] for operation in operations]
    responses["200"] = {**responses["200"], "content": {JSON: {"schema": {"anyOf": results}}}, "links": links}
    parameters: dict[tuple[str, str], dict[str, Any]] = {}
    for operation in operations:
        for parameter in operation["parameters"]:
            parameters.setdefault(_parameter_key(parameter), dict(parameter))
    for key, parameter in parameters.items():
        if parameter.get("required"):
            # Required only if every journey's step asks for it: the others accept requests without it.
            parameter["required"] = all(
                any(_parameter_key(p) == key and p.get("required") for p in operation["parameters"])
                for operation in operations
            )
    journeys = [operation["tags"][0] for operation in operations]
    return {
        "operationId": f"submitStep_{step_id}",
        "tags": journeys,
        "summary": f"Submit step {step_id}",
        "description": (
            f"The step `{step_id}` of the journeys {', '.join(journeys)}: the body must match the step's input "
            "schema of the journey the id belongs to."
        ),
        "parameters": list(parameters.values()),
        "requestBody": {"required": True, "content": {JSON: {"schema": {"anyOf": bodies}}}},
        "responses": responses,
    }


def export_api_openapi(definitions: Mapping[str, JourneyDefinition]) -> dict[str, Any]:
    """The document of the whole API as served with `definitions` loaded: every journey's start and steps, and
    the list, status, result, history and cancel operations once for all journeys.

    Raises openapi_spec_validator's OpenAPIValidationError if the result is not valid OpenAPI 3.1.
    """
    ordered = [definitions[name] for name in sorted(definitions)]
    owners: dict[str, list[tuple[JourneyDefinition, ExternalInputState]]] = {}
    for definition in ordered:
        for step in steps_of(definition):
            owners.setdefault(step.id, []).append((definition, step))
    step_ids = {
        step_id: operation_id(found[0][0].name, step_id) if len(found) == 1 else f"submitStep_{step_id}"
        for step_id, found in owners.items()
    }

    def ids_of(definition: JourneyDefinition) -> OperationIds:
        return OperationIds(
            status="getStatus",
            result="getResult",
            history="getHistory",
            cancel="cancel" if definition.cancellable else None,
            steps={step.id: step_ids[step.id] for step in steps_of(definition)},
        )

    outcomes = [ref(outcome_schema_name(definition)) for definition in ordered] or [ref("JourneyOutcome")]
    outcome = outcomes[0] if len(outcomes) == 1 else {"oneOf": outcomes}
    tags = [API_TAG]
    paths: dict[str, Any] = {"/journeys": {"get": list_operation("listJourneys", tags)}}
    for definition in ordered:
        paths[_start_path(definition)] = {"post": start_operation(definition, ids_of(definition))}
    paths[STATUS_PATH] = {"get": status_operation("getStatus", tags)}
    for step_id, found in owners.items():
        operations = [step_operation(d, step, step_ids[step_id], ids_of(d)) for d, step in found]
        merged = operations[0] if len(operations) == 1 else _merged_steps(step_id, operations)
        paths[_step_path(step_id)] = {"post": merged}
    paths[RESULT_PATH] = {"get": result_operation("getResult", tags, outcome)}
    paths[CANCEL_PATH] = {"post": cancel_operation("cancel", tags, outcome)}
    paths[HISTORY_PATH] = {"get": history_operation("getHistory", tags)}

    schemas: dict[str, Any] = {"JourneyPage": page_schema()}
    for definition in ordered:
        schemas.update(journey_schemas(definition))
    info = {
        "title": "Journeys API",
        "version": API_VERSION,
        "description": (
            "Start journeys, submit their steps, read their status, outcome and history. Generated from the "
            "journey definitions this server has loaded. Every error response is an RFC 9457 problem document "
            "(`application/problem+json`)."
        ),
    }
    journey_tags = [{"name": API_TAG, "description": "Operations on journeys of any definition."}]
    return _document(info, journey_tags + [_journey_tag(d) for d in ordered], paths, schemas)
