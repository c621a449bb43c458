"""The operations and schemas of one journey, as OpenAPI: start, its wait/webhook steps, and the shared reads.

`openapi_export` assembles them into a journey's own document or into the document of the whole API. The
operation ids that links point at differ between the two (a journey's document calls the status read
`paymentCallback_getStatus`, the whole API `getStatus`), so builders take them as an `OperationIds`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from journeys.contracts.journey_graph import advance_from
from journeys.contracts.naming import operation_id, schema_name
from journeys.contracts.openapi_components import (
    JSON,
    delivery_headers,
    delivery_problem_response,
    idempotency_key_parameter,
    journey_id_parameter,
    json_response,
    problem_response,
    ref,
    wait_seconds_parameter,
)
from journeys.contracts.openapi_starts import REPLAYED_HEADER, start_idempotency
from journeys.contracts.openapi_verification import (
    answer_content,
    busy_response,
    configuration_response,
    merge_content,
    rejection_responses,
    signed_body,
    verification_parameters,
)
from journeys.definitions.inbound_model import InboundSource
from journeys.definitions.model import ApiKeyValidateTask, ExternalInputState, JourneyDefinition


def steps_of(definition: JourneyDefinition) -> list[ExternalInputState]:
    """The journey's wait/webhook states, in definition order (then those in parallel branches): one step operation
    each."""
    states = (*definition.states.values(), *(s for scope in definition.scopes.values() for s in scope.values()))
    return [state for state in states if isinstance(state, ExternalInputState)]


@dataclass(frozen=True, slots=True)
class OperationIds:
    """The operation ids a journey's links point at, in the document being built."""

    status: str
    result: str
    history: str
    cancel: str | None
    steps: Mapping[str, str]

    def links(self) -> dict[str, Any]:
        """OpenAPI links from a response carrying `journeyId` to every operation on that journey.

        They let a client (and schemathesis' stateful phase) chain start -> step -> status/result/cancel.
        """
        targets = [self.status, self.result, self.history, *self.steps.values()]
        if self.cancel is not None:
            targets.append(self.cancel)
        return {
            target: {"operationId": target, "parameters": {"journeyId": "$response.body#/journeyId"}}
            for target in targets
        }


def _plain(value: Any) -> Any:
    """A definition's schema (read-only mappings, tuples) as plain JSON data, copied."""
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def _object_body(schema: Mapping[str, Any] | None) -> dict[str, Any]:
    """The start body: the input schema, narrowed to objects because the engine refuses anything else."""
    if schema is None:
        return {"type": "object"}
    plain = _plain(schema)
    return plain if plain.get("type") == "object" else {"type": "object", "allOf": [plain]}


def outcome_schema_name(definition: JourneyDefinition) -> str:
    return schema_name(definition.name, "Outcome")


def _outcome_ids(definition: JourneyDefinition) -> dict[str, Any]:
    """`outcomeId` narrowed to the ids the journey declares under `spec.outcomes` (nothing when it declares none)."""
    if not definition.outcomes:
        return {}
    return {"outcomeId": {"enum": [outcome.id for outcome in definition.outcomes]}}


def journey_schemas(definition: JourneyDefinition) -> dict[str, Any]:
    """The schema components declared by one journey: its start body, output, outcome and step bodies."""
    name = definition.name
    output = ref(schema_name(name, "Output")) if definition.output_schema is not None else {}
    start = definition.input_schema.raw if definition.input_schema is not None else None
    schemas: dict[str, Any] = {schema_name(name, "StartRequest"): _object_body(start)}
    if definition.output_schema is not None:
        schemas[schema_name(name, "Output")] = _plain(definition.output_schema.raw)
    schemas[outcome_schema_name(definition)] = {
        "description": f"The outcome of a {name} journey.",
        "allOf": [
            ref("JourneyOutcome"),
            {
                "type": "object",
                "properties": {
                    "journeyName": {"const": name},
                    "output": {"anyOf": [output, {"type": "null"}]} if output else {},
                    **_outcome_ids(definition),
                },
            },
        ],
    }
    for step in steps_of(definition):
        schemas[schema_name(name, step.id, "Request")] = _plain(step.input_schema.raw)
        if step.response_schema is not None:
            schemas[schema_name(name, step.id, "Response")] = {
                "description": f"The status after a submission to `{step.id}`, with the step's response fields.",
                "allOf": [ref("JourneyStatus"), _plain(step.response_schema.raw)],
            }
    return schemas


