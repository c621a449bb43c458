"""Export a journey's client workflows as an Arazzo 1.0.1 document, derived from its state graph.

One workflow per path from `spec.start` to an end state (`journey_paths`): start the journey, submit each
external-input step of the path in order, read the result. The request bodies are workflow inputs
(`startRequest`, `<stepId>Payload`) whose defaults steer the journey along the path (`steering`), made to
look like real deliveries (`arazzo_bodies`); keys that the journey's `apiKeyValidate` tasks read are inputs too
(`X-Webhook-Secret` -> `webhookSecret`), without a default: secrets do not belong in a published document.

A step fed by an inbound source carries `x-journeys-verification` (the source, its preset and the preset's
settings, and the input holding the secret, `<source>Secret`): a `shared-secret`/`token` secret is sent as
its header, which any runner can do; a signature (`stripe`, `standard-webhooks`, `hmac`, `midtrans`) covers
the exact bytes sent and usually the time, so the contract runner makes it (`delivery_signing`).

Criteria are written for arazzo-runner as well as for the specification: one plain comparison per
criterion, no object-form `type`, body values in dot form (`$response.body.phase == 'Running'`), which
the runner evaluates faithfully (see `journeys.contracts.contract_runner`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from journeys.contracts.arazzo_bodies import personalised
from journeys.contracts.inbound_contract import (
    SECRET_HEADER_PRESETS,
    VERIFICATION_EXTENSION,
    secret_input_name,
    signature_extension,
    verification_headers,
)
from journeys.contracts.journey_paths import journey_paths
from journeys.contracts.naming import camel_name, input_name, operation_id
from journeys.contracts.plain_data import plain
from journeys.contracts.steering import WRONG_KEY, AuthParameter, Call, Plan, Steering
from journeys.definitions.inbound_model import InboundSource
from journeys.definitions.model import ExternalInputState, FailState, JourneyDefinition, SucceedState

ARAZZO_VERSION = "1.0.1"
START_STEP = "startJourney"
RESULT_STEP = "getResult"
JOURNEY_ID = f"$steps.{START_STEP}.outputs.journeyId"
ASYNC_RESULT_WAIT_SECONDS = 30  # an async start returns before the journey ends: long-poll the result

# A string criterion literal the runner parses back unchanged: no quotes, no comparison characters.
_SAFE_LITERAL = re.compile(r"[\w.:/@ -]*")


def export_arazzo(
    definition: JourneyDefinition,
    *,
    openapi_url: str | None = None,
    sources: Mapping[str, InboundSource] | None = None,
) -> dict[str, Any]:
    """The Arazzo document; `openapi_url` locates the journey's OpenAPI document relative to where this
    document is written (default: `../openapi/<name>.openapi.yaml`, for a document in `arazzo/`). `sources`
    are the inbound sources the journey's webhook steps name: how their deliveries are verified."""
    name = definition.name
    sources = sources or {}
    steering = Steering(definition)
    # A path through a `timer` state waits for time to pass, which an HTTP contract cannot make happen.
    untimed = [p for p in journey_paths(definition) if not any(definition.states[s].type == "timer" for s in p.states)]
    if not untimed:
        raise ValueError(
            f"every path of {name} waits at a timer state, which an HTTP workflow cannot make pass: "
            "test it with `journeys test` scenarios instead"
        )
    plans = [steering.plan(path) for path in untimed]
    workflow_ids = _workflow_ids(definition, plans)
    plans = [
        personalised(steering, definition, plan, workflow_id, sources)
        for plan, workflow_id in zip(plans, workflow_ids, strict=True)
    ]
    return {
        "arazzo": ARAZZO_VERSION,
        "info": {
            "title": f"{name} workflows",
            "version": definition.version,
            "summary": f"Client workflows over the {name} journey, one per path to an end state.",
            "description": (
                f"Generated from the {name} journey definition. Each workflow starts the journey, submits "
                "its external-input steps in the order of one path through the state graph and reads the "
                "result. The inputs' defaults steer the journey along that path; override them with "
                "`journeys contract-test --inputs`. Timeouts, timer states and deadlines are not covered (they "
                "cannot be triggered over HTTP: `journeys test` scenarios move time instead), nor are "
                "submissions the journey rejects and waits again for. A step fed by an inbound "
                f"source carries `{VERIFICATION_EXTENSION}`: its deliveries must be signed as the source verifies "
                "them, which `journeys contract-test` does with the source's secret given as an input (without "
                "it, the workflow is skipped)."
            ),
        },
        "sourceDescriptions": [
            {"name": camel_name(name), "url": openapi_url or f"../openapi/{name}.openapi.yaml", "type": "openapi"}
        ],
        "workflows": [
            _workflow(definition, plan, workflow_id, sources)
            for plan, workflow_id in zip(plans, workflow_ids, strict=True)
        ],
    }


