"""JWT bearer tokens (PyJWT): an HMAC secret, PEM public keys or a JWK set; the principal from `sub`, its scopes
from a claim; expired, foreign and forged tokens are refused with 401."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jwt
import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from journeys.server.config import ConfigError, load_config
from tests.auth.clients import START, bearer
from tests.server.helpers import PAYMENT, call
from tests.support import LiveServer

ISSUER = "https://login.example.test/"
AUDIENCE = "journeys"
HMAC_SECRET = "a-test-hmac-secret-of-at-least-32-bytes"
SHOP_SCOPES = "journeys:start:payment-callback journeys:read journeys:cancel"


def _rsa() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


CURRENT, NEXT, FOREIGN = _rsa(), _rsa(), _rsa()


def _claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "jwt-shop", "scope": SHOP_SCOPES, "iat": now, "exp": now + 300}
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def _rs256(key: rsa.RSAPrivateKey, kid: str | None, **changes: Any) -> str:
    return jwt.encode(_claims(**changes), key, algorithm="RS256", headers={"kid": kid} if kid else None)


def _hs256(**changes: Any) -> str:
    return jwt.encode(_claims(**changes), HMAC_SECRET, algorithm="HS256")


def _pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def _jwks(*keys: tuple[str, rsa.RSAPrivateKey]) -> dict[str, Any]:
    entries = []
    for kid, key in keys:
        entry = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
        entries.append({**entry, "kid": kid, "use": "sig", "alg": "RS256"})
    return {"keys": entries}


def _config(tmp_path: Path, jwt_section: dict[str, Any]) -> Any:
    path = tmp_path / "journeys.yaml"
    path.write_text(yaml.safe_dump({"jwt": jwt_section}), encoding="utf-8")
    return load_config(config_file=str(path), environ={}).client_auth


@pytest.fixture
async def jwks_server(start_server: Callable[..., object], sqlite_url: str, tmp_path: Path) -> LiveServer:
    """Tokens signed by the keys of a JWK set file (two, by `kid`: the current one and the next)."""
    (tmp_path / "jwks.json").write_text(json.dumps(_jwks(("current", CURRENT), ("next", NEXT))), encoding="utf-8")
    section = {"issuer": ISSUER, "audience": AUDIENCE, "jwksFile": "jwks.json", "algorithms": ["RS256"]}
    return await start_server(sqlite_url, client_auth=_config(tmp_path, section))  # type: ignore[misc]


@pytest.fixture
async def hmac_server(start_server: Callable[..., object], sqlite_url: str, tmp_path: Path) -> LiveServer:
    section = {"issuer": ISSUER, "audience": AUDIENCE, "secret": HMAC_SECRET, "scopesClaim": "permissions"}
    return await start_server(sqlite_url, client_auth=_config(tmp_path, section))  # type: ignore[misc]


async def _refusal(server: LiveServer, token: str) -> str:
    async with server.http.get(server.url("/api/v1/journeys"), headers=bearer(token)) as response:
        assert response.status == 401
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="journeys", error="invalid_token"'
        return str((await response.json(content_type=None))["detail"])


async def test_a_token_from_the_jwk_set_is_its_subject(jwks_server: LiveServer) -> None:
    status, started, _ = await call(jwks_server, "POST", START, PAYMENT, bearer(_rs256(CURRENT, "current")))
    assert status == 200, started
    record = await jwks_server.engine.store.get(started["journeyId"])
    assert record is not None and record.started_by == "jwt:jwt-shop"  # JWT subjects have a namespace of their own
    # The next key (rotation) is the same principal: it sees the journey; another subject does not.
    status, page, _ = await call(jwks_server, "GET", "/api/v1/journeys", headers=bearer(_rs256(NEXT, "next")))
    assert [item["journeyId"] for item in page["items"]] == [started["journeyId"]]
    other = _rs256(CURRENT, "current", sub="jwt-other")
    status, page, _ = await call(jwks_server, "GET", "/api/v1/journeys", headers=bearer(other))
    assert (status, page["items"]) == (200, [])


async def test_scopes_come_from_the_token(jwks_server: LiveServer) -> None:
    token = _rs256(CURRENT, "current", scope="journeys:read")
    status, problem, _ = await call(jwks_server, "POST", START, PAYMENT, bearer(token))
    assert (status, problem["requiredScope"]) == (403, "journeys:start:payment-callback")


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        (lambda: _rs256(FOREIGN, "current"), "signature matches none of the configured keys"),
        (lambda: _rs256(FOREIGN, None), "signature matches none of the configured keys"),
        (lambda: _rs256(CURRENT, "current", exp=int(time.time()) - 3600), "Signature has expired"),
        (lambda: _rs256(CURRENT, "current", exp=None), 'Token is missing the "exp" claim'),
        (lambda: _rs256(CURRENT, "current", aud="someone-else"), "Audience doesn't match"),
        (lambda: _rs256(CURRENT, "current", iss="https://evil.example.test/"), "Invalid issuer"),
        (lambda: _rs256(CURRENT, "current", sub=None), "the token has no 'sub' naming its principal"),
        (lambda: jwt.encode(_claims(), None, algorithm="none"), "algorithm 'none' is not accepted"),
        # Algorithm confusion: the public key (which anyone may hold) used as an HMAC secret.
        (lambda: _confused(), "algorithm 'HS256' is not accepted"),
        (lambda: "not.a.jwt", "the token is not a JWT"),
    ],
)
async def test_a_bad_token_is_refused(jwks_server: LiveServer, token: Callable[[], str], reason: str) -> None:
    assert reason in await _refusal(jwks_server, token())


def _confused() -> str:
    """HS256 with the PEM public key as the secret, signed by hand (PyJWT refuses to make one)."""

    def segment(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    signing_input = f"{segment({'alg': 'HS256', 'typ': 'JWT', 'kid': 'current'})}.{segment(_claims())}"
    mac = hmac.new(_pem(CURRENT).encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


async def test_an_hmac_token_with_scopes_in_a_list_claim(hmac_server: LiveServer) -> None:
    token = _hs256(scope=None, permissions=["journeys:start:payment-callback", "journeys:read"])
    status, started, _ = await call(hmac_server, "POST", START, PAYMENT, bearer(token))
    assert status == 200, started
    status, _, _ = await call(hmac_server, "GET", f"/api/v1/journeys/{started['journeyId']}", headers=bearer(token))
    assert status == 200
    # `scope` is not the configured claim here: a token with only that grants nothing.
    status, problem, _ = await call(hmac_server, "GET", "/api/v1/journeys", headers=bearer(_hs256()))
    assert (status, problem["requiredScope"]) == (403, "journeys:read")


async def test_without_an_audience_a_token_meant_for_another_service_is_refused(
    start_server: Callable[..., object], sqlite_url: str, tmp_path: Path
) -> None:
    section = {"issuer": ISSUER, "secret": HMAC_SECRET}  # no audience configured
    server: LiveServer = await start_server(sqlite_url, client_auth=_config(tmp_path, section))  # type: ignore[misc]
    assert "Invalid audience" in await _refusal(server, _hs256(aud="billing-service"))
    status, _, _ = await call(server, "GET", "/api/v1/journeys", headers=bearer(_hs256(aud=None)))
    assert status == 200  # a token that names no audience is for anyone who trusts its issuer


async def test_pem_public_keys(start_server: Callable[..., object], sqlite_url: str, tmp_path: Path) -> None:
    """Inline or in files, of several types (RS256 and ES256 by default): each token is checked by its kind."""
    (tmp_path / "next.pem").write_text(_pem(NEXT), encoding="utf-8")
    elliptic = ec.generate_private_key(ec.SECP256R1())
    auth = _config(tmp_path, {"publicKeys": [_pem(elliptic), _pem(CURRENT), "next.pem"], "audience": AUDIENCE})
    server: LiveServer = await start_server(sqlite_url, client_auth=auth)  # type: ignore[misc]
    tokens = [_rs256(CURRENT, None), _rs256(NEXT, None), jwt.encode(_claims(), elliptic, algorithm="ES256")]
    for token in tokens:
        status, _, _ = await call(server, "GET", "/api/v1/journeys", headers=bearer(token))
        assert status == 200
    assert "signature matches none" in await _refusal(server, _rs256(FOREIGN, None))


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"audience": AUDIENCE}, "give the keys tokens are signed with"),
        ({"secret": "too-short"}, "an HMAC secret must be at least 32 bytes"),
        ({"secret": HMAC_SECRET, "algorithms": ["RS256"]}, "RS256 needs public keys"),
        ({"publicKeys": ["-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----"]}, "not a PEM public key"),
        ({"jwksFile": "missing.json"}, "cannot load the JWK set"),
        ({"secret": HMAC_SECRET, "algorithms": ["none"]}, "unknown algorithm 'none'"),
        ({"secret": HMAC_SECRET, "issuers": ISSUER}, "unknown keys \\['issuers'\\]"),
    ],
)
def test_a_misconfigured_jwt_section_is_refused_at_load(tmp_path: Path, section: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        _config(tmp_path, section)
