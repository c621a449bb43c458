"""`journeys serve` with `tls:` in its config serves HTTPS, and asks for client certificates as configured; the
mTLS task sees the connection's certificate. A real child process, certificates made in the test."""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator
from pathlib import Path

import aiohttp
import pytest

from tests.credentials.certificates import authority, leaf
from tests.credentials.conftest import JOURNEYS
from tests.server_process import ServerProcess, spawning


@pytest.fixture
def certificates(tmp_path: Path) -> Path:
    clients_ca, server_ca = authority(), authority("CN=Server CA")
    clients_ca.write(tmp_path, "clients-ca")
    server_ca.write(tmp_path, "server-ca")
    leaf(server_ca, "CN=journeys.test", ips=("127.0.0.1",), server=True).write(tmp_path, "server")
    leaf(clients_ca).write(tmp_path, "client")
    return tmp_path


@pytest.fixture
def spawn(certificates: Path) -> Iterator[Callable[[str], ServerProcess]]:
    tls = {"certificate": "server.pem", "key": "server-key.pem", "clientCa": "clients-ca.pem", "clientCert": "required"}
    profiles = {"default": {"trustAnchors": ["clients-ca.pem"], "allowAnyFromTrusted": True}}
    yield from spawning(certificates, {"tls": tls, "mtlsProfiles": profiles}, definitions=(JOURNEYS,))


def _client(certificates: Path, *, with_certificate: bool) -> aiohttp.ClientSession:
    context = ssl.create_default_context(cafile=certificates / "server-ca.pem")
    if with_certificate:
        context.load_cert_chain(certificates / "client.pem", certificates / "client-key.pem")
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=context))


async def test_serve_speaks_https_and_requires_a_client_certificate(
    spawn: Callable[[str], ServerProcess], certificates: Path, sqlite_url: str
) -> None:
    process = spawn(sqlite_url)
    process.base = process.base.replace("http://", "https://")
    async with _client(certificates, with_certificate=True) as http:
        await process.ready(http)
        async with http.post(f"{process.base}/journeys/mtls-start/start", json={}) as response:
            started = await response.json()
            assert response.status == 200, started
        async with http.get(f"{process.base}/journeys/{started['journeyId']}/result") as response:
            output = (await response.json())["output"]
        assert output["mtls"]["subjectDn"] == "CN=journey-client,OU=Journeys,O=Example,C=HR"
    async with _client(certificates, with_certificate=False) as http:
        with pytest.raises(aiohttp.ClientError):  # clientCert: required refuses the handshake
            async with http.get(f"{process.base}/journeys?limit=1") as response:
                await response.read()