def _workflow_ids(definition: JourneyDefinition, plans: list[Plan]) -> list[str]:
    """`<name>-happy-path` for the first path that succeeds, `<name>-<end state>` for the others."""
    ids: list[str] = []
    happy = next((p for p in plans if isinstance(definition.states[p.path.terminal], SucceedState)), None)
    for plan in plans:
        base = f"{definition.name}-{'happy-path' if plan is happy else plan.path.terminal}"
        candidate, counter = base, 1
        while candidate in ids:
            counter += 1
            candidate = f"{base}-{counter}"
        ids.append(candidate)
    return ids


def _workflow(
    definition: JourneyDefinition, plan: Plan, workflow_id: str, sources: Mapping[str, InboundSource]
) -> dict[str, Any]:
    terminal = definition.states[plan.path.terminal]
    phase = "Succeeded" if isinstance(terminal, SucceedState) else "Failed"
    inputs = _Inputs()
    steps = [_start_step(definition, plan.calls[0], inputs)]
    steps.extend(_submission_step(definition, call, inputs, sources) for call in plan.calls[1:])
    steps.append(_result_step(definition, plan, phase))
    verb = "succeeds" if phase == "Succeeded" else "fails"
    route = ", ".join(f"submit `{step}`" for step in plan.path.steps)
    summary = f"Start the journey{', ' + route if route else ''}; it {verb} at `{plan.path.terminal}`."
    description = "Path through the journey: " + " -> ".join(plan.path.states) + "."
    if not plan.steered:
        description += (
            " No generated request body was found that takes the journey along this path (see the steps);"
            " supply the request bodies as inputs."
        )
    return {
        "workflowId": workflow_id,
        "summary": summary,
        "description": description,
        "inputs": inputs.schema(),
        "steps": steps,
        "outputs": {
            "journeyId": JOURNEY_ID,
            **{key: f"$steps.{RESULT_STEP}.outputs.{key}" for key in _outcome_fields(phase)},
        },
    }


class _Inputs:
    """The workflow's inputs schema, built while the steps declare what they read."""

    def __init__(self) -> None:
        self.properties: dict[str, Any] = {}
        self.required: list[str] = []

    def body(self, name: str, schema: Mapping[str, Any] | None, default: Any, description: str) -> str:
        self.properties[name] = {
            "description": description,
            **plain(schema or {"type": "object"}),
            "default": plain(default),
        }
        return f"$inputs.{name}"

    def key(self, parameter: AuthParameter) -> str:
        name = input_name(parameter.name)
        if name not in self.properties:
            self.properties[name] = {
                "type": "string",
                "description": (
                    f"The key sent in the {parameter.name} {parameter.location} "
                    f"(API key profile `{parameter.profile}` on the server)."
                ),
            }
            self.required.append(name)
        return f"$inputs.{name}"

    def secret(self, source_name: str, source: InboundSource | None) -> str:
        name = secret_input_name(source_name)
        if name not in self.properties:
            preset = source.verify.preset if source is not None else None
            profile = f"inbound secrets profile `{source.verify.secrets}`" if source is not None else "its profile"
            if preset in SECRET_HEADER_PRESETS:
                use = "sent as the header the source checks"
            else:
                use = "never sent: `journeys contract-test` signs the deliveries with it"
            self.properties[name] = {
                "type": "string",
                "description": f"A secret of inbound source `{source_name}` ({profile} on the server); {use}.",
            }
            self.required.append(name)
        return f"$inputs.{name}"

    def schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "object", "properties": self.properties}
        if self.required:
            schema["required"] = self.required
        return schema


def _auth_parameters(call: Call, inputs: _Inputs) -> list[dict[str, Any]]:
    return [
        {"name": p.name, "in": p.location, "value": inputs.key(p) if call.valid_key else WRONG_KEY} for p in call.auth
    ]


def _request_body(payload: str) -> dict[str, Any]:
    return {"contentType": "application/json", "payload": payload}


def _start_step(definition: JourneyDefinition, call: Call, inputs: _Inputs) -> dict[str, Any]:
    schema = definition.input_schema.raw if definition.input_schema else None
    payload = inputs.body("startRequest", schema, call.body, f"The body that starts the {definition.name} journey.")
    step: dict[str, Any] = {
        "stepId": START_STEP,
        "description": _describe(definition, "Start the journey", call),
        "operationId": operation_id(definition.name, "start"),
    }
    parameters = _auth_parameters(call, inputs)
    if parameters:
        step["parameters"] = parameters
    step["requestBody"] = _request_body(payload)
    if definition.start_mode == "async":
        criteria = ["$statusCode == 202"]
    else:
        criteria = ["$statusCode == 200", *_stop_criteria(definition, call.target)]
    step["successCriteria"] = _criteria(criteria)
    step["outputs"] = {"journeyId": "$response.body.journeyId"}
    return step


