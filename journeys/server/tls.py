"""HTTPS for `journeys serve`, and the client certificate a request carries (for `mtlsValidate:v1`).

```yaml
tls:
  certificate: server.pem        # the server's certificate chain (PEM), relative to the config file
  key: server-key.pem            # its private key (PEM, unencrypted)
  clientCa: clients-ca.pem       # CA bundle client certificates are checked against during the handshake
  clientCert: optional           # none (default without clientCa) | optional (default with it) | required
clientCertHeader: X-Forwarded-Client-Cert   # only behind a proxy that sets it and strips it from clients
```

A request's client certificate comes from exactly one place. With `clientCertHeader` set, it is the header a
TLS-terminating proxy writes (the connection's own peer is the proxy then): the URL-encoded PEM chain (nginx's
`$ssl_client_escaped_cert`) or an Envoy `X-Forwarded-Client-Cert` element's `Cert=`/`Chain=`. Configure it only
behind a proxy that overwrites the header, or any client could claim any certificate. Without it, the TLS
connection's peer certificate is used (Python's `ssl` exposes only the client's own certificate, not the
intermediates it sent: the trust anchors of an mTLS profile must then include the client's issuing CA) and the
header, if a client sends one, is ignored.
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, cast
from urllib.parse import unquote

from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

ClientCertMode = Literal["none", "optional", "required"]
CLIENT_CERT_MODES: dict[str, ssl.VerifyMode] = {
    "none": ssl.CERT_NONE,
    "optional": ssl.CERT_OPTIONAL,
    "required": ssl.CERT_REQUIRED,
}
CLIENT_CERT_HEADER: web.AppKey[str | None] = web.AppKey("client_cert_header", str)
_TLS_FIELDS = frozenset({"certificate", "key", "clientCa", "clientCert"})
_PEM_BLOCK = re.compile(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.DOTALL)
_XFCC_FIELD = re.compile(r'(Cert|Chain)=("(?:[^"\\]|\\.)*"|[^;,]*)')


@dataclass(frozen=True)
class TlsSettings:
    certificate: Path
    key: Path
    client_ca: Path | None = None
    client_cert: ClientCertMode = "none"

    def context(self) -> ssl.SSLContext:
        """A server context (TLS 1.2 or later); raises ValueError when a file cannot be used."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        try:
            context.load_cert_chain(self.certificate, self.key)
            if self.client_ca is not None:
                context.load_verify_locations(cafile=self.client_ca)
        except (OSError, ssl.SSLError) as error:
            raise ValueError(f"tls: cannot use the certificate, key or clientCa: {error}") from error
        context.verify_mode = CLIENT_CERT_MODES[self.client_cert]
        return context


def parse_tls(document: object, base: Path) -> TlsSettings:
    """`tls:`; paths are relative to `base`. Loaded once here, so a bad file stops the start-up."""
    if not isinstance(document, Mapping) or set(document) - _TLS_FIELDS:
        raise ValueError(f"tls must be a mapping with {sorted(_TLS_FIELDS)}")
    paths = {}
    for key in ("certificate", "key", "clientCa"):
        value = document.get(key)
        if value is not None and (not isinstance(value, str) or not value):
            raise ValueError(f"tls.{key} must be the path of a PEM file")
        paths[key] = None if value is None else base / value
    if paths["certificate"] is None or paths["key"] is None:
        raise ValueError("tls needs certificate and key (PEM files)")
    mode = document.get("clientCert", "optional" if paths["clientCa"] else "none")
    if mode not in CLIENT_CERT_MODES:
        raise ValueError(f"tls.clientCert must be one of {', '.join(CLIENT_CERT_MODES)}")
    if mode != "none" and paths["clientCa"] is None:
        raise ValueError("tls.clientCert optional or required needs tls.clientCa (the CAs clients are checked against)")
    settings = TlsSettings(paths["certificate"], paths["key"], paths["clientCa"], cast(ClientCertMode, mode))
    settings.context()
    return settings


def parse_cert_header(value: object) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9-]+", value):
        raise ValueError("clientCertHeader must be a header name, e.g. X-Forwarded-Client-Cert")
    return value


def client_certificates(request: web.Request) -> tuple[bytes, ...]:
    """The request's client certificate chain (DER, the client's own first); () when it presented none."""
    header = request.app.get(CLIENT_CERT_HEADER)
    if header is not None:
        return header_certificates(request.headers.get(header, ""))
    ssl_object = request.transport.get_extra_info("ssl_object") if request.transport is not None else None
    peer = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
    return (peer,) if peer else ()


def header_certificates(value: str) -> tuple[bytes, ...]:
    """The chain in a proxy's header: an Envoy XFCC element's `Cert=`/`Chain=` (its last element: the one our
    proxy added), else the whole value as URL-encoded PEM. An empty header is no certificate; a value holding no
    certificate, or one that cannot be parsed, is passed on as its raw bytes, so the task reports it unparseable."""
    if "Cert=" in value or "Chain=" in value:
        element = _last_element(value)
        fields = [raw.strip('"').replace('\\"', '"') for _, raw in _XFCC_FIELD.findall(element)]
        text = "\n".join(unquote(raw) for raw in fields)
    else:
        text = unquote(value)
    chain = []
    for block in _PEM_BLOCK.findall(text):
        try:
            chain.append(x509.load_pem_x509_certificate(block.encode()).public_bytes(Encoding.DER))
        except ValueError:
            chain.append(block.encode())
    return tuple(chain) if chain or not value.strip() else (value.encode("utf-8", "surrogateescape"),)


def _last_element(value: str) -> str:
    """The last comma-separated element of an XFCC value, commas inside quotes kept."""
    start, quoted = 0, False
    for index, char in enumerate(value):
        if char == '"' and (index == 0 or value[index - 1] != "\\"):
            quoted = not quoted
        elif char == "," and not quoted:
            start = index + 1
    return value[start:]
