"""Bodies a real delivery could have, for the workflows of an Arazzo document (`arazzo_export`).

`steering` finds bodies that take a journey along a path, but they are the bare minimum its schemas and
conditions need. A published workflow is run against a real server, where a source's dedupe and correlation keys
are server-wide and a signing preset covers body fields, so each body is made realistic before it is written:
the fields a preset signs present, the optional fields the journey reads filled in, placeholder ids replaced by
the workflow id, and the journey's correlation key where its source reads it. Kept apart from the document's
layout because it is a search over bodies (each change is confirmed against the journey), not a rendering.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from typing import Any

from journeys.contracts.body_candidates import PAYLOAD_PATH, may_hold
from journeys.contracts.plain_data import plain
from journeys.contracts.schema_examples import example_value, resolve
from journeys.contracts.steering import Call, Plan, Steering
from journeys.definitions.inbound_model import InboundSource
from journeys.definitions.model import JourneyDefinition

# A correlation expression that is a plain body path: `payload.data.ref_id`.
_BODY_PATH = re.compile(r"payload((?:\.[A-Za-z_]\w*)+)")
# What `schema_examples` writes into a string field it knows nothing about.
_PLACEHOLDER = re.compile(r"examplex*")
# The body fields Midtrans signs, for a generated notification that lacks them; its status codes (paid, pending,
# failed) to try.
MIDTRANS_PLACEHOLDERS = {"order_id": "example", "status_code": "200", "gross_amount": "0"}
MIDTRANS_STATUS_CODES = ("200", "201", "202")


def personalised(
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


def _signable(definition: JourneyDefinition, plan: Plan, sources: Mapping[str, InboundSource]) -> list[list[Any]]:
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