def _api_key_parameters(tasks: Iterable[ApiKeyValidateTask], *, required: bool) -> list[dict[str, Any]]:
    """The header or query parameter each API-key check reads; a check without `source` reads the profile's."""
    parameters: dict[tuple[str, str], dict[str, Any]] = {}
    for task in tasks:
        if task.source_location is None or task.source_name is None:
            continue
        parameters[(task.source_location, task.source_name)] = {
            "name": task.source_name,
            "in": task.source_location,
            "required": required,
            "description": f"The API key of profile `{task.profile}`.",
            "schema": {"type": "string"},
        }
    return list(parameters.values())


def start_operation(definition: JourneyDefinition, ids: OperationIds) -> dict[str, Any]:
    """`POST /journeys/{name}/start`: 202 for async journeys, else 200 with what the first advance can reach."""
    name = definition.name
    idempotency, retries = start_idempotency(definition)
    operation: dict[str, Any] = {
        "operationId": operation_id(name, "start"),
        "tags": [name],
        "summary": f"Start a new {name} journey",
    }
    if definition.start_mode == "async":
        operation["description"] = (
            "Accepts the journey and runs it in the background; poll its status or result." + retries
        )
        operation["parameters"] = [idempotency]
        success = {
            "202": {
                **json_response("Accepted: the journey runs in the background.", ref("JourneyStartResponse")),
                "headers": {
                    "Location": {"description": "The journey's status.", "schema": {"type": "string"}},
                    **REPLAYED_HEADER,
                },
                "links": ids.links(),
            }
        }
    else:
        first = advance_from(definition, definition.start)
        reachable = []
        if first.pauses:
            reachable.append(ref("JourneyStatus"))
        if first.can_end or not first.pauses:  # a journey that cannot pause ends, if only at the state limit
            reachable.append(ref(outcome_schema_name(definition)))
        operation["description"] = (
            "Runs the journey until it waits at a step (the answer is its status) or ends (its outcome)." + retries
        )
        operation["parameters"] = [idempotency, *_api_key_parameters(first.api_key_tasks, required=False)]
        schema = reachable[0] if len(reachable) == 1 else {"oneOf": reachable}
        answer = json_response("The journey waits at a step, or has ended.", schema)
        success = {"200": {**answer, "headers": REPLAYED_HEADER, "links": ids.links()}}
    operation["requestBody"] = {
        "required": True,
        "content": {JSON: {"schema": ref(schema_name(name, "StartRequest"))}},
    }
    operation["responses"] = {
        **success,
        "400": problem_response(
            "The body is not JSON or does not match the journey's input schema"
            + (", or gives no idempotency key." if retries else ", or the Idempotency-Key header is unusable.")
        ),
        "404": problem_response("This server has no journey definition of that name."),
        "422": problem_response(
            "The idempotency key was used by an earlier start with a different body (`idempotency-key-reused`); "
            "nothing was started."
        ),
    }
    keyed = [] if definition.start_mode == "async" else [p for p in first.pauses if p.source]
    if keyed:
        steps = ", ".join(f"`{step.id}` (source `{step.source}`)" for step in keyed)
        operation["responses"]["409"] = problem_response(
            f"The journey would wait at {steps} for a correlation key another waiting journey holds "
            "(`correlation-key-in-use`); nothing was started."
        )
    operation["responses"]["413"] = problem_response("The body is too large.")
    return operation


