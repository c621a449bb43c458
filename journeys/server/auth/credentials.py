"""Turn the `Authorization: Bearer <credential>` of a request into a principal: an API key or a JWT.

An API key is looked up by its SHA-256 digest (the only form kept). A credential that is no key is tried as a
JWT when JWT verification is configured (`journeys.credentials.jwt_tokens`, shared with the `jwtValidate:v1`
task).
A token's principal is `jwt:<its subject>`: never a configured client, whatever the subject says.
Errors say what is wrong with the credential, never echo it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from journeys.credentials.jwt_tokens import TokenRejected, verify_token
from journeys.server.auth.scopes import JWT_PREFIX, Principal, name_fault
from journeys.server.auth.settings import ClientAuth, JwtSettings, key_digest

BEARER = "bearer"


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
        _, claims = verify_token(token, settings.keys, datetime.now(UTC))
    except TokenRejected as error:
        raise CredentialRejected(error.detail, presented=True) from error
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


def _scopes(claim: object) -> list[str]:
    """A space-separated `scope` string (RFC 8693) or a list of strings; anything else grants nothing."""
    if isinstance(claim, str):
        return claim.split()
    if isinstance(claim, list):
        return [scope for scope in claim if isinstance(scope, str)]
    return []
