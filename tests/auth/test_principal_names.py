"""Principal names: a JWT subject is `jwt:<sub>`, never an API-key client of the same name, and a name the store
cannot hold (`journey_instance.started_by`) is refused: a token with one is 401, a client with one is a config
error."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jwt
import pytest
import yaml

from journeys.server.auth import ClientAuth, parse_clients
from journeys.server.auth.scopes import MAX_NAME_LENGTH
from journeys.server.auth.settings import parse_jwt
from journeys.server.config import ConfigError, load_config
from journeys.store.tables import JourneyInstanceRow
from tests.auth.clients import CLIENTS, OPS_KEY, SHOP_KEY, START, bearer, journey_ids, start_as
from tests.server.helpers import PAYMENT, call
from tests.support import LiveServer

HMAC_SECRET = "a-principal-test-hmac-secret-of-32-bytes"
SHOP_SCOPES = "journeys:start:payment-callback journeys:read journeys:cancel"
UNSTORABLE_SUBJECTS = pytest.mark.parametrize(
    "subject",
    ["shop\x00admin", "shop\x1b[2J", "s" * 201, "s" * (MAX_NAME_LENGTH - len("jwt:") + 1), "shop\ud800"],
    ids=["NUL", "control character", "longer than the column", "too long once prefixed", "lone surrogate"],
)


def _token(sub: str, scope: str = SHOP_SCOPES) -> str:
    return jwt.encode({"sub": sub, "scope": scope, "exp": int(time.time()) + 300}, HMAC_SECRET, algorithm="HS256")


@pytest.fixture
async def server(start_server: Callable[..., object], database_url: str) -> LiveServer:
    """API-key clients (`shop`, `ops`, ...) and HS256 JWTs, as an operator may configure both."""
    auth = ClientAuth(clients=parse_clients(CLIENTS), jwt=parse_jwt({"secret": [HMAC_SECRET]}, Path(".")))
    return await start_server(database_url, client_auth=auth)  # type: ignore[no-any-return,misc]


def test_a_principal_name_fits_the_column_that_records_it() -> None:
    assert JourneyInstanceRow.__table__.c.started_by.type.length == MAX_NAME_LENGTH  # type: ignore[attr-defined]


async def test_a_token_whose_subject_is_a_client_name_does_not_see_that_clients_journeys(server: LiveServer) -> None:
    """The API-key client `shop` starts a journey; an identity provider's token for a subject that happens to be
    called `shop` is another principal (`jwt:shop`) and must not read, list or cancel it."""
    journey = await start_as(server, SHOP_KEY)
    impostor = bearer(_token("shop"))

    status, _, _ = await call(server, "GET", f"/api/v1/journeys/{journey}", headers=impostor)
    assert status == 404, "a JWT subject named like a configured client reads that client's journey"
    assert journey not in await journey_ids(server, _token("shop"))
    status, _, _ = await call(server, "POST", f"/api/v1/journeys/{journey}/steps/cancel", headers=impostor)
    assert status == 404, "a JWT subject named like a configured client cancels that client's journey"
    record = await server.engine.store.get(journey)
    assert record is not None and record.phase != "Cancelled"


async def test_a_token_whose_subject_is_a_client_name_gets_no_replay_of_that_clients_start(
    server: LiveServer,
) -> None:
    """An idempotency key is scoped to its principal: another principal sending the same key starts its own
    journey rather than receiving the first principal's stored answer."""
    key = {"Idempotency-Key": "order-4711"}
    status, first, _ = await call(server, "POST", START, PAYMENT, {**bearer(SHOP_KEY), **key})
    assert status == 200, first

    async with server.http.post(server.url(START), json=PAYMENT, headers={**bearer(_token("shop")), **key}) as response:
        second: dict[str, Any] = await response.json()
        assert "Idempotent-Replayed" not in response.headers, "the JWT principal was given the client's answer"
    assert second["journeyId"] != first["journeyId"]
    record = await server.engine.store.get(second["journeyId"])
    assert record is not None and record.started_by == "jwt:shop"


@UNSTORABLE_SUBJECTS
async def test_a_token_whose_subject_the_store_cannot_hold_is_an_invalid_token(
    server: LiveServer, subject: str
) -> None:
    """A signed token whose `sub` holds a NUL, a control character, a lone surrogate (valid JSON: "\\ud800") or
    more characters than `journey_instance.started_by` takes is refused like any unusable token: 401, for a
    start (with or without an idempotency key) and a list alike, never a 500, and the subject is not echoed."""
    token = bearer(_token(subject))
    for method, path, body, headers in (
        ("POST", START, PAYMENT, token),
        ("POST", START, PAYMENT, {**token, "Idempotency-Key": "k-1"}),
        ("GET", "/api/v1/journeys", None, token),
    ):
        async with server.http.request(method, server.url(path), json=body, headers=headers) as response:
            problem = await response.json(content_type=None)
            assert response.status == 401, f"{method} {path} {sorted(headers)}: {response.status} {problem}"
            assert response.content_type == "application/problem+json"
            assert response.headers["WWW-Authenticate"] == 'Bearer realm="journeys", error="invalid_token"'
        assert "cannot name a principal" in problem["detail"]
        assert subject not in problem["detail"]
    assert await journey_ids(server, OPS_KEY) == set(), "a refused token started a journey"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("jwt:shop", "client names cannot start with 'jwt:'"),
        ("shop\x00admin", "a client name holds a control character"),
        ("shop\nadmin", "a client name holds a control character"),
        ("s" * (MAX_NAME_LENGTH + 1), f"a client name is longer than {MAX_NAME_LENGTH} characters"),
        ("", "a client name is empty"),
    ],
    ids=["JWT namespace", "NUL", "newline", "too long", "empty"],
)
def test_a_client_name_the_store_cannot_hold_is_refused_at_load(tmp_path: Path, name: str, message: str) -> None:
    path = tmp_path / "journeys.yaml"
    path.write_text(yaml.safe_dump({"clients": {name: {"keys": [SHOP_KEY], "scopes": []}}}), encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_config(config_file=str(path), environ={})
