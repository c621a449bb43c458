"""`kind: Api` endpoints as OpenAPI (ADR-0004 "OpenAPI export", ADR-0016): `POST /apis/{name}` (and the path of its
`route`), the request body its input schema, and one response per status the Api can answer with.

The statuses follow from the definition: the phase defaults and every `apiResponses` rule with a literal `status`
(success answers with the output as `application/json`, failure with a problem as `application/problem+json`; a
status both can give lists both). A `statusExpr` can give any status, so an Api with one also documents `default`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from journeys.contracts.naming import operation_id, schema_name
from journeys.contracts.openapi_components import JSON, problem_response, ref
from journeys.contracts.openapi_security import needs_scope
from journeys.definitions.http_bindings import ApiResponses
from journeys.definitions.model import JourneyDefinition
from journeys.http_api import PROBLEM_CONTENT_TYPE, start_scope

API_PROBLEM = "ApiProblem"


def api_paths_of(definition: JourneyDefinition) -> list[str]:
    """The paths (relative to /api/v1) an Api is served at: its name's, then its route's."""
    paths = [f"/apis/{definition.name}"]
    route = definition.http_bindings.route_path if definition.http_bindings else None
    if route is not None and route not in paths:
        paths.append(route)
    return paths


def _mapping(definition: JourneyDefinition) -> ApiResponses:
    return definition.http_bindings.api_responses if definition.http_bindings else ApiResponses()


def _responses(definition: JourneyDefinition) -> dict[str, Any]:
    mapping = _mapping(definition)
    output = ref(schema_name(definition.name, "Output")) if definition.output_schema is not None else {}
    succeeded = {mapping.succeeded} | {r.status for r in mapping.rules if r.phase == "SUCCEEDED" and r.status}
    failed = {mapping.failed or 500} | {r.status for r in mapping.rules if r.phase == "FAILED" and r.status}
    responses: dict[str, Any] = {}
    for status in sorted(succeeded | failed):
        content: dict[str, Any] = {}
        if status in succeeded:
            content[JSON] = {"schema": output}
        if status in failed:
            content[PROBLEM_CONTENT_TYPE] = {"schema": ref(API_PROBLEM)}
        kinds = " or ".join(k for k, on in (("the output", status in succeeded), ("a failure", status in failed)) if on)
        responses[str(status)] = {"description": f"The Api ended: {kinds}.", "content": content}
    if any(rule.status_expr is not None for rule in mapping.rules):
        responses["default"] = {
            "description": "A status an apiResponses statusExpr chose: the output, or a failure.",
            "content": {JSON: {"schema": output}, PROBLEM_CONTENT_TYPE: {"schema": ref(API_PROBLEM)}},
        }
    responses.setdefault("400", problem_response("The body is not JSON or does not match the Api's input schema."))
    return responses


def api_operation(definition: JourneyDefinition, action: str) -> dict[str, Any]:
    name = definition.name
    operation = {
        "operationId": operation_id(name, action),
        "tags": [name],
        "summary": f"Call the {name} API",
        "description": (
            f"{definition.description or f'The {name} API.'} Runs in this request and answers with the result; "
            "nothing is stored and there is no journey to read back."
        ),
        "requestBody": {"required": True, "content": {JSON: {"schema": ref(schema_name(name, "Request"))}}},
        "responses": _responses(definition),
    }
    return needs_scope(operation, start_scope(name))


def api_paths(apis: Iterable[JourneyDefinition]) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for definition in apis:
        for index, path in enumerate(api_paths_of(definition)):
            paths[path] = {"post": api_operation(definition, "invoke" if index == 0 else "invokeByRoute")}
    return paths


def api_schemas(apis: Iterable[JourneyDefinition]) -> dict[str, Any]:
    """Each Api's request and output schemas, and the problem its failures answer with."""
    schemas: dict[str, Any] = {}
    for definition in apis:
        request = dict(definition.input_schema.raw) if definition.input_schema is not None else {"type": "object"}
        schemas[schema_name(definition.name, "Request")] = request
        if definition.output_schema is not None:
            schemas[schema_name(definition.name, "Output")] = dict(definition.output_schema.raw)
    if schemas:
        schemas[API_PROBLEM] = {
            "type": "object",
            "description": "An Api's failure (RFC 9457): `type` is the fail state's errorCode, `title` its reason.",
            "required": ["type", "title", "status"],
            "properties": {
                "type": {"type": "string"},
                "title": {"type": "string"},
                "detail": {"type": "string"},
                "status": {"type": "integer", "minimum": 200, "maximum": 599},
                "instance": {"type": "string"},
            },
        }
    return schemas
