"""`mtlsValidate:v1` over real HTTPS: the client certificate of the TLS connection (or, when configured, of a
trusted proxy's header) is validated against the profile's trust anchors and allow-lists."""

from __future__ import annotations

import hashlib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.credentials.certificates import NOW, Issued, authority, leaf
from tests.credentials.conftest import AuthServer

JOURNEY_CLIENT = "CN=journey-client,OU=Journeys,O=Example,C=HR"


@dataclass
class Pki:
    directory: Path
    clients_ca: Issued
    partner_ca: Issued
    server_ca: Issued
    client: Issued
    billing: Issued
    partner: Issued

    def client_context(self, holder: Issued | None) -> ssl.SSLContext:
        """What a client trusts (the server's CA) and, unless None, the certificate it presents."""
        context = ssl.create_default_context(cafile=self.directory / "server-ca.pem")
        if holder is not None:
            name = hashlib.sha256(holder.der).hexdigest()[:12]
            context.load_cert_chain(*holder.write(self.directory, name))
        return context


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    clients_ca, partner_ca, server_ca = authority(), authority("CN=Partner CA,O=Partner"), authority("CN=Server CA")
    clients_ca.write(tmp_path, "clients-ca")
    server_ca.write(tmp_path, "server-ca")
    leaf(server_ca, "CN=journeys.test", ips=("127.0.0.1",), server=True).write(tmp_path, "server")
    # The handshake accepts both client CAs; the mTLS profile trusts only one of them.
    (tmp_path / "handshake-cas.pem").write_text(clients_ca.pem + partner_ca.pem)
    return Pki(
        tmp_path,
        clients_ca,
        partner_ca,
        server_ca,
        client=leaf(clients_ca),
        billing=leaf(clients_ca, "CN=billing,OU=Journeys,O=Example,C=HR", dns=("billing.example.test",)),
        partner=leaf(partner_ca, "CN=partner-client,O=Partner"),
    )


TLS = {"certificate": "server.pem", "key": "server-key.pem", "clientCa": "handshake-cas.pem", "clientCert": "optional"}
PROFILES = {"default": {"trustAnchors": ["clients-ca.pem"], "allowAnyFromTrusted": True}}


async def _https(auth_server: Callable[..., Any], pki: Pki, holder: Issued | None) -> AuthServer:
    settings = {"tls": TLS, "mtlsProfiles": PROFILES}
    return await auth_server(settings, pki.client_context(holder))  # type: ignore[no-any-return]


async def _auth_of(server: AuthServer, journey: str = "mtls-start", **kwargs: Any) -> Any:
    status, started = await server.start(journey, **kwargs)
    assert status == 200, started
    return await server.output(started["journeyId"])


async def test_the_tls_client_certificate_is_validated_and_described(auth_server: Callable[..., Any], pki: Pki) -> None:
    server = await _https(auth_server, pki, pki.client)
    assert server.base_url.startswith("https://")
    assert (await _auth_of(server))["mtls"] == {
        "subjectDn": JOURNEY_CLIENT,
        "issuerDn": "CN=Test Clients CA,O=Example,C=HR",
        "fingerprintSha256": hashlib.sha256(pki.client.der).hexdigest(),
    }


@pytest.mark.parametrize(
    ("holder", "code"),
    [(None, "MTLS_CERT_MISSING"), ("partner", "MTLS_CERT_UNTRUSTED")],
)
async def test_no_certificate_or_an_untrusted_one_leaves_a_problem(
    auth_server: Callable[..., Any], pki: Pki, holder: str | None, code: str
) -> None:
    server = await _https(auth_server, pki, None if holder is None else getattr(pki, holder))
    problem = (await _auth_of(server))["mtls"]["problem"]
    assert (problem["code"], problem["status"]) == (code, 401)
    assert "subjectDn" not in (await _auth_of(server))["mtls"]


