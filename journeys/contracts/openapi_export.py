"""Generate OpenAPI 3.1 documents from journey definitions: one per journey, and one for the whole API.

The documents are derived, never written by hand: request bodies are the definitions' own JSON Schemas, the
responses each operation can give follow from the state graph (`journey_graph`), the envelopes come from
`openapi_components`, and the inbound surface from the loaded sources: each source's URL (`openapi_inbound`),
what verification adds to a webhook step (`openapi_verification`) and the inbound log (`openapi_inbound_log`).
Every document is checked with openapi-spec-validator before it is returned, so neither the CLI nor the server
can hand out an invalid contract.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

from openapi_spec_validator import OpenAPIV31SpecValidator, validate

from journeys.contracts.inbound_contract import fed_steps
from journeys.contracts.journey_graph import advance_from
from journeys.contracts.naming import operation_id
from journeys.contracts.openapi_apis import api_paths, api_schemas
from journeys.contracts.openapi_components import (
    JSON,
    add_server_responses,
    page_schema,
    ref,
    shared_headers,
    shared_parameters,
    shared_schemas,
)
from journeys.contracts.openapi_events import EVENTS_PATH, events_operation, events_schemas
from journeys.contracts.openapi_inbound import INBOUND_TAG, source_operation, source_path
from journeys.contracts.openapi_inbound_log import GET_DELIVERY, log_paths, log_schemas
from journeys.contracts.openapi_listing import indexed_key_names, list_operation
from journeys.contracts.openapi_notifications import (
    NOTIFICATIONS_PATH,
    notifications_operation,
    notifications_schemas,
)
from journeys.contracts.openapi_operations import (
    OperationIds,
    cancel_operation,
    history_operation,
    journey_schemas,
    outcome_schema_name,
    result_operation,
    start_operation,
    status_operation,
    step_operation,
    steps_of,
)
from journeys.contracts.openapi_operator import operator_paths, operator_schemas
from journeys.contracts.openapi_schedules import SCHEDULES_PATH, schedules_operation, schedules_schemas
from journeys.contracts.openapi_security import needs_scope, open_to_senders, security_schemes
from journeys.contracts.openapi_verification import MIDTRANS_SIGNED_BODY, midtrans_signed_body_schema, receipt_schema
from journeys.contracts.openapi_versions import VERSIONS_PATH, versions_operation, versions_schemas
from journeys.definitions.inbound_model import InboundSource
from journeys.definitions.model import ExternalInputState, JourneyDefinition
from journeys.http_api import API_PREFIX, CANCEL, OPERATOR, READ, start_scope

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
    add_server_responses(paths)
    document = {
        "openapi": "3.1.0",
        "info": info,
        "servers": [{"url": API_PREFIX, "description": "The Journeys API, on the host that serves this document."}],
        "tags": tags,
        "paths": paths,
        "components": {
            "schemas": {**shared_schemas(), **schemas},
            "parameters": shared_parameters(),
            "headers": shared_headers(),
            "securitySchemes": security_schemes(),
        },
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


def _inbound_schemas(sources: list[InboundSource | None]) -> dict[str, Any]:
    """The schemas the inbound parts of a document refer to: the default receipt, Midtrans' signed fields."""
    schemas: dict[str, Any] = {}
    if any(source is None or source.answer.body is None for source in sources):
        schemas["InboundReceipt"] = receipt_schema()
    if any(source is not None and source.verify.preset == "midtrans" for source in sources):
        schemas[MIDTRANS_SIGNED_BODY] = midtrans_signed_body_schema()
    return schemas


def _source_of(step: ExternalInputState, sources: Mapping[str, InboundSource]) -> InboundSource | None:
    return sources.get(step.source) if step.source else None


