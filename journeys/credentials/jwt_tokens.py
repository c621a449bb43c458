"""Verify a JWT against configured keys, at a given instant, and say why it is refused with a stable code.

The signature, issuer and audience are checked by PyJWT; the times (`exp`, `nbf`, `iat`) are checked here against
the caller's clock, so the engine's injected clock decides expiry as it decides timers. The codes are those of
the DSL's `jwtValidate:v1` (JWT_*); the server's client authentication shows only the detail. Details say what is
wrong with a token, never echo it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from math import isfinite
from typing import Any

import jwt

from journeys.credentials.jwt_keys import JwtKeys

MALFORMED = "JWT_TOKEN_MALFORMED"
SIG_INVALID = "JWT_SIG_INVALID"
KID_NOT_FOUND = "JWT_KID_NOT_FOUND"
EXPIRED = "JWT_EXPIRED"
NOT_YET_VALID = "JWT_NOT_YET_VALID"
AUDIENCE_MISMATCH = "JWT_AUDIENCE_MISMATCH"
ISSUER_MISMATCH = "JWT_ISSUER_MISMATCH"
CLAIMS_INVALID = "JWT_CLAIMS_INVALID"
# The registered claims whose absence, when required, is a mismatch of that claim rather than of "the claims".
_MISSING_CLAIM_CODES = {"aud": AUDIENCE_MISMATCH, "iss": ISSUER_MISMATCH}


class TokenRejected(Exception):
    """A token that is not acceptable: `code` (JWT_*) and a `detail` safe to send back."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code, self.detail = code, detail


def verify_token(token: str, keys: JwtKeys, now: datetime) -> tuple[dict[str, Any], dict[str, Any]]:
    """The (JOSE header, claims) of a token that passes every check; raises TokenRejected."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as error:
        raise TokenRejected(MALFORMED, f"the token is not a JWT ({error})") from error
    algorithm = header.get("alg")
    if algorithm not in keys.algorithms:
        allowed = ", ".join(keys.algorithms)
        raise TokenRejected(SIG_INVALID, f"the token's algorithm {algorithm!r} is not accepted (only {allowed})")
    candidates, kid_known = keys.candidates(header, algorithm)
    if not candidates and not kid_known:
        raise TokenRejected(KID_NOT_FOUND, "the token's key id (kid) names none of the configured keys")
    claims = _claims(token, algorithm, candidates, keys)
    _check_times(claims, keys.leeway_seconds, now.timestamp())
    return header, claims


def _claims(token: str, algorithm: str, candidates: Iterable[Any], keys: JwtKeys) -> dict[str, Any]:
    """The claims under the first key whose signature matches (several: rotation); issuer and audience checked."""
    options: Any = {
        "require": list(keys.required_claims),
        "verify_exp": False,
        "verify_nbf": False,
        "verify_iat": False,
        # Always: a token naming an audience is for that audience only (RFC 7519 4.1.3), refused where none is set.
        "verify_aud": True,
    }
    for key in candidates:
        try:
            return jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=list(keys.audience) if keys.audience else None,
                issuer=keys.issuer,
                options=options,
            )
        except (jwt.InvalidSignatureError, jwt.InvalidKeyError):
            continue  # signed with another key (rotation), or one on another curve: try the next
        except jwt.PyJWTError as error:
            raise TokenRejected(_code(error), f"the token was refused: {error}") from error
    raise TokenRejected(SIG_INVALID, "the token's signature matches none of the configured keys")


def _code(error: jwt.PyJWTError) -> str:
    if isinstance(error, jwt.InvalidAudienceError):
        return AUDIENCE_MISMATCH
    if isinstance(error, jwt.InvalidIssuerError):
        return ISSUER_MISMATCH
    if isinstance(error, jwt.MissingRequiredClaimError):
        return _MISSING_CLAIM_CODES.get(error.claim, CLAIMS_INVALID)
    if isinstance(error, jwt.DecodeError):
        return MALFORMED
    return CLAIMS_INVALID


def _check_times(claims: dict[str, Any], leeway: float, now: float) -> None:
    """`exp`, `nbf` and `iat` as PyJWT would check them, but against `now` (the caller's clock)."""
    for claim in ("exp", "nbf", "iat"):
        value = claims.get(claim)
        if claim in claims and (isinstance(value, bool) or not isinstance(value, int | float) or not isfinite(value)):
            raise TokenRejected(CLAIMS_INVALID, f"the token was refused: the '{claim}' claim must be a number")
    if "exp" in claims and claims["exp"] <= now - leeway:
        raise TokenRejected(EXPIRED, "the token was refused: Signature has expired")
    for claim in ("nbf", "iat"):
        if claim in claims and claims[claim] > now + leeway:
            raise TokenRejected(NOT_YET_VALID, f"the token was refused: The token is not yet valid ({claim})")