async def test_task_allow_lists_admit_only_the_named_client(auth_server: Callable[..., Any], pki: Pki) -> None:
    billing = await _https(auth_server, pki, pki.billing)
    context = await _auth_of(billing, "mtls-billing-only")
    assert context["bySubject"]["mtls"]["subjectDn"] == "CN=billing,OU=Journeys,O=Example,C=HR"
    assert context["bySan"]["mtls"]["subjectDn"] == "CN=billing,OU=Journeys,O=Example,C=HR"
    other = await _https(auth_server, pki, pki.client)
    context = await _auth_of(other, "mtls-billing-only")
    assert context["bySubject"]["mtls"]["problem"]["code"] == "MTLS_SUBJECT_DENIED"
    assert context["bySan"]["mtls"]["problem"]["code"] == "MTLS_SAN_DENIED"


async def test_a_step_submission_without_an_accepted_certificate_is_refused(
    auth_server: Callable[..., Any], pki: Pki
) -> None:
    anonymous = await _https(auth_server, pki, None)
    status, started = await anonymous.start("mtls-step-guard")
    path = f"/api/v1/journeys/{started['journeyId']}/steps/review"
    status, problem = await anonymous.call("POST", path, {"ok": True})
    assert (status, problem["code"]) == (401, "MTLS_CERT_MISSING")
    status, journey = await anonymous.call("GET", f"/api/v1/journeys/{started['journeyId']}")
    assert (journey["phase"], journey["currentState"]) == ("Running", "review")
    # The same journey, submitted over a connection that presents the client's certificate.
    holder = await _https(auth_server, pki, pki.client)
    holder.base_url = anonymous.base_url
    status, answer = await holder.call("POST", path, {"ok": True})
    assert (status, answer["phase"]) == (200, "Succeeded")


async def test_the_proxy_header_is_used_only_when_configured(auth_server: Callable[..., Any], pki: Pki) -> None:
    header = {"X-Client-Cert": quote(pki.client.pem)}
    trusting = await auth_server({"mtlsProfiles": PROFILES, "clientCertHeader": "X-Client-Cert"})
    assert (await _auth_of(trusting, headers=header))["mtls"]["subjectDn"] == JOURNEY_CLIENT
    envoy = {"X-Client-Cert": f'By=spiffe://proxy;Hash=abc;Cert="{quote(pki.client.pem)}";Subject="CN=x"'}
    assert (await _auth_of(trusting, headers=envoy))["mtls"]["subjectDn"] == JOURNEY_CLIENT
    garbled = {"X-Client-Cert": quote(pki.client.pem.replace("M", "A", 3))}
    assert (await _auth_of(trusting, headers=garbled))["mtls"]["problem"]["code"] == "MTLS_CERT_UNPARSEABLE"
    not_pem = {"X-Client-Cert": "not-a-certificate"}
    assert (await _auth_of(trusting, headers=not_pem))["mtls"]["problem"]["code"] == "MTLS_CERT_UNPARSEABLE"
    ignoring = await auth_server({"mtlsProfiles": PROFILES})
    assert (await _auth_of(ignoring, headers=header))["mtls"]["problem"]["code"] == "MTLS_CERT_MISSING"


async def test_validity_follows_the_engine_clock_and_filters_are_required_by_default(
    auth_server: Callable[..., Any], pki: Pki
) -> None:
    expired = leaf(pki.clients_ca, valid_until=NOW + timedelta(hours=1))
    strict = {"default": {"trustAnchors": [pki.clients_ca.pem]}}  # inline, and allowAnyFromTrusted false
    server = await auth_server({"mtlsProfiles": strict, "clientCertHeader": "X-Client-Cert"})
    header = {"X-Client-Cert": quote(pki.client.pem)}
    problem = (await _auth_of(server, headers=header))["mtls"]["problem"]
    assert problem["code"] == "MTLS_SUBJECT_DENIED" and "allowAnyFromTrusted" in problem["detail"]
    lenient = await auth_server({"mtlsProfiles": PROFILES, "clientCertHeader": "X-Client-Cert"})
    soon_expired = {"X-Client-Cert": quote(expired.pem)}
    assert "subjectDn" in (await _auth_of(lenient, headers=soon_expired))["mtls"]
    lenient.clock.advance(hours=2)
    problem = (await _auth_of(lenient, headers=soon_expired))["mtls"]["problem"]
    assert problem["code"] == "MTLS_CERT_UNTRUSTED"