def export_openapi(
    definition: JourneyDefinition, sources: Mapping[str, InboundSource] | None = None
) -> dict[str, Any]:
    """The document of one journey: its start and step operations and the reads of its instances.

    `sources` are the loaded inbound sources: a webhook step fed by one documents its verification. A step
    whose source is not among them documents both refusals (401, 403) and no headers.

    Raises openapi_spec_validator's OpenAPIValidationError if the result is not valid OpenAPI 3.1.
    """
    if definition.kind == "Api":
        return _api_document(definition)
    sources = sources or {}
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
        _start_path(definition): {"post": needs_scope(start_operation(definition, ids), start_scope(name))},
        STATUS_PATH: {"get": needs_scope(status_operation(ids.status, tags), READ)},
    }
    for step in steps:
        operation = step_operation(definition, step, ids.steps[step.id], ids, _source_of(step, sources))
        paths[_step_path(step.id)] = {"post": open_to_senders(operation)}
    paths[RESULT_PATH] = {"get": needs_scope(result_operation(ids.result, tags, outcome), READ)}
    if ids.cancel is not None:
        paths[CANCEL_PATH] = {"post": needs_scope(cancel_operation(ids.cancel, tags, outcome), CANCEL)}
    paths[HISTORY_PATH] = {"get": needs_scope(history_operation(ids.history, tags), READ)}
    description = (
        f"{definition.description or f'The {name} journey.'}\n\n"
        f"Generated from `{definition.source.name}` by `journeys export openapi`: edit the definition, not this "
        "document. Every error response is an RFC 9457 problem document (`application/problem+json`)."
    )
    info = {"title": f"Journeys {name} API", "version": definition.version, "description": description}
    used = [_source_of(step, sources) for step in steps if step.source]
    schemas = {**journey_schemas(definition), **_inbound_schemas(used)}
    return _document(info, [_journey_tag(definition)], paths, schemas)


def _parameter_key(parameter: Mapping[str, Any]) -> tuple[str, str]:
    location, name = parameter.get("in", "$ref"), parameter.get("name", parameter.get("$ref", ""))
    return location, name.lower() if location == "header" else name


def _merged_steps(step_id: str, operations: list[dict[str, Any]]) -> dict[str, Any]:
    """One operation for a step id that several journeys share: they are served by the same path.

    The server checks a body against the step schema of the journey the id belongs to, so a body may be any of
    theirs: `anyOf`, because `oneOf` would refuse a body that two permissive schemas both accept. The same goes
    for what each answers.
    """
    responses: dict[str, Any] = {}
    links: dict[str, Any] = {}
    for operation in operations:
        for status, response in operation["responses"].items():
            if status not in responses:
                responses[status] = copy.deepcopy(response)
                continue
            responses[status]["description"] = _joined(responses[status]["description"], response["description"])
            if "content" in response and response["content"] != responses[status].get("content"):
                merged = responses[status].setdefault("content", {})
                for media_type, entry in response["content"].items():
                    schemas = _alternatives(merged.get(media_type, {}).get("schema"))
                    for schema in _alternatives(entry["schema"]):
                        if schema not in schemas:
                            schemas.append(schema)
                    merged[media_type] = {"schema": schemas[0] if len(schemas) == 1 else {"anyOf": schemas}}
        links.update(operation["responses"]["200"]["links"])
    responses["200"]["links"] = links
    bodies: list[Any] = []
    for operation in operations:
        body = operation["requestBody"]["content"][JSON]["schema"]
        if body not in bodies:
            bodies.append(body)
    parameters: dict[tuple[str, str], dict[str, Any]] = {}
    for operation in operations:
        for parameter in operation["parameters"]:
            kept = parameters.setdefault(_parameter_key(parameter), dict(parameter))
            if "description" in kept and parameter is not kept:
                kept["description"] = _joined(kept["description"], parameter["description"])
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
            "schema of the journey the id belongs to, and the step's own rules apply (see each journey's "
            "document): verification by its inbound source, API keys, idempotency."
        ),
        "parameters": list(parameters.values()),
        "requestBody": {"required": True, "content": {JSON: {"schema": {"anyOf": bodies}}}},
        "responses": dict(sorted(responses.items())),
    }


def _joined(first: str, second: str) -> str:
    """Two journeys' descriptions of the same answer or parameter, each once."""
    return first if second in first else f"{first} Or: {second}"


def _alternatives(schema: Any) -> list[Any]:
    if schema is None:
        return []
    if isinstance(schema, Mapping) and list(schema) == ["anyOf"]:
        return list(schema["anyOf"])
    return [schema]


