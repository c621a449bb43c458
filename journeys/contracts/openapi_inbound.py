"""The inbound sources as OpenAPI: `POST /inbound/{source}`, one path per loaded source.

Each documents the body of any step the source feeds (JSON, and a form post or text when a fed step can take
one), the headers its verification preset reads, the source's own 2xx answer (whatever the verdict but a
rejection), 401/403 for a failed verification, 413, 500 while its secrets are not configured, 503 when its
journey kept changing. What verification adds is shared with a webhook step's own URL
(`openapi_verification`); the operators' inbound log is `openapi_inbound_log`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from journeys.contracts import openapi_verification as verification
from journeys.contracts.inbound_contract import fed_steps
from journeys.contracts.naming import camel_name, schema_name
from journeys.contracts.openapi_components import JSON, problem_response, ref
from journeys.definitions.inbound_model import InboundSource
from journeys.definitions.model import JourneyDefinition
from journeys.engine.inbound_messages import FORM, TEXT

INBOUND_TAG = "inbound"
INBOUND_PATH = "/inbound"


def source_path(source: InboundSource) -> str:
    return f"{INBOUND_PATH}/{source.name}"


def deliver_operation_id(source: InboundSource) -> str:
    return f"deliver_{camel_name(source.name)}"


def _form_compatible(schema: Any) -> bool:
    """Whether a form post (an object of strings; a repeated field a list) can match the schema."""
    if not isinstance(schema, Mapping) or schema.get("type") != "object":
        return False
    properties = schema.get("properties")
    if not isinstance(properties, Mapping):
        return False

    def textual(field: Any) -> bool:
        if not isinstance(field, Mapping):
            return False
        if field.get("type") == "array":
            return textual(field.get("items", {}))
        if "enum" in field:
            return all(isinstance(value, str) for value in field["enum"])
        return field.get("type") == "string"

    return all(textual(field) for field in properties.values())


def _text_compatible(schema: Any) -> bool:
    return isinstance(schema, Mapping) and schema.get("type") == "string"


def _any_of(schemas: list[dict[str, Any]]) -> dict[str, Any]:
    return schemas[0] if len(schemas) == 1 else {"anyOf": schemas}


def _source_body(source: InboundSource, definitions: Mapping[str, JourneyDefinition]) -> dict[str, Any]:
    """JSON always; a form post when a fed step takes an object of strings; text when one takes a string."""
    fed = list(fed_steps(definitions, source.name))
    if not fed:
        return {JSON: {"schema": verification.signed_body({}, source)}}
    refs = [(ref(schema_name(d.name, step.id, "Request")), step.input_schema.raw) for d, step in fed]
    content = {JSON: {"schema": verification.signed_body(_any_of([reference for reference, _ in refs]), source)}}
    forms = [reference for reference, raw in refs if _form_compatible(raw)]
    if forms:
        content[FORM] = {"schema": verification.signed_body(_any_of(forms), source)}
    texts = [reference for reference, raw in refs if _text_compatible(raw)]
    if texts:
        content[TEXT] = {"schema": _any_of(texts)}
    return content


def source_operation(
    source: InboundSource, definitions: Mapping[str, JourneyDefinition], *, in_graph_auth: bool
) -> dict[str, Any]:
    """`POST /inbound/{source}`: a gateway's delivery, verified, deduplicated and applied to the journey waiting
    for its correlation key (or kept); `in_graph_auth` when a fed step's API-key check can refuse it (401)."""
    fed = list(fed_steps(definitions, source.name))
    steps = ", ".join(f"`{d.name}.{step.id}`" for d, step in fed) or "no loaded journey's step"
    status, content = verification.answer_content(source)
    answer_description = (
        "Received: the source's answer, whatever the verdict (a retry is answered exactly as the first delivery "
        "was; the verdict header tells the truth)."
    )
    responses: dict[str, Any] = {}
    verification.merge_content(responses, status, answer_description, content)
    # A retry of a delivery first made to a step URL is answered as that one was: the journey's status.
    retried = "A retry of a delivery first made to a step URL: that answer, the journey's status."
    verification.merge_content(responses, "200", retried, {JSON: {"schema": ref("JourneyStatus")}})
    responses.update(verification.rejection_responses(source, in_graph_auth=in_graph_auth))
    responses["413"] = problem_response("The body is too large; nothing was logged.")
    responses["500"] = verification.configuration_response(source)
    responses["503"] = verification.busy_response()
    description = (
        f"The fixed URL of inbound source `{source.name}`"
        + (f" ({source.description.rstrip('.')})" if source.description else "")
        + f". Verified with preset `{source.verify.preset}` on the raw bytes, deduplicated, and applied to the "
        f"journey waiting for its correlation key at one of: {steps}. Every verdict but a failed verification is "
        "answered 2xx, so the sender does not retry what retrying cannot change: a delivery no journey waits for "
        f"yet is kept for {source.inbox_ttl_sec} s (`buffered`), one for an ended journey is `late`, one without "
        "a key or not matching the step's schema is `unmatched`."
    )
    if source.verify.preset == "midtrans":
        description += " Midtrans signs the body: see `MidtransSignedBody`."
    return {
        "operationId": deliver_operation_id(source),
        "tags": [INBOUND_TAG],
        "summary": f"Deliver to inbound source {source.name}",
        "description": description,
        "parameters": verification.verification_parameters(source),
        "requestBody": {"required": True, "content": _source_body(source, definitions)},
        "responses": dict(sorted(responses.items())),
    }
