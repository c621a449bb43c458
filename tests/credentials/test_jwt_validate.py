"""`jwtValidate:v1` over HTTP: a journey sees a verified token's header and claims, or a problem with a JWT_* code;
a step submission whose token fails is answered 401 and changes nothing. Time is the engine's (injected) clock."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.credentials.certificates import NOW
from tests.credentials.conftest import AuthServer

SECRET = "jwt-validate-test-secret-of-32-bytes-or-more"
OTHER_SECRET = "another-secret-that-nobody-configured-here"
ISSUER = "https://login.example.test/"
AUDIENCE = "journeys"
PARTNER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
STEP = "/api/v1/journeys/{id}/steps/review"


def token(secret: str = SECRET, **claims: Any) -> str:
    issued = int(NOW.timestamp())
    body = {"sub": "user-1", "scope": "read:users", "iss": ISSUER, "aud": AUDIENCE, "iat": issued, "exp": issued + 600}
    body.update(claims)
    return jwt.encode({k: v for k, v in body.items() if v is not None}, secret, algorithm="HS256")


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


def _settings(tmp_path: Path) -> dict[str, Any]:
    entry = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(PARTNER_KEY.public_key()))
    (tmp_path / "partners.jwks.json").write_text(json.dumps({"keys": [{**entry, "kid": "p-2026", "use": "sig"}]}))
    return {
        "jwtProfiles": {
            "default": {"secret": [SECRET], "issuer": ISSUER, "audience": AUDIENCE, "requiredClaims": ["exp", "sub"]},
            "partners": {"jwksFile": "partners.jwks.json", "algorithms": ["RS256"], "requiredClaims": []},
        }
    }


@pytest.fixture
async def server(auth_server: Callable[..., Any], tmp_path: Path) -> AuthServer:
    return await auth_server(_settings(tmp_path))  # type: ignore[no-any-return]


async def test_a_valid_token_gives_the_journey_its_header_and_claims(server: AuthServer) -> None:
    presented = token()
    status, started = await server.start("jwt-start", headers=bearer(presented))
    assert status == 200, started
    output = await server.output(started["journeyId"])
    assert output["jwt"]["header"] == {"alg": "HS256", "typ": "JWT"}
    assert output["jwt"]["claims"]["sub"] == "user-1" and output["jwt"]["claims"]["scope"] == "read:users"
    assert "problem" not in output["jwt"]
    status, history = await server.call("GET", f"/api/v1/journeys/{started['journeyId']}/history")
    assert presented not in json.dumps(history)  # the token itself is kept nowhere


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "JWT_TOKEN_MISSING"),
        (bearer("not-a-jwt"), "JWT_TOKEN_MALFORMED"),
        (bearer(token(OTHER_SECRET)), "JWT_SIG_INVALID"),
        (bearer(token(exp=int((NOW - timedelta(minutes=5)).timestamp()))), "JWT_EXPIRED"),
        (bearer(token(nbf=int((NOW + timedelta(minutes=5)).timestamp()))), "JWT_NOT_YET_VALID"),
        (bearer(token(aud="someone-else")), "JWT_AUDIENCE_MISMATCH"),
        (bearer(token(iss="https://evil.example.test/")), "JWT_ISSUER_MISMATCH"),
        (bearer(token(sub=None)), "JWT_CLAIMS_INVALID"),
        (bearer(jwt.encode({"sub": "x"}, None, algorithm="none")), "JWT_SIG_INVALID"),
    ],
)
async def test_a_refused_token_leaves_a_problem_and_the_journey_decides(
    server: AuthServer, headers: dict[str, str], code: str
) -> None:
    status, started = await server.start("jwt-start", headers=headers)
    assert status == 200, started  # the task does not fail the run: the graph routes
    problem = (await server.output(started["journeyId"]))["jwt"]["problem"]
    assert problem["code"] == code and problem["status"] == 401
    assert problem["type"].endswith("/jwt/" + code.removeprefix("JWT_").replace("_", "-").lower())


async def test_expiry_follows_the_engine_clock(server: AuthServer) -> None:
    """A token valid now is expired once the journey's clock has moved past it (leeway: 30 s by default)."""
    _, started = await server.start("jwt-start", headers=bearer(token()))
    assert "claims" in (await server.output(started["journeyId"]))["jwt"]
    server.clock.advance(minutes=11)
    _, started = await server.start("jwt-start", headers=bearer(token()))
    assert (await server.output(started["journeyId"]))["jwt"]["problem"]["code"] == "JWT_EXPIRED"


async def test_a_jwks_profile_picks_the_key_by_kid_from_the_task_source(server: AuthServer) -> None:
    signed = jwt.encode({"sub": "partner-7"}, PARTNER_KEY, algorithm="RS256", headers={"kid": "p-2026"})
    status, started = await server.start("jwt-query", params={"access_token": signed})
    assert status == 200, started
    view = (await server.output(started["journeyId"]))["jwt"]
    assert view["claims"] == {"sub": "partner-7"} and view["header"]["kid"] == "p-2026"
    unknown = jwt.encode({"sub": "partner-7"}, PARTNER_KEY, algorithm="RS256", headers={"kid": "retired"})
    status, started = await server.start("jwt-query", params={"access_token": unknown})
    assert (await server.output(started["journeyId"]))["jwt"]["problem"]["code"] == "JWT_KID_NOT_FOUND"
    # The profile's own source (the Authorization header) is not where this task reads.
    status, started = await server.start("jwt-query", headers=bearer(signed))
    assert (await server.output(started["journeyId"]))["jwt"]["problem"]["code"] == "JWT_TOKEN_MISSING"


async def test_a_step_submission_with_a_bad_token_is_refused_and_changes_nothing(server: AuthServer) -> None:
    status, started = await server.start("jwt-step-guard")
    journey = started["journeyId"]
    path = STEP.format(id=journey)
    _, before = await server.call("GET", f"/api/v1/journeys/{journey}/history")
    expired = token(exp=int((NOW - timedelta(hours=1)).timestamp()))
    status, problem = await server.call("POST", path, {"ok": True}, headers=bearer(expired))
    assert (status, problem["code"]) == (401, "JWT_EXPIRED")
    _, after = await server.call("GET", f"/api/v1/journeys/{journey}/history")
    assert after == before
    keyed = {"Idempotency-Key": "review-1"}
    status, answer = await server.call("POST", path, {"ok": True}, headers={**bearer(token()), **keyed})
    assert (status, answer["phase"]) == (200, "Succeeded")
    assert (await server.output(journey))["jwt"]["claims"]["sub"] == "user-1"
    # A retry is answered from the log only for a caller whose token passes the step's check too.
    status, problem = await server.call("POST", path, {"ok": True}, headers=keyed)
    assert (status, problem["code"]) == (401, "JWT_TOKEN_MISSING")
    status, answer = await server.call("POST", path, {"ok": True}, headers={**bearer(token()), **keyed})
    assert (status, answer["phase"]) == (200, "Succeeded")


async def test_a_journey_whose_profile_is_not_configured_is_answered_500(
    auth_server: Callable[..., Any],
) -> None:
    server: AuthServer = await auth_server({})
    status, problem = await server.start("jwt-start", headers=bearer(token()))
    assert status == 500 and "JWT_CONFIG_PROFILE_MISSING" in problem["detail"]
    status, page = await server.call("GET", "/api/v1/journeys")
    assert page["items"] == []  # nothing was persisted
