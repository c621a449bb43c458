"""What a client certificate must be to be accepted: trust anchors and the allow-lists (`allowSubjects`,
`allowSans`, `allowSerials`) of `mtlsValidate:v1`, parsed once from a definition or the server config.

Subjects are compared as X.509 names, not as text: `CN=a, O=B` and `CN=a,O=B` are the same subject, and the
order is the one RFC 4514 writes (most specific first, as `subjectDn` shows it). Serial numbers are hex, with
or without colons, in any case. A DNS SAN matches without regard to case, an IP SAN by address value.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from cryptography import x509

SanKind = Literal["dns", "ip", "uri"]
SAN_KINDS: tuple[SanKind, ...] = ("dns", "ip", "uri")
_SEPARATOR_SPACES = re.compile(r"(?<!\\)\s*,\s*")


@dataclass(frozen=True, slots=True)
class SanRule:
    """One `allowSans` entry, its value normalised as `san_values` writes a certificate's."""

    kind: SanKind
    value: str


@dataclass(frozen=True, slots=True)
class CertificateFilters:
    """The allow-lists; None is "not configured" (an empty list is refused when parsed)."""

    subjects: tuple[x509.Name, ...] | None = None
    sans: tuple[SanRule, ...] | None = None
    serials: tuple[int, ...] | None = None

    @property
    def configured(self) -> bool:
        return self.subjects is not None or self.sans is not None or self.serials is not None

    def over(self, defaults: CertificateFilters) -> CertificateFilters:
        """These filters, each one not configured here taken from `defaults` (a task's over its profile's)."""
        return CertificateFilters(
            self.subjects if self.subjects is not None else defaults.subjects,
            self.sans if self.sans is not None else defaults.sans,
            self.serials if self.serials is not None else defaults.serials,
        )


def parse_anchor(pem: object) -> x509.Certificate:
    """One PEM certificate; raises ValueError."""
    if not isinstance(pem, str) or "-----BEGIN CERTIFICATE-----" not in pem:
        raise ValueError("must be a PEM certificate (-----BEGIN CERTIFICATE-----)")
    try:
        return x509.load_pem_x509_certificate(pem.encode())
    except ValueError as error:
        raise ValueError(f"not a usable PEM certificate ({error})") from error


def parse_subject(text: object) -> x509.Name:
    if not isinstance(text, str) or not text.strip():
        raise ValueError("must be a distinguished name such as 'CN=client,O=Example'")
    try:
        # Spaces after the commas (as many tools print names) are not part of RFC 4514, and not of any value.
        return x509.Name.from_rfc4514_string(_SEPARATOR_SPACES.sub(",", text.strip()))
    except ValueError as error:
        raise ValueError(f"'{text}' is not a distinguished name such as 'CN=client,O=Example'") from error


def parse_serial(text: object) -> int:
    if isinstance(text, bool) or not isinstance(text, str):
        raise ValueError("must be a string of hex digits (colons allowed), e.g. '01AB'")
    try:
        return int(text.replace(":", ""), 16)
    except ValueError as error:
        raise ValueError(f"'{text}' is not a hex serial number") from error


def parse_san(entry: object) -> SanRule:
    """`{dns: ...}`, `{ip: ...}` or `{uri: ...}`."""
    if not isinstance(entry, Mapping) or len(entry) != 1 or next(iter(entry)) not in SAN_KINDS:
        raise ValueError("each entry is one of {dns: <name>}, {ip: <address>}, {uri: <uri>}")
    kind, value = next(iter(entry.items()))
    if not isinstance(value, str) or not value:
        raise ValueError(f"{kind} must be a non-empty string")
    if kind == "ip":
        try:
            return SanRule("ip", str(ipaddress.ip_address(value)))
        except ValueError as error:
            raise ValueError(f"'{value}' is not an IP address") from error
    return SanRule(kind, value.lower() if kind == "dns" else value)


def san_values(certificate: x509.Certificate) -> set[SanRule]:
    """The certificate's DNS, IP and URI subject alternative names, normalised as `parse_san` does."""
    try:
        names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return set()
    return {
        *(SanRule("dns", name.lower()) for name in names.get_values_for_type(x509.DNSName)),
        *(SanRule("ip", str(address)) for address in names.get_values_for_type(x509.IPAddress)),
        *(SanRule("uri", uri) for uri in names.get_values_for_type(x509.UniformResourceIdentifier)),
    }
