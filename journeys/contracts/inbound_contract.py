"""What an inbound source means for a client, read from its definition: the facts both contracts depend on.

A delivery to a source (on `POST /inbound/{source}`, or on the step URL of a webhook state the source feeds)
proves where it comes from with the source's verification preset. The OpenAPI documents list the headers the
preset reads as parameters and the statuses a failed check is answered with; the Arazzo export sends the
secret itself (`shared-secret`, `token`) or asks the contract runner to sign the delivery (the other presets,
whose signatures cover the exact bytes sent and, for most, the time).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from journeys.contracts.naming import camel_name
from journeys.definitions.inbound_model import InboundSource, VerifySpec
from journeys.definitions.model import ExternalInputState, JourneyDefinition
from journeys.engine.verification import DEFAULT_SHARED_SECRET_HEADER

# How a workflow step submitting to a step fed by an inbound source must be verified (arazzo_export writes it,
# contract_runner signs by it).
VERIFICATION_EXTENSION = "x-journeys-verification"
# Presets whose proof is the secret itself, sent as a header: any HTTP client (arazzo-runner too) can send it.
SECRET_HEADER_PRESETS = frozenset({"shared-secret", "token"})
# Presets whose proof is computed over the request (and the time): only a signer holding the secret can make it.
SIGNED_PRESETS = frozenset({"standard-webhooks", "stripe", "midtrans", "hmac"})
STANDARD_WEBHOOKS_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")
STRIPE_HEADER = "Stripe-Signature"
MIDTRANS_SIGNED_FIELDS = ("order_id", "status_code", "gross_amount")
MIDTRANS_SIGNATURE_FIELD = "signature_key"

# `context.headers.name`, `context.headers."name"`, `context.headers["name"]` in a source expression.
_HEADER_REFERENCE = re.compile(
    r"""context\.headers(?:\s*\.\s*"([^"]+)"|\s*\.\s*([A-Za-z_]\w*)|\s*\[\s*["']([^"']+)["']\s*\])"""
)
_TEMPLATE_HEADER = re.compile(r"\{header:([^{}]+)\}")


@dataclass(frozen=True, slots=True)
class VerificationHeader:
    """A request header the source's preset reads; a delivery without it fails verification."""

    name: str
    description: str


def secret_input_name(source_name: str) -> str:
    """The Arazzo workflow input holding a source's secret: `midtrans` -> `midtransSecret`."""
    return f"{camel_name(source_name)}Secret"


def verification_headers(spec: VerifySpec) -> list[VerificationHeader]:
    """The headers the preset needs, in the order a reader meets them; none for `midtrans` (it signs the body)."""
    preset = spec.preset
    profile = f"the inbound secrets profile `{spec.secrets}`"
    if preset in SECRET_HEADER_PRESETS:
        name = spec.header or DEFAULT_SHARED_SECRET_HEADER
        return [VerificationHeader(name, f"A secret of {profile}, as is.")]
    if preset == "standard-webhooks":
        return [
            VerificationHeader("webhook-id", "The sender's id of the message: signed, and the dedupe key."),
            VerificationHeader(
                "webhook-timestamp",
                f"Unix seconds; refused when more than {spec.tolerance_sec} s away from the server's clock.",
            ),
            VerificationHeader(
                "webhook-signature",
                "`v1,<base64 HMAC-SHA256 of {webhook-id}.{webhook-timestamp}.{body}>` keyed with the base64 part of "
                f"a `whsec_` secret of {profile}; several space-separated while a secret rotates.",
            ),
        ]
    if preset == "stripe":
        return [
            VerificationHeader(
                STRIPE_HEADER,
                "`t=<unix seconds>,v1=<hex HMAC-SHA256 of {t}.{body}>` keyed with an endpoint secret of "
                f"{profile}; refused when `t` is more than {spec.tolerance_sec} s away from the server's clock.",
            )
        ]
    if preset == "hmac" and spec.header:
        encoding = "hex" if spec.encoding == "hex" else "base64"
        content = f"`{spec.signed_content}`" if spec.signed_content else "the raw body"
        lead = f"`{spec.prefix}` + the" if spec.prefix else "The"
        headers = [
            VerificationHeader(
                spec.header,
                f"{lead} {encoding} HMAC-{spec.algorithm.upper()} of {content}, keyed with a secret of {profile}.",
            )
        ]
        if spec.timestamp_header:
            headers.append(
                VerificationHeader(
                    spec.timestamp_header,
                    f"Unix seconds; refused when more than {spec.tolerance_sec} s away from the server's clock.",
                )
            )
        for name in _TEMPLATE_HEADER.findall(spec.signed_content or ""):
            if all(header.name.lower() != name.strip().lower() for header in headers):
                headers.append(VerificationHeader(name.strip(), "Part of the signed content."))
        return headers
    return []


def expression_headers(source: InboundSource) -> list[str]:
    """Headers the source's `deliveryId` or `correlation` expression reads (lower-cased, as they see them)."""
    names: dict[str, None] = {}
    for expression in (source.delivery_id, source.correlation):
        if expression is None:
            continue
        for groups in _HEADER_REFERENCE.findall(expression.source):
            names.setdefault(next(name for name in groups if name).lower())
    signed = {header.name.lower() for header in verification_headers(source.verify)}
    return [name for name in names if name not in signed]


def reject_statuses(source: InboundSource | None) -> tuple[int, ...]:
    """What a delivery failing verification is answered: the source's `rejectStatus`; both when unknown."""
    return (401, 403) if source is None else (source.verify.reject_status,)


def verification_of(source: InboundSource) -> dict[str, Any]:
    """How a sender proves a delivery to `source`, everything but the secret: what `delivery_signing` needs."""
    spec = source.verify
    verification: dict[str, Any] = {"source": source.name, "preset": spec.preset}
    if spec.preset in SECRET_HEADER_PRESETS:
        verification["header"] = spec.header or DEFAULT_SHARED_SECRET_HEADER
    elif spec.preset == "hmac":
        verification.update(
            {"header": spec.header, "algorithm": spec.algorithm, "encoding": spec.encoding, "prefix": spec.prefix}
        )
        if spec.signed_content is not None:
            verification["signedContent"] = spec.signed_content
        if spec.timestamp_header is not None:
            verification["timestampHeader"] = spec.timestamp_header
    return verification


def signature_extension(step: ExternalInputState, source: InboundSource | None) -> dict[str, Any]:
    """`x-journeys-verification` of an Arazzo step submitting to a sourced step: how the delivery must be made.

    Everything but the secret, which comes from the workflow input named `secretInput`; without the source
    (not loaded with the journey) only its name, so the contract runner can say why it cannot sign.
    """
    assert step.source is not None
    extension: dict[str, Any] = {"source": step.source, "secretInput": secret_input_name(step.source)}
    if source is not None:
        extension.update(verification_of(source))
    return extension


def fed_steps(
    definitions: Mapping[str, JourneyDefinition], source_name: str
) -> Iterator[tuple[JourneyDefinition, ExternalInputState]]:
    """The webhook states (of journeys in name order) that deliveries to `source_name` are applied to."""
    for name in sorted(definitions):
        definition = definitions[name]
        for state in definition.states.values():
            if isinstance(state, ExternalInputState) and state.source == source_name:
                yield definition, state
