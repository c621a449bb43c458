"""`mtlsValidate:v1`: the configured profiles (`mtlsProfiles:`), and the check a task makes against one.

```yaml
mtlsProfiles:
  default:
    trustAnchors: [clients-ca.pem]        # PEM files (relative to the config file) or inline PEM certificates
    allowAnyFromTrusted: true             # default false: without an allow-list nothing is accepted
    allowSubjects: ["CN=billing,OU=Journeys,O=Example"]
    allowSans: [{dns: billing.example.com}]
    allowSerials: ["01AB"]
```

A task's `trustAnchors`, `allowAnyFromTrusted` and each allow-list replace the profile's. The certificate comes
from the request (`InboundRequest.client_certificates`): the TLS connection's peer certificate, or the header
of a trusted proxy when the server is configured so; the engine does not know which.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from cryptography import x509

from journeys.credentials.certificate_rules import (
    CertificateFilters,
    parse_anchor,
    parse_san,
    parse_serial,
    parse_subject,
)
from journeys.credentials.client_certificates import MISSING, CertificateRejected, validate_chain
from journeys.definitions.auth_tasks import MtlsValidateTask
from journeys.engine.errors import EngineConfigurationError
from journeys.engine.runs import InboundRequest
from journeys.settings_blocks import known_keys

PROBLEM_BASE = "https://journeys.dev/problems/mtls"
_PROFILE_FIELDS = frozenset({"trustAnchors", "allowAnyFromTrusted", "allowSubjects", "allowSans", "allowSerials"})
_TITLES = {
    "MTLS_CERT_MISSING": "Client certificate missing",
    "MTLS_CERT_UNPARSEABLE": "Client certificate unparseable",
    "MTLS_CERT_UNTRUSTED": "Client certificate untrusted",
    "MTLS_SUBJECT_DENIED": "Client certificate subject denied",
    "MTLS_SAN_DENIED": "Client certificate SAN denied",
    "MTLS_SERIAL_DENIED": "Client certificate serial denied",
}
T = TypeVar("T")


@dataclass(frozen=True)
class MtlsProfile:
    name: str
    trust_anchors: tuple[x509.Certificate, ...] = ()
    allow_any_from_trusted: bool = False
    filters: CertificateFilters = field(default_factory=CertificateFilters)


def parse_mtls_profiles(document: object, base: Path, setting: str = "mtlsProfiles") -> dict[str, MtlsProfile]:
    """`mtlsProfiles:` (name -> profile); raises ValueError naming the field at fault."""
    if not isinstance(document, Mapping):
        raise ValueError(f"{setting} must map profile names to trust anchors and allow-lists")
    profiles: dict[str, MtlsProfile] = {}
    for name, entry in document.items():
        where = f"{setting}.{name}"
        entry = known_keys(entry, where, _PROFILE_FIELDS)
        allow_any = entry.get("allowAnyFromTrusted", False)
        if not isinstance(allow_any, bool):
            raise ValueError(f"{where}.allowAnyFromTrusted must be true or false")
        anchors = _entries(entry, "trustAnchors", where, lambda value: _anchor(value, base)) or ()
        filters = CertificateFilters(
            _entries(entry, "allowSubjects", where, parse_subject),
            _entries(entry, "allowSans", where, parse_san),
            _entries(entry, "allowSerials", where, parse_serial),
        )
        profiles[str(name)] = MtlsProfile(str(name), anchors, allow_any, filters)
    return profiles


def _entries(entry: Mapping[str, Any], key: str, where: str, parse: Callable[[Any], T]) -> tuple[T, ...] | None:
    if key not in entry:
        return None
    values = entry[key]
    if not isinstance(values, list) or not values:
        raise ValueError(f"{where}.{key} must be a non-empty list")
    parsed = []
    for index, value in enumerate(values):
        try:
            parsed.append(parse(value))
        except ValueError as error:
            raise ValueError(f"{where}.{key}[{index}]: {error}") from error
    return tuple(parsed)


def _anchor(value: object, base: Path) -> x509.Certificate:
    """A PEM certificate, inline or in a file (the first certificate of the file)."""
    if isinstance(value, str) and "-----BEGIN" not in value:
        try:
            value = (base / value).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise ValueError(f"cannot read {base / value}: {error}") from error
    return parse_anchor(value)


def mtls_view(
    task: MtlsValidateTask, profiles: Mapping[str, MtlsProfile], request: InboundRequest, now: datetime
) -> dict[str, Any]:
    """`{subjectDn, issuerDn, fingerprintSha256}` of an accepted certificate, or `{problem}` (401, MTLS_*)."""
    profile = profiles.get(task.profile)
    if profile is None:
        raise EngineConfigurationError(
            f"MTLS_CONFIG_PROFILE_MISSING: mTLS profile '{task.profile}' is not configured on this server "
            "(mtlsProfiles)"
        )
    if not request.client_certificates:  # the anchors are not needed to say so (an exported contract's simulation)
        return _problem(CertificateRejected(MISSING, "no client certificate was presented"))
    anchors = task.trust_anchors if task.trust_anchors is not None else profile.trust_anchors
    if not anchors:
        raise EngineConfigurationError(
            f"MTLS_CONFIG_TRUST_ANCHORS_INVALID: mTLS profile '{task.profile}' has no trustAnchors"
        )
    allow_any = task.allow_any_from_trusted
    try:
        accepted = validate_chain(
            request.client_certificates,
            anchors,
            task.filters.over(profile.filters),
            profile.allow_any_from_trusted if allow_any is None else allow_any,
            now,
        )
    except CertificateRejected as rejected:
        return _problem(rejected)
    return {
        "subjectDn": accepted.subject_dn,
        "issuerDn": accepted.issuer_dn,
        "fingerprintSha256": accepted.fingerprint_sha256,
    }


def _problem(rejected: CertificateRejected) -> dict[str, Any]:
    slug = rejected.code.removeprefix("MTLS_").replace("_", "-").lower()
    problem = {"type": f"{PROBLEM_BASE}/{slug}", "title": _TITLES[rejected.code], "status": 401}
    return {"problem": {**problem, "detail": rejected.detail, "code": rejected.code}}
