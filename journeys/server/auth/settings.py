"""Client authentication as configured: `clients:` with their API keys, and `jwt:` for bearer tokens.

```yaml
clients:
  shop-backend: {keys: ["<key>", "sha256:<hex of the next key>"], scopes: ["journeys:start:payment-callback",
                 "journeys:read", "journeys:cancel"]}
  ops: {keys: ["<key>"], scopes: ["operator"]}
jwt:
  issuer: https://login.example.com/       # checked when given (recommended)
  audience: journeys                       # checked when given (recommended)
  jwksFile: jwks.json                      # public keys, chosen by the token's `kid`; or:
  publicKeys: ["-----BEGIN PUBLIC KEY-----...", "keys/next.pem"]
  secret: ["<HMAC secret of 32 bytes or more>"]  # HS256/384/512
  algorithms: [RS256]                      # default: HS256 with a secret, RS256 and ES256 with public keys
  scopesClaim: scope                       # a space-separated string or a list of strings
  principalClaim: sub
```

API keys are kept only as SHA-256 digests: a plaintext key is hashed when the config is read and dropped, and a
`sha256:<hex>` entry is taken as the digest itself, so a config file need not hold a usable secret. Keys are
machine-generated secrets (at least MIN_KEY_LENGTH characters), which is what makes an unsalted digest safe to
keep. Several keys per client let a client roll to a new key before the old one is removed.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from journeys.server.auth.scopes import JWT_PREFIX, Principal, checked_scopes, name_fault

MIN_KEY_LENGTH = 16
MIN_HMAC_SECRET_BYTES = 32  # RFC 7518 3.2: at least the hash's output size
HMAC_ALGORITHMS = frozenset({"HS256", "HS384", "HS512"})
PUBLIC_KEY_ALGORITHMS = frozenset(set(jwt.algorithms.get_default_algorithms()) - HMAC_ALGORITHMS - {"none"})
_DIGEST = re.compile(r"^sha256:([0-9a-fA-F]{64})$")
_GENERATE = "generate one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'"
_JWT_KEYS = {
    "issuer",
    "audience",
    "jwksFile",
    "publicKeys",
    "secret",
    "algorithms",
    "scopesClaim",
    "principalClaim",
    "leewaySeconds",
}


def key_digest(key: str) -> str:
    """The hex SHA-256 of a key's bytes. The header value may hold undecodable bytes: they are hashed as sent."""
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()


@dataclass(frozen=True, slots=True)
class Client:
    """A configured client: the digests of its API keys and the principal they stand for."""

    principal: Principal
    key_digests: tuple[str, ...] = field(repr=False)


@dataclass(frozen=True)
class JwtSettings:
    """How bearer tokens that are JWTs are verified (PyJWT), and which claims name the principal and its scopes."""

    algorithms: tuple[str, ...]
    issuer: str | None = None
    audience: str | None = None
    jwks: jwt.PyJWKSet | None = field(default=None, repr=False)
    public_keys: tuple[Any, ...] = field(default=(), repr=False)
    secrets: tuple[bytes, ...] = field(default=(), repr=False)
    scopes_claim: str = "scope"
    principal_claim: str = "sub"
    leeway_seconds: float = 30.0


@dataclass(frozen=True)
class ClientAuth:
    """Configured clients and JWT verification; with neither, the API is open (and `serve` stays on loopback)."""

    clients: Mapping[str, Client] = field(default_factory=dict)
    jwt: JwtSettings | None = None

    @property
    def configured(self) -> bool:
        return bool(self.clients) or self.jwt is not None

    def summary(self) -> str:
        """What the start-up log says, so an operator sees which configuration took effect (never a key)."""
        parts = [f"clients {', '.join(sorted(self.clients))}"] if self.clients else []
        if self.jwt is not None:
            parts.append(f"JWT ({', '.join(self.jwt.algorithms)}; issuer {self.jwt.issuer or 'not checked'})")
        return "; ".join(parts) or "none (the API is open)"


def parse_clients(document: object, where: str = "clients") -> dict[str, Client]:
    """`clients:` (or JOURNEYS_CLIENTS): name -> {keys, scopes}. Raises ValueError naming the entry at fault."""
    if not isinstance(document, Mapping):
        raise ValueError(f"{where} must map client names to {{keys: [...], scopes: [...]}}")
    clients: dict[str, Client] = {}
    owners: dict[str, str] = {}
    for name, entry in document.items():
        here = f"{where}.{name}"
        _check_client_name(str(name), where)
        if not isinstance(entry, Mapping) or set(entry) - {"keys", "scopes"}:
            raise ValueError(f"{here} must be a mapping with 'keys' and 'scopes' only")
        keys = entry.get("keys")
        if not isinstance(keys, list) or not keys or not all(isinstance(key, str) for key in keys):
            raise ValueError(f"{here}.keys must be a non-empty list of keys (or sha256:<hex> digests of keys)")
        digests = tuple(_digest(key, f"{here}.keys") for key in keys)
        for digest in digests:
            if owners.setdefault(digest, str(name)) != str(name):
                raise ValueError(
                    f"{here}: a key of client '{owners[digest]}' is given again; every key names one client"
                )
        scopes = checked_scopes(entry.get("scopes"), f"{here}.scopes")
        clients[str(name)] = Client(Principal(str(name), scopes), digests)
    return clients