def step_operation(
    definition: JourneyDefinition,
    step: ExternalInputState,
    operation_id: str,
    ids: OperationIds,
    source: InboundSource | None = None,
) -> dict[str, Any]:
    """`POST /journeys/{journeyId}/steps/{stepId}`: the step's input in, the status (and response fields) out.

    The keys the submission's API-key checks read are parameters; required only when a failed check can bring
    the journey back to the step, because only then is a request without one refused (401) rather than run.
    A step fed by an inbound source (`source`, when it is loaded) is verified like a delivery to the source:
    its headers are required parameters, a failed check is 401 (or the source's 403), and a delivery this
    journey does not wait for here (its correlation key names another, or none) is routed by its key like one
    to the source's URL and gets the source's answer, rather than a refusal.
    """
    advance = advance_from(definition, step.next, definition.step_scopes.get(step.id, ""))
    guarded = advance.can_refuse(step)
    sourced = step.source is not None
    response = schema_name(definition.name, step.id, "Response") if step.response_schema else "JourneyStatus"
    responses: dict[str, Any] = {
        "200": {
            **json_response("Accepted; the status after the advance.", ref(response)),
            "headers": delivery_headers(),
            "links": ids.links(),
        },
        "400": delivery_problem_response("The body cannot be read, or it does not match the step's input schema."),
    }
    if sourced:
        responses["200"]["description"] = (
            "Applied: the journey's status after the advance. A retry is answered exactly as the first delivery was."
        )
        status, content = answer_content(source)
        merge_content(
            responses,
            status,
            "The source's answer, for a delivery not applied to this journey here: one whose correlation key is "
            "not the one the journey waits with is routed by its key as on the source's URL (applied to the "
            "journey waiting for it, buffered, late or unmatched, as the verdict header says).",
            content,
        )
        responses.update(rejection_responses(source, in_graph_auth=guarded))
    elif guarded:
        responses["401"] = delivery_problem_response("The API key is missing or wrong; nothing was stored.")
    responses["404"] = problem_response("No journey has this id.")
    if sourced:
        responses["409"] = delivery_problem_response("Another request advanced the journey first; nothing was applied.")
    else:
        responses["409"] = delivery_problem_response(
            "The journey is not waiting at this step (not yet, any more, or another submission won); a repeat of "
            "the submission that was applied is answered 200 with its first answer instead."
        )
    responses["413"] = problem_response("The body is too large.")
    if sourced:
        responses["500"] = configuration_response(source)
        responses["503"] = busy_response()
    description = f"Submits the input of the `{step.type}` step `{step.id}` of a {definition.name} journey."
    if sourced:
        description += (
            f" Deliveries are verified by inbound source `{step.source}` (like those to `POST /inbound/{step.source}`)"
            " and deduplicated in its scope: a retry is answered exactly as the first delivery was."
        )
    else:
        description += (
            " A repeat of the applied submission (the same body bytes with the same `Idempotency-Key`, or both"
            " without one) is answered 200 with the first answer and changes nothing."
        )
    if guarded:
        description += " A submission without a valid API key is refused with 401 and changes nothing."
    parameters = [journey_id_parameter(), *verification_parameters(source)]
    parameters += _api_key_parameters(advance.api_key_tasks, required=guarded)
    if not sourced:
        parameters.append(idempotency_key_parameter())
    body = signed_body(ref(schema_name(definition.name, step.id, "Request")), source)
    return {
        "operationId": operation_id,
        "tags": [definition.name],
        "summary": f"Submit step {step.id}",
        "description": description,
        "parameters": _unique(parameters),
        "requestBody": {"required": True, "content": {JSON: {"schema": body}}},
        "responses": responses,
    }


def _unique(parameters: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The first parameter of each (location, name); header names compare case-insensitively."""
    seen: set[tuple[str, str]] = set()
    unique = []
    for parameter in parameters:
        location = parameter.get("in", "$ref")
        name = parameter.get("name", parameter.get("$ref", ""))
        key = (location, name.lower() if location == "header" else name)
        if key not in seen:
            seen.add(key)
            unique.append(parameter)
    return unique


def status_operation(operation_id: str, tags: list[str]) -> dict[str, Any]:
    return {
        "operationId": operation_id,
        "tags": tags,
        "summary": "Get the status of a journey",
        "parameters": [journey_id_parameter()],
        "responses": {
            "200": json_response("The journey's status.", ref("JourneyStatus")),
            "404": problem_response("No journey has this id."),
        },
    }


def result_operation(operation_id: str, tags: list[str], outcome: dict[str, Any]) -> dict[str, Any]:
    return {
        "operationId": operation_id,
        "tags": tags,
        "summary": "Get the outcome of an ended journey",
        "parameters": [journey_id_parameter(), wait_seconds_parameter()],
        "responses": {
            "200": json_response("The journey has ended: its outcome.", outcome),
            "400": problem_response("`waitSeconds` is not a number in range."),
            "404": problem_response("No journey has this id."),
            "409": problem_response("The journey is still running."),
        },
    }


def history_operation(operation_id: str, tags: list[str]) -> dict[str, Any]:
    return {
        "operationId": operation_id,
        "tags": tags,
        "summary": "Get the transitions of a journey, oldest first",
        "parameters": [journey_id_parameter()],
        "responses": {
            "200": json_response("One item per committed advance.", ref("JourneyHistory")),
            "404": problem_response("No journey has this id."),
        },
    }


def cancel_operation(operation_id: str, tags: list[str], outcome: dict[str, Any]) -> dict[str, Any]:
    return {
        "operationId": operation_id,
        "tags": tags,
        "summary": "Cancel a running journey",
        "description": (
            "Ends a running journey `Failed` with the error code `JOURNEY_CANCELLED`; an ended journey is left "
            "as it is and its outcome returned."
        ),
        "parameters": [journey_id_parameter()],
        "responses": {
            "200": json_response("The outcome of the (now) ended journey.", outcome),
            "404": problem_response("No journey has this id."),
            "409": problem_response("The journey is not cancellable, or another request advanced it first."),
        },
    }
