"""`jwtValidate:v1`: the configured profiles (`jwtProfiles:`), and the check a task makes against one.

A profile is the shared JWT key configuration (`journeys.credentials.jwt_keys`: keys, algorithms, issuer,
audience, leeway) plus the claims a token must carry and where the token is read by default:

```yaml
jwtProfiles:
  default:
    jwksFile: jwks.json
    issuer: https://login.example.com/
    audience: journeys
    requiredClaims: [exp, sub]                                 # default [exp]
    source: {location: header, name: Authorization, scheme: Bearer}   # this is the default
```

The token is never written to the context or the logs: a journey sees the verified header fields that say how
it was signed (`alg`, `kid`, `typ`, `cty`) and the claims.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from http.cookies import CookieError, SimpleCookie
from pathlib import Path
from typing import Any

from journeys.credentials.jwt_keys import KEY_FIELDS, JwtKeys, listed, parse_jwt_keys
from journeys.credentials.jwt_tokens import TokenRejected, verify_token
from journeys.definitions.auth_tasks import JwtValidateTask, TokenSource
from journeys.engine.errors import EngineConfigurationError
from journeys.engine.runs import InboundRequest
from journeys.settings_blocks import known_keys

PROBLEM_BASE = "https://journeys.dev/problems/jwt"
DEFAULT_SOURCE = TokenSource("header", "Authorization", "Bearer")
MISSING = "JWT_TOKEN_MISSING"
_PROFILE_FIELDS = KEY_FIELDS | {"requiredClaims", "source"}
_HEADER_FIELDS = ("alg", "kid", "typ", "cty")
_TITLES = {
    MISSING: "JWT missing",
    "JWT_TOKEN_MALFORMED": "JWT malformed",
    "JWT_SIG_INVALID": "JWT signature invalid",
    "JWT_KID_NOT_FOUND": "JWT key id not found",
    "JWT_EXPIRED": "JWT expired",
    "JWT_NOT_YET_VALID": "JWT not yet valid",
    "JWT_AUDIENCE_MISMATCH": "JWT audience mismatch",
    "JWT_ISSUER_MISMATCH": "JWT issuer mismatch",
    "JWT_CLAIMS_INVALID": "JWT claims invalid",
}


@dataclass(frozen=True)
class JwtProfile:
    name: str
    keys: JwtKeys
    source: TokenSource = DEFAULT_SOURCE


def parse_jwt_profiles(document: object, base: Path, setting: str = "jwtProfiles") -> dict[str, JwtProfile]:
    """`jwtProfiles:` (name -> profile); raises ValueError naming the field at fault."""
    if not isinstance(document, Mapping):
        raise ValueError(f"{setting} must map profile names to JWT settings")
    profiles: dict[str, JwtProfile] = {}
    for name, entry in document.items():
        where = f"{setting}.{name}"
        entry = known_keys(entry, where, _PROFILE_FIELDS)
        required = listed(entry.get("requiredClaims", ["exp"]))
        if not all(isinstance(claim, str) and claim for claim in required):
            raise ValueError(f"{where}.requiredClaims must be a list of claim names")
        keys = replace(parse_jwt_keys(entry, base, where), required_claims=tuple(required))
        profiles[str(name)] = JwtProfile(str(name), keys, _source(entry.get("source"), where))
    return profiles


def _source(value: object, where: str) -> TokenSource:
    if value is None:
        return DEFAULT_SOURCE
    if not isinstance(value, Mapping) or set(value) - {"location", "name", "scheme"}:
        raise ValueError(f"{where}.source must be a mapping with location, name and (optional) scheme")
    location, name, scheme = value.get("location", "header"), value.get("name"), value.get("scheme")
    if location not in ("header", "query", "cookie") or not isinstance(name, str) or not name:
        raise ValueError(f"{where}.source needs location (header, query or cookie) and a name")
    if scheme is not None and (not isinstance(scheme, str) or not scheme):
        raise ValueError(f"{where}.source.scheme must be a non-empty string")
    return TokenSource(location, name, scheme)


def jwt_view(
    task: JwtValidateTask, profiles: Mapping[str, JwtProfile], request: InboundRequest, now: datetime
) -> dict[str, Any]:
    """`{header, claims}` of a verified token, or `{problem}` (a 401 Problem Details with a JWT_* code)."""
    profile = profiles.get(task.profile)
    if profile is None:
        raise EngineConfigurationError(
            f"JWT_CONFIG_PROFILE_MISSING: JWT profile '{task.profile}' is not configured on this server (jwtProfiles)"
        )
    token = _token(task.source or profile.source, request)
    if not token:
        return {"problem": _problem(MISSING, "No token was presented.")}
    try:
        header, claims = verify_token(token, profile.keys, now)
    except TokenRejected as rejected:
        return {"problem": _problem(rejected.code, rejected.detail)}
    return {"header": {key: header[key] for key in _HEADER_FIELDS if key in header}, "claims": claims}


def _token(source: TokenSource, request: InboundRequest) -> str | None:
    if source.location == "cookie":
        raw = _cookie(request.headers.get("Cookie"), source.name)
    else:
        raw = (request.query if source.location == "query" else request.headers).get(source.name)
    if raw is None:
        return None
    raw = raw.strip()
    if source.scheme is not None:
        scheme, _, rest = raw.partition(" ")
        if scheme.lower() == source.scheme.lower():
            raw = rest.strip()
    return raw


def _cookie(header: str | None, name: str) -> str | None:
    if not header:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(header)
    except CookieError:
        return None
    morsel = jar.get(name)
    return None if morsel is None else morsel.value


def _problem(code: str, detail: str) -> dict[str, Any]:
    slug = code.removeprefix("JWT_").replace("_", "-").lower()
    return {"type": f"{PROBLEM_BASE}/{slug}", "title": _TITLES[code], "status": 401, "detail": detail, "code": code}
