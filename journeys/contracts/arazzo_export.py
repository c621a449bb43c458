"""Export a journey's client workflows as an Arazzo 1.0.1 document, derived from its state graph.

One workflow per path from `spec.start` to an end state (`journey_paths`): start the journey, submit each
external-input step of the path in order, read the result. The request bodies are workflow inputs
(`startRequest`, `<stepId>Payload`) whose defaults steer the journey along the path (`steering`); keys that
the journey's `apiKeyValidate` tasks read are inputs too (`X-Webhook-Secret` -> `webhookSecret`), without a
default: secrets do not belong in a published document.

A step fed by an inbound source carries `x-journeys-verification` (the source, its preset and the preset's
settings, and the input holding the secret, `<source>Secret`): a `shared-secret`/`token` secret is sent as
its header, which any runner can do; a signature (`stripe`, `standard-webhooks`, `hmac`, `midtrans`) covers
the exact bytes sent and usually the time, so the contract runner makes it (`delivery_signing`).

Criteria are written for arazzo-runner as well as for the specification: one plain comparison per
criterion, no object-form `type`, body values in dot form (`$response.body.phase == 'Running'`), which
the runner evaluates faithfully (see `journeys.contracts.contract_runner`).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from typing import Any

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
from journeys.contracts.schema_examples import example_value, resolve
from journeys.contracts.steering import PAYLOAD_PATH, WRONG_KEY, AuthParameter, Call, Plan, Steering, may_hold
from journeys.definitions.inbound_model import InboundSource
from journeys.definitions.model import ExternalInputState, FailState, JourneyDefinition, SucceedState

ARAZZO_VERSION = "1.0.1"
START_STEP = "startJourney"
RESULT_STEP = "getResult"
JOURNEY_ID = f"$steps.{START_STEP}.outputs.journeyId"
ASYNC_RESULT_WAIT_SECONDS = 30  # an async start returns before the journey ends: long-poll the result

# A string criterion literal the runner parses back unchanged: no quotes, no comparison characters.
_SAFE_LITERAL = re.compile(r"[\w.:/@ -]*")
# A correlation expression that is a plain body path: `payload.data.ref_id`.
_BODY_PATH = re.compile(r"payload((?:\.[A-Za-z_]\w*)+)")
# What `schema_examples` writes into a string field it knows nothing about.
_PLACEHOLDER = re.compile(r"examplex*")
# The body fields Midtrans signs, for a generated notification that lacks them; its status codes (paid, pending,
# failed) to try.
MIDTRANS_PLACEHOLDERS = {"order_id": "example", "status_code": "200", "gross_amount": "0"}
MIDTRANS_STATUS_CODES = ("200", "201", "202")


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
    plans = [steering.plan(path) for path in journey_paths(definition)]
    workflow_ids = _workflow_ids(definition, plans)
    plans = [
        _personalised(steering, definition, plan, workflow_id, sources)
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
                "`journeys contract-test --inputs`. Timeouts are not covered (they cannot be triggered over "
                "HTTP), nor are submissions the journey rejects and waits again for. A step fed by an inbound "
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


def _personalised(
    steering: Steering,
    definition: JourneyDefinition,
    plan: Plan,
    workflow_id: str,
    sources: Mapping[str, InboundSource],
) -> Plan:
    """The plan with bodies a real delivery could have: the fields a signing preset covers present, the optional
    fields the journey reads filled in, and placeholder ids (`example`) replaced by the workflow id, so that no
    two workflows of a document share an order id or an event id (a source's dedupe and correlation keys are
    server-wide, not per journey). Each change is kept only if the journey still takes the path."""
    read = _payload_reads(definition)
    keyed = _Keyed(definition, sources)
    for signable in _signable(definition, plan, sources):
        completed = [
            _completed(definition, call.step_id, body, read) for call, body in zip(plan.calls, signable, strict=True)
        ]
        tagged = [_tagged(body, workflow_id) for body in completed]
        for bodies in (tagged, [_tagged(body, workflow_id) for body in signable], signable):
            confirmed = steering.with_bodies(plan, bodies, keyed)
            if confirmed is not None:
                return confirmed
    return plan


class _Keyed:
    """Puts the journey's correlation key where the source reads it, in each delivery to a sourced step.

    The server applies a delivery on a step URL only when the key the source finds in it is the one the journey
    waits with (`correlationKey`, rendered from its context); any other delivery is routed by its own key. A
    source whose correlation is a plain body path (`payload.data.object.metadata.orderId`) gets the key
    written there; any other expression is left to the generated body."""

    def __init__(self, definition: JourneyDefinition, sources: Mapping[str, InboundSource]) -> None:
        self._definition, self._sources = definition, sources

    def __call__(self, call: Call, body: Any, context: Mapping[str, Any]) -> Any:
        state = self._definition.external_input(call.step_id) if call.step_id else None
        source = self._sources.get(state.source) if state is not None and state.source else None
        if state is None or source is None or state.correlation_key is None or not isinstance(body, dict):
            return body
        path = _BODY_PATH.fullmatch(source.correlation.source.strip())
        if path is None:
            return body
        try:
            key = state.correlation_key.render(dict(context))
        except Exception:  # a key the context cannot render: the server would not wait with it either
            return body
        keyed = copy.deepcopy(body)
        target = keyed
        *parents, last = path[1].lstrip(".").split(".")
        for name in parents:
            child = target.get(name)
            if not isinstance(child, dict):
                child = target[name] = {}
            target = child
        target[last] = key
        return keyed


def _payload_reads(definition: JourneyDefinition) -> list[tuple[str, ...]]:
    """Every step-body field an expression of the journey reads (`payload.transaction_id`), as a path."""
    text = json.dumps(plain(definition.raw))
    return list(dict.fromkeys(tuple(match[1].lstrip(".").split(".")) for match in PAYLOAD_PATH.finditer(text)))


def _completed(definition: JourneyDefinition, step_id: str | None, body: Any, read: list[tuple[str, ...]]) -> Any:
    """A step body with the optional fields the journey reads filled in (a transform copying
    `payload.transaction_id` into the output would otherwise copy null where the output schema wants a
    string): declared ones with an example value, undeclared ids in a free-form object with a placeholder."""
    state = definition.external_input(step_id) if step_id else None
    if state is None or not isinstance(body, dict):
        return body
    raw = plain(state.input_schema.raw)
    completed = copy.deepcopy(body)
    for path in read:
        target: Any = completed
        for key in path[:-1]:
            target = target.get(key) if isinstance(target, dict) else None
        if not isinstance(target, dict) or path[-1] in target:
            continue  # only fields of objects the body has
        declared = _declared(raw, path)
        if declared is not None:
            target[path[-1]] = example_value(declared, raw)
        elif may_hold(raw, path) and path[-1].lower().endswith("id"):
            target[path[-1]] = "example"
    return completed


def _declared(raw: Mapping[str, Any], path: tuple[str, ...]) -> Mapping[str, Any] | None:
    schema: Any = raw
    for key in path:
        schema = resolve(schema, raw)
        properties = schema.get("properties") if isinstance(schema, Mapping) else None
        if not isinstance(properties, Mapping) or key not in properties:
            return None
        schema = properties[key]
    resolved = resolve(schema, raw)
    return resolved if isinstance(resolved, Mapping) else None


def _tagged(body: Any, tag: str, key: str = "") -> Any:
    """`body` with every placeholder string of an identifier field (`orderId`, `ref_id`, `id`) set to `tag`."""
    if isinstance(body, dict):
        return {name: _tagged(value, tag, name) for name, value in body.items()}
    if isinstance(body, list):
        return [_tagged(item, tag, key) for item in body]
    lowered = key.lower()
    identifier = lowered.endswith(("id", "ref", "key")) or "ref" in lowered
    return tag if identifier and isinstance(body, str) and _PLACEHOLDER.fullmatch(body) else body


def _signable(
    definition: JourneyDefinition, plan: Plan, sources: Mapping[str, InboundSource]
) -> list[list[Any]]:
    """The plan's bodies with the fields a preset signs, when a step's source signs body fields (Midtrans): one
    variant per status code to try (the journey may read it), the first that keeps the path wins."""
    variants = []
    for status_code in MIDTRANS_STATUS_CODES:
        bodies = []
        for call in plan.calls:
            state = definition.external_input(call.step_id) if call.step_id else None
            source = sources.get(state.source) if state is not None and state.source else None
            body = call.body
            if source is not None and source.verify.preset == "midtrans" and isinstance(body, dict):
                missing = {**MIDTRANS_PLACEHOLDERS, "status_code": status_code}
                body = {**body, **{field: value for field, value in missing.items() if field not in body}}
            bodies.append(body)
        if bodies not in variants:
            variants.append(bodies)
    return variants


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
