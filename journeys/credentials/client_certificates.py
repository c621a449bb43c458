"""Validate a client certificate chain against trust anchors and allow-lists, at a given instant.

The chain is built and checked by `cryptography`'s RFC 5280 client verifier (signatures, validity periods
against the caller's clock, CA constraints on every issuer), with one relaxation: a client certificate need
not carry a subjectAltName (many client certificates name their holder only in the subject). The codes are those
of the DSL's `mtlsValidate:v1` (MTLS_*). Revocation is not checked (no CRL or OCSP configuration exists), so
MTLS_CERT_REVOKED is never produced.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.x509.verification import (
    Criticality,
    ExtensionPolicy,
    PolicyBuilder,
    Store,
    VerificationError,
)

from journeys.credentials.certificate_rules import CertificateFilters, san_values

MISSING = "MTLS_CERT_MISSING"
UNPARSEABLE = "MTLS_CERT_UNPARSEABLE"
UNTRUSTED = "MTLS_CERT_UNTRUSTED"
SUBJECT_DENIED = "MTLS_SUBJECT_DENIED"
SAN_DENIED = "MTLS_SAN_DENIED"
SERIAL_DENIED = "MTLS_SERIAL_DENIED"

_CLIENT_POLICY = ExtensionPolicy.webpki_defaults_ee().may_be_present(
    x509.SubjectAlternativeName, Criticality.AGNOSTIC, None
)


class CertificateRejected(Exception):
    """A client certificate that is not acceptable: `code` (MTLS_*) and a `detail` safe to send back."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code, self.detail = code, detail


@dataclass(frozen=True, slots=True)
class AcceptedCertificate:
    """What a journey may see of an accepted certificate (never its bytes)."""

    subject_dn: str
    issuer_dn: str
    fingerprint_sha256: str


def validate_chain(
    chain: Sequence[bytes],
    anchors: Sequence[x509.Certificate],
    filters: CertificateFilters,
    allow_any_from_trusted: bool,
    now: datetime,
) -> AcceptedCertificate:
    """Accept `chain` (DER, the client's certificate first, then any intermediates) or raise CertificateRejected.
    The caller has made sure there is a chain: without one the code is MISSING."""
    try:
        leaf, *intermediates = (x509.load_der_x509_certificate(der) for der in chain)
    except ValueError as error:
        raise CertificateRejected(UNPARSEABLE, f"the client certificate cannot be parsed ({error})") from error
    verifier = (
        PolicyBuilder()
        .store(Store(list(anchors)))
        .time(now)
        .extension_policies(ca_policy=ExtensionPolicy.webpki_defaults_ca(), ee_policy=_CLIENT_POLICY)
        .build_client_verifier()
    )
    try:
        verifier.verify(leaf, intermediates)
    except VerificationError as error:
        raise CertificateRejected(UNTRUSTED, f"the client certificate is not trusted ({error})") from error
    _admit(leaf, filters, allow_any_from_trusted)
    return AcceptedCertificate(
        subject_dn=leaf.subject.rfc4514_string(),
        issuer_dn=leaf.issuer.rfc4514_string(),
        fingerprint_sha256=hashlib.sha256(chain[0]).hexdigest(),
    )


def _admit(leaf: x509.Certificate, filters: CertificateFilters, allow_any_from_trusted: bool) -> None:
    """Every configured allow-list must admit the certificate; with none, `allow_any_from_trusted` decides."""
    if filters.subjects is not None and leaf.subject not in filters.subjects:
        raise CertificateRejected(SUBJECT_DENIED, "the client certificate's subject is not allowed")
    if filters.sans is not None and not san_values(leaf) & set(filters.sans):
        raise CertificateRejected(SAN_DENIED, "no subject alternative name of the client certificate is allowed")
    if filters.serials is not None and leaf.serial_number not in filters.serials:
        raise CertificateRejected(SERIAL_DENIED, "the client certificate's serial number is not allowed")
    if not filters.configured and not allow_any_from_trusted:
        raise CertificateRejected(
            SUBJECT_DENIED,
            "no allowSubjects, allowSans or allowSerials admits the certificate, and allowAnyFromTrusted is false",
        )
