"""`jwtValidate:v1` (DSL 18.6) and `mtlsValidate:v1` (DSL 18.7): the task blocks, parsed and checked at load.

Inline trust anchors and allow-lists are parsed here, once, so a PEM that is no certificate or a subject that is
no distinguished name is a load error naming the field, never a surprise on a request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar, cast

from cryptography import x509

from journeys.credentials.certificate_rules import (
    CertificateFilters,
    parse_anchor,
    parse_san,
    parse_serial,
    parse_subject,
)
from journeys.definitions.fields import Block

T = TypeVar("T")
TokenLocation = Literal["header", "query", "cookie"]


@dataclass(frozen=True, slots=True)
class TokenSource:
    """Where a token is read: a header, query parameter or cookie, and a scheme prefix to strip (`Bearer`)."""

    location: TokenLocation
    name: str
    scheme: str | None = None


@dataclass(frozen=True, slots=True)
class JwtValidateTask:
    """`jwtValidate:v1`: verify a bearer token against a configured profile and project its header and claims."""

    profile: str = "default"
    source: TokenSource | None = None
    auth_var: str = "auth"
    kind: str = "jwtValidate:v1"


@dataclass(frozen=True, slots=True)
class MtlsValidateTask:
    """`mtlsValidate:v1`: validate the request's client certificate against a profile, with task overrides."""

    profile: str = "default"
    trust_anchors: tuple[x509.Certificate, ...] | None = None
    allow_any_from_trusted: bool | None = None
    filters: CertificateFilters = field(default_factory=CertificateFilters)
    auth_var: str = "auth"
    kind: str = "mtlsValidate:v1"


def token_source(block: Block) -> TokenSource | None:
    """A `source` block: `location` (header, query, cookie), `name`, optional `scheme`."""
    block.allow("location", "name", "scheme")
    location = block.one_of("location", ("header", "query", "cookie"), required=True)
    name = block.string("name", required=True)
    scheme = block.string("scheme")
    if location is None or name is None or (block.has("scheme") and scheme is None):
        return None
    return TokenSource(cast(TokenLocation, location), name, scheme)


def parse_jwt_validate(block: Block) -> JwtValidateTask | None:
    block.allow("kind", "profile", "source", "authVar")
    profile = block.string("profile", default="default")
    auth_var = block.identifier("authVar", default="auth")
    source_block = block.block("source")
    source = token_source(source_block) if source_block is not None else None
    if profile is None or auth_var is None or (block.has("source") and source is None):
        return None
    return JwtValidateTask(profile=profile, source=source, auth_var=auth_var)


def parse_mtls_validate(block: Block) -> MtlsValidateTask | None:
    reported = len(block.ctx.errors)
    block.allow(
        "kind",
        "profile",
        "trustAnchors",
        "allowAnyFromTrusted",
        "allowSubjects",
        "allowSans",
        "allowSerials",
        "authVar",
    )
    profile = block.string("profile", default="default")
    auth_var = block.identifier("authVar", default="auth")
    allow_any = block.boolean("allowAnyFromTrusted", default=False) if block.has("allowAnyFromTrusted") else None
    anchors = _listed(block, "trustAnchors", _anchor)
    subjects = _listed(block, "allowSubjects", parse_subject)
    sans = _listed(block, "allowSans", parse_san)
    serials = _listed(block, "allowSerials", parse_serial)
    if profile is None or auth_var is None or len(block.ctx.errors) > reported:
        return None
    return MtlsValidateTask(
        profile=profile,
        trust_anchors=anchors,
        allow_any_from_trusted=allow_any,
        filters=CertificateFilters(subjects, sans, serials),
        auth_var=auth_var,
    )


def _anchor(entry: object) -> x509.Certificate:
    """A `trustAnchors` entry: `{pem: <certificate>}`."""
    if not isinstance(entry, dict) or set(entry) != {"pem"}:
        raise ValueError("each entry is {pem: <PEM certificate>}")
    return parse_anchor(entry["pem"])


def _listed(block: Block, key: str, parse: Callable[[Any], T]) -> tuple[T, ...] | None:
    """A non-empty list whose every entry `parse` accepts; each bad entry is reported at its index."""
    if not block.has(key):
        return None
    entries = block.data[key]
    if not isinstance(entries, list) or not entries:
        block.report(key, "must be a non-empty list")
        return None
    parsed: list[T] = []
    for index, entry in enumerate(entries):
        try:
            parsed.append(parse(entry))
        except ValueError as error:
            block.ctx.report((*block.at(key), index), str(error))
    return tuple(parsed) if len(parsed) == len(entries) else None