def _check_client_name(name: str, where: str) -> None:
    """A client's name is recorded with every journey it starts: it must fit the column and be plain text, and
    keep out of the JWT subjects' namespace (`jwt:<sub>`), or a token could name itself as a client."""
    fault = name_fault(name)
    if fault is not None:
        raise ValueError(f"{where}: a client name {fault} ({name[:40]!a}); use a short plain name")
    if name.startswith(JWT_PREFIX):
        raise ValueError(f"{where}.{name}: client names cannot start with '{JWT_PREFIX}' (JWT subjects are named so)")


def _digest(key: str, where: str) -> str:
    match = _DIGEST.match(key)
    if match:
        return match[1].lower()
    if key.startswith("sha256:"):
        raise ValueError(f"{where}: a sha256: entry must be 64 hex digits (the key's SHA-256)")
    if len(key) < MIN_KEY_LENGTH:
        raise ValueError(f"{where}: keys must be at least {MIN_KEY_LENGTH} characters; {_GENERATE}")
    return key_digest(key)


def parse_jwt(document: object, base: Path, where: str = "jwt") -> JwtSettings:
    """`jwt:` (or JOURNEYS_JWT); file paths are relative to `base` (the config file's directory)."""
    if not isinstance(document, Mapping):
        raise ValueError(f"{where} must be a mapping; keys: {sorted(_JWT_KEYS)}")
    unknown = sorted(set(document) - _JWT_KEYS)
    if unknown:
        raise ValueError(f"{where}: unknown keys {unknown}; known: {sorted(_JWT_KEYS)}")
    secrets = tuple(_secret(value, f"{where}.secret") for value in _listed(document.get("secret")))
    public_keys = tuple(
        _public_key(value, base, f"{where}.publicKeys") for value in _listed(document.get("publicKeys"))
    )
    jwks = _jwks(base / str(document["jwksFile"]), f"{where}.jwksFile") if "jwksFile" in document else None
    if not secrets and not public_keys and jwks is None:
        raise ValueError(f"{where}: give the keys tokens are signed with: jwksFile, publicKeys or secret")
    default = [*(["HS256"] if secrets else []), *(["RS256", "ES256"] if public_keys or jwks else [])]
    algorithms = document.get("algorithms", default)
    if not isinstance(algorithms, list) or not algorithms or not all(isinstance(a, str) for a in algorithms):
        raise ValueError(f"{where}.algorithms must be a non-empty list, e.g. [RS256]")
    for algorithm in algorithms:
        if algorithm in HMAC_ALGORITHMS and not secrets:
            raise ValueError(f"{where}.algorithms: {algorithm} needs a secret")
        if algorithm in PUBLIC_KEY_ALGORITHMS and not (public_keys or jwks):
            raise ValueError(f"{where}.algorithms: {algorithm} needs public keys (publicKeys or jwksFile)")
        if algorithm not in HMAC_ALGORITHMS | PUBLIC_KEY_ALGORITHMS:
            known = sorted(HMAC_ALGORITHMS | PUBLIC_KEY_ALGORITHMS)
            raise ValueError(f"{where}.algorithms: unknown algorithm '{algorithm}'; known: {known}")
    try:
        leeway = float(document.get("leewaySeconds", 30))
    except (TypeError, ValueError):
        leeway = -1.0
    if not 0 <= leeway <= 300:
        raise ValueError(f"{where}.leewaySeconds must be a number of seconds from 0 to 300")
    return JwtSettings(
        algorithms=tuple(algorithms),
        issuer=_optional_text(document, "issuer", where),
        audience=_optional_text(document, "audience", where),
        jwks=jwks,
        public_keys=public_keys,
        secrets=secrets,
        scopes_claim=_optional_text(document, "scopesClaim", where) or "scope",
        principal_claim=_optional_text(document, "principalClaim", where) or "sub",
        leeway_seconds=leeway,
    )


def _listed(value: object) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _optional_text(document: Mapping[str, Any], key: str, where: str) -> str | None:
    value = document.get(key)
    if value is not None and (not isinstance(value, str) or not value):
        raise ValueError(f"{where}.{key} must be a non-empty string")
    return value


def _secret(value: object, where: str) -> bytes:
    secret = value.encode() if isinstance(value, str) else b""
    if len(secret) < MIN_HMAC_SECRET_BYTES:
        raise ValueError(f"{where}: an HMAC secret must be at least {MIN_HMAC_SECRET_BYTES} bytes; {_GENERATE}")
    return secret


def _public_key(value: object, base: Path, where: str) -> Any:
    """A PEM public key, inline or in a file; refused now rather than on every token."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{where}: each entry is a PEM public key or the path of a PEM file")
    text = value
    if not value.lstrip().startswith("-----BEGIN"):
        try:
            text = (base / value).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise ValueError(f"{where}: cannot read {base / value}: {error}") from error
    try:
        return load_pem_public_key(text.encode())
    except (ValueError, TypeError) as error:
        raise ValueError(f"{where}: not a PEM public key ({error})") from error


def _jwks(path: Path, where: str) -> jwt.PyJWKSet:
    try:
        keys = jwt.PyJWKSet.from_json(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, jwt.PyJWTError) as error:
        raise ValueError(f"{where}: cannot load the JWK set {path}: {error}") from error
    if any(key.algorithm_name in HMAC_ALGORITHMS for key in keys):
        raise ValueError(f"{where}: {path} holds a symmetric key; a JWK set here holds public keys (use jwt.secret)")
    return keys