def export_api_openapi(
    definitions: Mapping[str, JourneyDefinition], sources: Mapping[str, InboundSource] | None = None
) -> dict[str, Any]:
    """The document of the whole API as served with `definitions` and `sources` loaded: every journey's start
    and steps, the list, status, result, history and cancel operations once for all journeys, each source's
    `POST /inbound/{source}` and the inbound log.

    Raises openapi_spec_validator's OpenAPIValidationError if the result is not valid OpenAPI 3.1.
    """
    sources = sources or {}
    apis = [definitions[name] for name in sorted(definitions) if definitions[name].kind == "Api"]
    definitions = {name: definition for name, definition in definitions.items() if definition.kind != "Api"}
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
    keys = sorted({name for definition in ordered for name in indexed_key_names(definition)})
    paths: dict[str, Any] = {"/journeys": {"get": needs_scope(list_operation("listJourneys", tags, keys), READ)}}
    for definition in ordered:
        start = start_operation(definition, ids_of(definition))
        paths[_start_path(definition)] = {"post": needs_scope(start, start_scope(definition.name))}
    paths[STATUS_PATH] = {"get": needs_scope(status_operation("getStatus", tags), READ)}
    for step_id, found in owners.items():
        operations = [
            step_operation(d, step, step_ids[step_id], ids_of(d), _source_of(step, sources)) for d, step in found
        ]
        merged = operations[0] if len(operations) == 1 else _merged_steps(step_id, operations)
        _link_to_delivery(merged)
        paths[_step_path(step_id)] = {"post": open_to_senders(merged)}
    paths[RESULT_PATH] = {"get": needs_scope(result_operation("getResult", tags, outcome), READ)}
    paths[CANCEL_PATH] = {"post": needs_scope(cancel_operation("cancel", tags, outcome), CANCEL)}
    paths[HISTORY_PATH] = {"get": needs_scope(history_operation("getHistory", tags), READ)}
    paths[NOTIFICATIONS_PATH] = {"get": needs_scope(notifications_operation(tags), READ)}
    paths[EVENTS_PATH] = {"get": needs_scope(events_operation(tags), READ)}
    paths[SCHEDULES_PATH] = {"get": needs_scope(schedules_operation(tags, sorted(definitions)), READ)}
    paths[VERSIONS_PATH] = {"get": needs_scope(versions_operation(tags, sorted(definitions)), READ)}
    for path, operations in operator_paths(tags, sorted(definitions)).items():
        paths[path] = {method: needs_scope(operation, OPERATOR) for method, operation in operations.items()}
    paths.update(log_paths())
    paths.update(api_paths(apis))
    for name in sorted(sources):
        source = sources[name]
        guarded = any(advance_from(d, step.next).can_refuse(step) for d, step in fed_steps(definitions, name))
        operation = source_operation(source, definitions, in_graph_auth=guarded)
        _link_to_delivery(operation)
        paths[source_path(source)] = {"post": open_to_senders(operation)}

    schemas: dict[str, Any] = {"JourneyPage": page_schema()}
    for definition in ordered:
        schemas.update(journey_schemas(definition))
    used = [*sources.values(), *(_source_of(s, sources) for d in ordered for s in steps_of(d) if s.source)]
    schemas.update(_inbound_schemas(used))
    schemas.update(log_schemas())
    schemas.update(versions_schemas())
    schemas.update(notifications_schemas())
    schemas.update(events_schemas())
    schemas.update(schedules_schemas())
    schemas.update(operator_schemas())
    schemas.update(api_schemas(apis))
    info = {
        "title": "Journeys API",
        "version": API_VERSION,
        "description": (
            "Start journeys, submit their steps, read their status, outcome and history; receive gateway "
            "deliveries on the fixed URL of each inbound source and read the inbound log. Generated from the "
            "journey and source definitions this server has loaded. Every error response is an RFC 9457 problem "
            "document (`application/problem+json`)."
        ),
    }
    journey_tags = [
        {"name": API_TAG, "description": "Operations on journeys of any definition."},
        {"name": INBOUND_TAG, "description": "Gateway deliveries to inbound sources, and the inbound log."},
    ]
    return _document(info, journey_tags + [_journey_tag(d) for d in [*ordered, *apis]], paths, schemas)


def _api_document(definition: JourneyDefinition) -> dict[str, Any]:
    """The document of one `kind: Api`: its operation (at each of its paths), nothing about journeys."""
    description = (
        f"{definition.description or f'The {definition.name} API.'}\n\n"
        f"Generated from `{definition.source.name}` by `journeys export openapi`: edit the definition, not this "
        "document."
    )
    info = {"title": f"{definition.name} API", "version": definition.version, "description": description}
    return _document(info, [_journey_tag(definition)], api_paths([definition]), api_schemas([definition]))


def _link_to_delivery(operation: dict[str, Any]) -> None:
    """Every 2xx answer to a delivery names its log entry: link it, so clients (and fuzzers) can follow."""
    link = {"operationId": GET_DELIVERY, "parameters": {"deliveryId": "$response.header.Journeys-Delivery-Id"}}
    for status, response in operation["responses"].items():
        if status.startswith("2"):
            response["links"] = {**response.get("links", {}), GET_DELIVERY: link}