def _submission_step(
    definition: JourneyDefinition, call: Call, inputs: _Inputs, sources: Mapping[str, InboundSource]
) -> dict[str, Any]:
    step_id = str(call.step_id)
    state = definition.external_input(step_id)
    if state is None:  # plans only submit to the external-input steps of the path
        raise ValueError(f"'{step_id}' is not a wait or webhook step of {definition.name}")
    payload = inputs.body(
        f"{step_id}Payload", state.input_schema.raw, call.body, f"The body submitted to the `{step_id}` step."
    )
    parameters = [{"name": "journeyId", "in": "path", "value": JOURNEY_ID}, *_auth_parameters(call, inputs)]
    description = _describe(definition, f"Submit the `{step_id}` {state.type} step", call)
    verification: dict[str, Any] | None = None
    if state.source is not None:
        source = sources.get(state.source)
        secret = inputs.secret(state.source, source)
        verification = signature_extension(state, source)
        preset = verification.get("preset")
        if preset in SECRET_HEADER_PRESETS and source is not None:
            [header] = verification_headers(source.verify)
            parameters.append({"name": header.name, "in": "header", "value": secret})
            description += f" Verified by inbound source `{state.source}`: its secret is sent in `{header.name}`."
        else:
            how = f"preset `{preset}`" if preset else "a preset this document does not name"
            description += (
                f" Verified by inbound source `{state.source}` ({how}): the delivery must be signed with the "
                f"source's secret (input `{verification['secretInput']}`), which `journeys contract-test` does "
                "and plain arazzo-runner cannot."
            )
    step: dict[str, Any] = {
        "stepId": step_id,
        "description": description,
        "operationId": operation_id(definition.name, step_id),
        "parameters": parameters,
        "requestBody": _request_body(payload),
        "successCriteria": _criteria(["$statusCode == 200", *_stop_criteria(definition, call.target)]),
        "outputs": {"phase": "$response.body.phase", "currentState": "$response.body.currentState"},
    }
    if verification is not None:
        step[VERIFICATION_EXTENSION] = verification
    return step


def _result_step(definition: JourneyDefinition, plan: Plan, phase: str) -> dict[str, Any]:
    terminal = definition.states[plan.path.terminal]
    criteria = ["$statusCode == 200", f"$response.body.phase == '{phase}'"]
    if isinstance(terminal, FailState):
        criteria.append(_equals("$response.body.error.code", terminal.error_code))
    elif plan.outcome is not None:
        criteria.append(_equals("$response.body.status", plan.outcome.get("status")))
    step: dict[str, Any] = {
        "stepId": RESULT_STEP,
        "description": f"Read the outcome: `{phase}` at `{plan.path.terminal}`.",
        "operationId": operation_id(definition.name, "getResult"),
        "parameters": [{"name": "journeyId", "in": "path", "value": JOURNEY_ID}],
    }
    if definition.start_mode == "async":
        step["parameters"].append({"name": "waitSeconds", "in": "query", "value": ASYNC_RESULT_WAIT_SECONDS})
    step["successCriteria"] = _criteria(criteria)
    step["outputs"] = {key: f"$response.body.{key}" for key in _outcome_fields(phase)}
    return step


def _outcome_fields(phase: str) -> tuple[str, ...]:
    """The JourneyOutcome fields a workflow reports: the output of a success, the error of a failure."""
    return ("phase", "status", "output" if phase == "Succeeded" else "error")


def _stop_criteria(definition: JourneyDefinition, target: str) -> list[str | None]:
    """What the response says once the journey stopped at `target`: waiting there, or ended."""
    state = definition.states[target]
    if isinstance(state, ExternalInputState):
        return ["$response.body.phase == 'Running'", _equals("$response.body.currentState", target)]
    return [f"$response.body.phase == '{'Succeeded' if isinstance(state, SucceedState) else 'Failed'}'"]


def _equals(expression: str, value: Any) -> str | None:
    """`expression == 'value'`, or None when the value cannot be written as a literal the runner reads back."""
    if isinstance(value, str) and _SAFE_LITERAL.fullmatch(value):
        return f"{expression} == '{value}'"
    return None


def _criteria(conditions: list[str | None]) -> list[dict[str, str]]:
    return [{"condition": condition} for condition in conditions if condition is not None]


def _describe(definition: JourneyDefinition, action: str, call: Call) -> str:
    if call.steered:
        stops = "waits at" if definition.external_input(call.target) else "ends at"
        return f"{action}; the journey then {stops} `{call.target}`."
    return (
        f"{action}. No generated body was found that takes the journey to `{call.target}` (best effort:"
        " the values it depends on may come from time, secrets or a computation); supply this body as input."
    )
