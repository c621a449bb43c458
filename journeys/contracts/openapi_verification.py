"""What verification adds to an OpenAPI operation that takes gateway deliveries.

A webhook step's own URL (`openapi_operations.step_operation`) and an inbound source's fixed URL
(`openapi_inbound.source_operation`) are verified the same way, so they are documented from the same facts: the
headers the preset reads, the body fields Midtrans signs, 401/403 for a failed verification, 500 while the
secrets are not configured, 503 when the journey kept changing, and the source's own 2xx answer. Kept apart from
both so neither operation module owns what the other needs.
"""

from __future__ import annotations

from typing import Any

import orjson

from journeys.contracts.inbound_contract import (
    MIDTRANS_SIGNATURE_FIELD,
    MIDTRANS_SIGNED_FIELDS,
    expression_headers,
    reject_statuses,
    verification_headers,
)
from journeys.contracts.openapi_components import (
    ANSWERED_VERDICTS,
    JSON,
    delivery_headers,
    delivery_problem_response,
    ref,
)
from journeys.definitions.inbound_model import InboundSource

MIDTRANS_SIGNED_BODY = "MidtransSignedBody"


def verification_parameters(source: InboundSource | None) -> list[dict[str, Any]]:
    """The headers the source's preset reads (required: a delivery without one is refused), then the optional
    headers its deliveryId/correlation expressions read."""
    if source is None:
        return []
    parameters = [
        {
            "name": header.name,
            "in": "header",
            "required": True,
            "description": f"Verification by inbound source `{source.name}` (preset `{source.verify.preset}`). "
            + header.description,
            "schema": {"type": "string"},
        }
        for header in verification_headers(source.verify)
    ]
    parameters += [
        {
            "name": name,
            "in": "header",
            "required": False,
            "description": f"Read by the deliveryId or correlation expression of inbound source `{source.name}`.",
            "schema": {"type": "string"},
        }
        for name in expression_headers(source)
    ]
    return parameters


def signed_body(schema: dict[str, Any], source: InboundSource | None) -> dict[str, Any]:
    """A body schema with what the source's preset reads from the body (Midtrans signs body fields)."""
    if source is None or source.verify.preset != "midtrans":
        return schema
    return {"allOf": [schema, ref(MIDTRANS_SIGNED_BODY)]}


def midtrans_signed_body_schema() -> dict[str, Any]:
    signed = " + ".join(MIDTRANS_SIGNED_FIELDS)
    return {
        "type": "object",
        "description": (
            f"Midtrans signs the notification in its body: `{MIDTRANS_SIGNATURE_FIELD}` is the hex SHA-512 of "
            f"`{signed} + serverKey`, over the exact strings of the body."
        ),
        "required": [*MIDTRANS_SIGNED_FIELDS, MIDTRANS_SIGNATURE_FIELD],
        "properties": {
            **{field: {"type": ["string", "number"]} for field in MIDTRANS_SIGNED_FIELDS},
            MIDTRANS_SIGNATURE_FIELD: {"type": "string", "pattern": "^([0-9a-fA-F]{2})+$"},
        },
    }


def rejection_responses(source: InboundSource | None, *, in_graph_auth: bool) -> dict[str, Any]:
    """401/403 for a delivery that fails verification (and 401 for a refused API key); 500 without secrets."""
    responses: dict[str, Any] = {}
    statuses = set(reject_statuses(source)) | ({401} if in_graph_auth else set())
    name = f"inbound source `{source.name}`" if source is not None else "the step's inbound source"
    for status in sorted(statuses):
        reasons = []
        if status in reject_statuses(source):
            reasons.append(f"the delivery failed the verification of {name} (`cause` says how); nothing was applied")
        if status == 401 and in_graph_auth:
            reasons.append("the journey's API-key check refused it; nothing was stored")
        responses[str(status)] = delivery_problem_response("; or ".join(reasons).capitalize() + ".")
    return responses


def configuration_response(source: InboundSource | None) -> dict[str, Any]:
    name = f"`{source.verify.secrets}`" if source is not None else "of the step's source"
    return delivery_problem_response(
        f"The server has no secrets for the inbound secrets profile {name} (inboundSecrets), or lacks other "
        "configuration the journey needs (an API-key profile): nothing was applied, and the sender should retry "
        "once it is configured."
    )


def busy_response() -> dict[str, Any]:
    response = delivery_problem_response(
        "The journey kept changing while the delivery was applied (or it could not be recorded): retry it."
    )
    retry_after = {"description": "Seconds.", "schema": {"type": "string"}}
    response["headers"] = {**response["headers"], "Retry-After": retry_after}
    return response


def answer_content(source: InboundSource | None) -> tuple[str, dict[str, Any]]:
    """(status, content) of the source's 2xx answer: its `answer`, or the JSON receipt."""
    if source is None:
        return "200", {JSON: {"schema": ref("InboundReceipt")}}
    answer = source.answer
    if answer.body is None:
        return str(answer.status), {JSON: {"schema": ref("InboundReceipt")}}
    media_type = answer.content_type.split(";")[0].strip().lower()
    schema: dict[str, Any] = {"const": answer.body}
    if media_type == JSON or media_type.endswith("+json"):
        try:
            schema = {"const": orjson.loads(answer.body)}
        except orjson.JSONDecodeError:
            schema = {}
    return str(answer.status), {answer.content_type: {"schema": schema}}


def merge_content(responses: dict[str, Any], status: str, description: str, content: dict[str, Any]) -> None:
    """Add `content` to the response `status`, `anyOf` with what it already has for a media type."""
    response = responses.setdefault(status, {"description": description, "headers": delivery_headers()})
    existing = response.setdefault("content", {})
    for media_type, entry in content.items():
        if media_type not in existing:
            existing[media_type] = entry
        elif existing[media_type] != entry:
            existing[media_type] = {"schema": {"anyOf": [existing[media_type]["schema"], entry["schema"]]}}


def receipt_schema() -> dict[str, Any]:
    """The default 2xx answer of a source without its own `answer`."""
    return {
        "type": "object",
        "required": ["received", "verdict", "deliveryId"],
        "properties": {
            "received": {"const": True},
            "verdict": {"type": "string", "enum": list(ANSWERED_VERDICTS)},
            "deliveryId": {"type": "string"},
        },
    }
