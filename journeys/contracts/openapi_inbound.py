"""The inbound surface as OpenAPI: a source's fixed URL, the inbound log, and what verification adds to a step.

- `POST /inbound/{source}`, one path per loaded source: the body of any step the source feeds, the headers its
  verification preset reads, the source's own 2xx answer (whatever the verdict but a rejection), 401/403 for a
  failed verification, 413, 500 while its secrets are not configured, 503 when its journey kept changing;
- `GET /inbound/deliveries`, `GET /inbound/deliveries/{deliveryId}`, `POST .../{deliveryId}/replay` and
  `GET /inbound/stats`, whose bodies follow `journeys.server.inbound.representations` and
  `journeys.engine.inbound_log` field for field.

The same verification facts document a webhook step's own URL (`openapi_operations.step_operation`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from journeys.contracts.inbound_contract import (
    MIDTRANS_SIGNATURE_FIELD,
    MIDTRANS_SIGNED_FIELDS,
    expression_headers,
    fed_steps,
    reject_statuses,
    verification_headers,
)
from journeys.contracts.naming import camel_name, schema_name
from journeys.contracts.openapi_components import (
    ANSWERED_VERDICTS,
    JSON,
    delivery_headers,
    delivery_problem_response,
    json_response,
    problem_response,
    ref,
)
from journeys.contracts.openapi_security import needs_scope
from journeys.definitions.inbound_model import InboundSource
from journeys.definitions.model import JourneyDefinition
from journeys.engine.inbound_log import STATS_SAMPLE, STEP_URL, WINDOWS
from journeys.engine.inbound_messages import FORM, TEXT
from journeys.server.auth.scopes import OPERATOR
from journeys.server.inbound.routes import VERDICT_FILTERS
from journeys.server.query_params import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

INBOUND_TAG = "inbound"
INBOUND_PATH = "/inbound"
DELIVERIES_PATH = "/inbound/deliveries"
DELIVERY_PATH = "/inbound/deliveries/{deliveryId}"
REPLAY_PATH = "/inbound/deliveries/{deliveryId}/replay"
STATS_PATH = "/inbound/stats"
LIST_DELIVERIES = "listInboundDeliveries"
GET_DELIVERY = "getInboundDelivery"
REPLAY_DELIVERY = "replayInboundDelivery"
GET_STATS = "getInboundStats"
MIDTRANS_SIGNED_BODY = "MidtransSignedBody"
VERDICT_PATTERN = f"^({'|'.join(VERDICT_FILTERS)}|rejected:.+)$"


def source_path(source: InboundSource) -> str:
    return f"{INBOUND_PATH}/{source.name}"


def deliver_operation_id(source: InboundSource) -> str:
    return f"deliver_{camel_name(source.name)}"


# -- what verification adds to an operation ----------------------------------------------------------------------


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


# -- POST /inbound/{source} ----------------------------------------------------------------------------------------


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
        return {JSON: {"schema": signed_body({}, source)}}
    refs = [(ref(schema_name(d.name, step.id, "Request")), step.input_schema.raw) for d, step in fed]
    content = {JSON: {"schema": signed_body(_any_of([reference for reference, _ in refs]), source)}}
    forms = [reference for reference, raw in refs if _form_compatible(raw)]
    if forms:
        content[FORM] = {"schema": signed_body(_any_of(forms), source)}
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
    status, content = answer_content(source)
    answer_description = (
        "Received: the source's answer, whatever the verdict (a retry is answered exactly as the first delivery "
        "was; the verdict header tells the truth)."
    )
    responses: dict[str, Any] = {}
    merge_content(responses, status, answer_description, content)
    # A retry of a delivery first made to a step URL is answered as that one was: the journey's status.
    retried = "A retry of a delivery first made to a step URL: that answer, the journey's status."
    merge_content(responses, "200", retried, {JSON: {"schema": ref("JourneyStatus")}})
    responses.update(rejection_responses(source, in_graph_auth=in_graph_auth))
    responses["413"] = problem_response("The body is too large; nothing was logged.")
    responses["500"] = configuration_response(source)
    responses["503"] = busy_response()
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
        "parameters": verification_parameters(source),
        "requestBody": {"required": True, "content": _source_body(source, definitions)},
        "responses": dict(sorted(responses.items())),
    }


# -- the inbound log ---------------------------------------------------------------------------------------------


def _delivery_id_parameter() -> dict[str, Any]:
    return {
        "name": "deliveryId",
        "in": "path",
        "required": True,
        "description": "The id in `Journeys-Delivery-Id`, or an item's `deliveryId`.",
        "schema": {"type": "string"},
    }


def _filter(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    schema = schema or {"type": "string"}
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


def log_paths() -> dict[str, Any]:
    """The paths of the inbound log: list, one delivery, replay, statistics; the operators' alone."""
    tags = [INBOUND_TAG]
    verdicts = ", ".join(f"`{verdict}`" for verdict in VERDICT_FILTERS)
    listing = {
        "operationId": LIST_DELIVERIES,
        "tags": tags,
        "summary": "List inbound deliveries, newest first",
        "parameters": [
            _filter("source", "Only deliveries to this source."),
            _filter(
                "verdict",
                f"Only deliveries with this verdict: {verdicts} or `rejected:<cause>`; empty for all.",
                {"type": "string", "pattern": f"^({'|'.join(VERDICT_FILTERS)}|rejected:.*)?$"},
            ),
            _filter("journeyId", "Only deliveries applied or kept for this journey."),
            _filter(
                "limit",
                "Page size.",
                {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": DEFAULT_PAGE_SIZE},
            ),
            _filter("pageToken", "The `nextPageToken` of the previous page."),
        ],
        "responses": {
            "200": json_response("One page of deliveries.", ref("InboundDeliveryPage")),
            "400": problem_response("A filter or the page token is invalid."),
        },
    }
    one = {
        "operationId": GET_DELIVERY,
        "tags": tags,
        "summary": "Get an inbound delivery, with its stored body",
        "parameters": [_delivery_id_parameter()],
        "responses": {
            "200": json_response("The delivery.", ref("InboundDeliveryWithBody")),
            "404": problem_response("No delivery has this id."),
        },
    }
    replay = {
        "operationId": REPLAY_DELIVERY,
        "tags": tags,
        "summary": "Route an unmatched or expired delivery again",
        "description": (
            "Applies the stored delivery to the journey waiting for its correlation key, or puts it back in the "
            "inbox for the source's TTL."
        ),
        "parameters": [_delivery_id_parameter()],
        "responses": {
            "200": json_response("The delivery after the replay.", ref("InboundDeliveryWithBody")),
            "404": problem_response("No delivery has this id."),
            "409": problem_response(
                "The delivery is not `unmatched` or `expired`, its source is not loaded, or it still names no journey."
            ),
        },
    }
    stats = {
        "operationId": GET_STATS,
        "tags": tags,
        "summary": "Per-source delivery statistics",
        "responses": {"200": json_response("Counts, 2xx rate and processing times.", ref("InboundStats"))},
    }
    return {
        DELIVERIES_PATH: {"get": needs_scope(listing, OPERATOR)},
        STATS_PATH: {"get": needs_scope(stats, OPERATOR)},
        DELIVERY_PATH: {"get": needs_scope(one, OPERATOR)},
        REPLAY_PATH: {"post": needs_scope(replay, OPERATOR)},
    }


def _timestamp(nullable: bool = False) -> dict[str, Any]:
    return {"type": ["string", "null"] if nullable else "string", "format": "date-time"}


def _nullable_string(description: str) -> dict[str, Any]:
    return {"type": ["string", "null"], "description": description}


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


def log_schemas() -> dict[str, Any]:
    """The bodies of the inbound log (only in the document of the whole API)."""
    window = {
        "type": "object",
        "required": ["total", "verdicts", "successRate", "processingMs"],
        "properties": {
            "total": {"type": "integer", "minimum": 0},
            "verdicts": {
                "type": "object",
                "description": "Deliveries by verdict.",
                "additionalProperties": {"type": "integer", "minimum": 1},
            },
            "successRate": {
                "type": ["number", "null"],
                "minimum": 0,
                "maximum": 1,
                "description": "The share answered 2xx; null without deliveries.",
            },
            "processingMs": {
                "type": "object",
                "required": ["p50", "p95", "p99"],
                "properties": {p: {"type": ["number", "null"], "minimum": 0} for p in ("p50", "p95", "p99")},
            },
        },
    }
    names = [name for name, _ in WINDOWS]
    delivery: dict[str, Any] = {
        "deliveryId": {"type": "string"},
        "source": _nullable_string("The source; null for a step URL without one."),
        "journeyId": _nullable_string("The journey it was applied or kept for."),
        "stepId": _nullable_string("The step it was applied or submitted to."),
        "correlationKey": _nullable_string("The key the source's correlation expression gave."),
        "senderDeliveryId": _nullable_string("The sender's own id of the delivery (the dedupe key)."),
        "verdict": {
            "type": "string",
            "pattern": VERDICT_PATTERN,
            "description": "applied, duplicate, buffered, expired, late, unmatched or rejected:<cause>.",
        },
        "reason": _nullable_string("Why it was kept, refused or a duplicate."),
        "status": {"type": "integer", "minimum": 100, "maximum": 599, "description": "What we answered."},
        "receivedAt": _timestamp(),
        "processingMs": {"type": "number", "minimum": 0},
        "expiresAt": {**_timestamp(nullable=True), "description": "When a buffered delivery expires."},
        "keyId": _nullable_string("The id of the secret that verified it."),
        "contentType": _nullable_string("The media type it was posted with."),
        "_links": {"type": "object", "properties": {"journey": ref("Link")}},
    }
    return {
        "InboundDelivery": {
            "type": "object",
            "required": [name for name in delivery if name != "_links"],
            "properties": delivery,
        },
        "InboundDeliveryWithBody": {
            "allOf": [
                ref("InboundDelivery"),
                {
                    "type": "object",
                    "required": ["body"],
                    "properties": {
                        "body": {
                            "description": (
                                "The body as parsed, with the source's redacted fields; null for a rejected or "
                                "unreadable delivery."
                            )
                        }
                    },
                },
            ]
        },
        "InboundDeliveryPage": {
            "type": "object",
            "required": ["items", "nextPageToken"],
            "properties": {
                "items": {"type": "array", "items": ref("InboundDelivery")},
                "nextPageToken": {"type": ["string", "null"], "description": "Null on the last page."},
            },
        },
        "InboundWindowStats": window,
        "InboundStats": {
            "type": "object",
            "required": ["at", "sampleLimit", "sources"],
            "properties": {
                "at": _timestamp(),
                "sampleLimit": {"type": "integer", "const": STATS_SAMPLE},
                "sources": {
                    "type": "object",
                    "description": f"By source; step URLs without a source are counted as `{STEP_URL}`.",
                    "additionalProperties": {
                        "type": "object",
                        "required": names,
                        "properties": {name: ref("InboundWindowStats") for name in names},
                    },
                },
            },
        },
    }
