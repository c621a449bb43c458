"""Turn the `Authorization: Bearer <credential>` of a request into a principal: an API key or a JWT.

An API key is looked up by its SHA-256 digest (the only form kept). A credential that is no key is tried as a
JWT when JWT verification is configured: its `alg` must be an allowed one, and decides which keys may check it
(an HMAC secret never verifies an RS/ES token, nor the other way round); a JWK set picks the key by `kid`.
A token's principal is `jwt:<its subject>`: never a configured client, whatever the subject says.
Errors say what is wrong with the credential, never echo it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa

from journeys.server.auth.scopes import JWT_PREFIX, Principal, name_fault
from journeys.server.auth.settings import HMAC_ALGORITHMS, ClientAuth, JwtSettings, key_digest

BEARER = "bearer"
# The public keys an algorithm family verifies with (by the algorithm's first two letters): PyJWT raises on
# a key of another type rather than failing the signature, and configured keys may be of several types.
_KEY_TYPES: dict[str, tuple[type, ...]] = {
    "RS": (rsa.RSAPublicKey,),
    "PS": (rsa.RSAPublicKey,),
    "ES": (ec.EllipticCurvePublicKey,),
    "Ed": (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey),
}


class CredentialRejected(Exception):
    """No usable credential: the message (safe to send back) says why."""

    def __init__(self, detail: str, *, presented: bool) -> None:
        super().__init__(detail)
        self.detail, self.presented = detail, presented


class Authenticator:
    """Verifies bearer credentials against the configured clients and JWT settings."""

    def __init__(self, auth: ClientAuth) -> None:
        self.configured = auth.configured
        self._by_digest = {digest: c.principal for c in auth.clients.values() for digest in c.key_digests}
        self._jwt = auth.jwt

    def authenticate(self, authorization: str | None) -> Principal:
        """The principal of an `Authorization` header value; raises CredentialRejected."""
        if not authorization:
            raise CredentialRejected("this operation needs a credential: Authorization: Bearer <key>", presented=False)
        scheme, _, credential = authorization.strip().partition(" ")
        credential = credential.strip()
        if scheme.lower() != BEARER or not credential:
            raise CredentialRejected("send the credential as Authorization: Bearer <key>", presented=False)
        principal = self._by_digest.get(key_digest(credential))
        if principal is not None:
            return principal
        if self._jwt is not None and credential.isascii() and credential.count(".") == 2:
            return _verified(credential, self._jwt)
        raise CredentialRejected("the credential is not a key of any configured client", presented=True)


def _verified(token: str, settings: JwtSettings) -> Principal:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as error:
        raise CredentialRejected(f"the bearer token is not a JWT ({error})", presented=True) from error
    algorithm = header.get("alg")
    if algorithm not in settings.algorithms:
        allowed = ", ".join(settings.algorithms)
        raise CredentialRejected(
            f"the token's algorithm {algorithm!r} is not accepted (only {allowed})", presented=True
        )
    claims = _claims(token, algorithm, _candidate_keys(header, algorithm, settings), settings)
    subject = claims.get(settings.principal_claim)
    if not isinstance(subject, str) or not subject:
        raise CredentialRejected(f"the token has no '{settings.principal_claim}' naming its principal", presented=True)
    # Its own namespace: a subject that happens to be a configured client's name is not that client.
    name = JWT_PREFIX + subject
    fault = name_fault(name)
    if fault is not None:  # said without quoting the claim: it may be anything
        raise CredentialRejected(
            f"the token's '{settings.principal_claim}' cannot name a principal: jwt:<{settings.principal_claim}> "
            f"{fault}",
            presented=True,
        )
    return Principal.of(name, _scopes(claims.get(settings.scopes_claim)))


def _candidate_keys(header: dict[str, Any], algorithm: str, settings: JwtSettings) -> list[Any]:
    if algorithm in HMAC_ALGORITHMS:
        return list(settings.secrets)
    keys = list(settings.public_keys)
    if settings.jwks is not None:
        kid = header.get("kid")
        keys += [key.key for key in settings.jwks if kid is None or key.key_id == kid]
    return [key for key in keys if isinstance(key, _KEY_TYPES.get(algorithm[:2], ()))]


def _claims(token: str, algorithm: str, keys: Iterable[Any], settings: JwtSettings) -> dict[str, Any]:
    """The verified claims: the first key whose signature matches decides; expiry, issuer, audience checked."""
    for key in keys:
        try:
            return jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=settings.audience,
                issuer=settings.issuer,
                leeway=settings.leeway_seconds,
                options={"require": ["exp"]},
            )
        except (jwt.InvalidSignatureError, jwt.InvalidKeyError):
            continue  # signed with another key (rotation), or one on another curve: try the next
        except jwt.PyJWTError as error:
            raise CredentialRejected(f"the token was refused: {error}", presented=True) from error
    raise CredentialRejected("the token's signature matches none of the configured keys", presented=True)


def _scopes(claim: object) -> list[str]:
    """A space-separated `scope` string (RFC 8693) or a list of strings; anything else grants nothing."""
    if isinstance(claim, str):
        return claim.split()
    if isinstance(claim, list):
        return [scope for scope in claim if isinstance(scope, str)]
    return []
