"""API keys: several per client (rotation), kept only as digests, refused clearly when misconfigured."""

from __future__ import annotations

import asyncio
import json
import pickle
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from journeys.server.auth import ClientAuth, parse_clients
from journeys.server.config import ConfigError, load_config
from tests.auth.clients import (
    CLIENTS,
    OBSERVER_KEY,
    OPS_KEY,
    RETIRED_KEY,
    SHOP_KEY,
    SHOP_NEXT_KEY,
    bearer,
    journey_ids,
    start_as,
)
from tests.server.helpers import call
from tests.support import LiveServer


async def test_every_key_of_a_client_is_that_client(auth_server: LiveServer) -> None:
    journey_id = await start_as(auth_server, SHOP_KEY)
    assert await journey_ids(auth_server, SHOP_NEXT_KEY) == {journey_id}


async def test_a_retired_key_is_refused(auth_server: LiveServer) -> None:
    async with auth_server.http.get(auth_server.url("/api/v1/journeys"), headers=bearer(RETIRED_KEY)) as response:
        assert response.status == 401
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="journeys", error="invalid_token"'
        problem = await response.json(content_type=None)
    assert problem["detail"] == "the credential is not a key of any configured client"


async def test_rotating_a_key_keeps_the_clients_journeys(start_server: Callable[..., object], sqlite_url: str) -> None:
    """Journeys belong to the client, not to the key: after the old key is dropped the new one sees them."""
    before = await start_server(sqlite_url, client_auth=ClientAuth(clients=parse_clients(CLIENTS)))  # type: ignore[misc]
    journey_id = await start_as(before, SHOP_KEY)
    rotated = {**CLIENTS, "shop": {**CLIENTS["shop"], "keys": [SHOP_NEXT_KEY]}}
    after = await start_server(sqlite_url, client_auth=ClientAuth(clients=parse_clients(rotated)))  # type: ignore[misc]
    assert await journey_ids(after, SHOP_NEXT_KEY) == {journey_id}
    status, _, _ = await call(after, "GET", f"/api/v1/journeys/{journey_id}", headers=bearer(SHOP_KEY))
    assert status == 401


def _config_file(tmp_path: Path, clients: object) -> Path:
    path = tmp_path / "journeys.yaml"
    path.write_text(yaml.safe_dump({"clients": clients}), encoding="utf-8")
    return path


def test_plaintext_keys_are_not_kept(tmp_path: Path) -> None:
    config = load_config(config_file=str(_config_file(tmp_path, CLIENTS)), environ={})
    assert set(config.client_auth.clients) == set(CLIENTS)
    kept = pickle.dumps(config.client_auth) + repr(config).encode()
    for key in (SHOP_KEY, OPS_KEY, OBSERVER_KEY):
        assert key.encode() not in kept


@pytest.mark.parametrize(
    ("clients", "message"),
    [
        ({"shop": {"keys": ["short"], "scopes": ["journeys:read"]}}, "clients.shop.keys: keys must be at least 16"),
        ({"shop": {"keys": [SHOP_KEY], "scopes": ["journeys:write"]}}, "unknown scope 'journeys:write'"),
        ({"shop": {"keys": [SHOP_KEY], "scopes": ["journeys:start"]}}, "unknown scope 'journeys:start'"),
        ({"shop": {"keys": ["sha256:abc"], "scopes": []}}, "a sha256: entry must be 64 hex digits"),
        ({"shop": {"keys": [], "scopes": []}}, "clients.shop.keys must be a non-empty list"),
        ({"shop": {"keys": [SHOP_KEY], "scopes": [], "role": "x"}}, "clients.shop must be a mapping with 'keys'"),
        (
            {"a": {"keys": [SHOP_KEY], "scopes": []}, "b": {"keys": [SHOP_KEY], "scopes": []}},
            "clients.b: a key of client 'a' is given again",
        ),
    ],
)
def test_a_misconfigured_client_is_refused_at_load(tmp_path: Path, clients: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(config_file=str(_config_file(tmp_path, clients)), environ={})


def test_clients_from_the_environment(tmp_path: Path) -> None:
    environ = {"JOURNEYS_CLIENTS": json.dumps({"ops": {"keys": [OPS_KEY], "scopes": ["operator"]}})}
    config = load_config(environ=environ)
    assert config.client_auth.configured and set(config.client_auth.clients) == {"ops"}
    with pytest.raises(ConfigError, match="JOURNEYS_CLIENTS is not valid JSON") as refused:
        load_config(environ={"JOURNEYS_CLIENTS": '{"ops": {"keys": ["' + OPS_KEY})
    assert OPS_KEY not in str(refused.value)


async def test_a_credential_that_is_not_utf8_is_refused_not_failed(auth_server: LiveServer) -> None:
    url = urlsplit(auth_server.base_url)
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    writer.write(
        b"GET /api/v1/journeys HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \xff\xfe"
        + SHOP_KEY.encode()
        + b"\r\nConnection: close\r\n\r\n"
    )
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), timeout=10)
    writer.close()
    assert answer.startswith(b"HTTP/1.1 401 "), answer[:200]
