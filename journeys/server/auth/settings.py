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

from journeys.credentials.jwt_keys import GENERATE_SECRET, KEY_FIELDS, JwtKeys, optional_text, parse_jwt_keys
from journeys.server.auth.scopes import JWT_PREFIX, Principal, checked_scopes, name_fault
from journeys.settings_blocks import known_keys

MIN_KEY_LENGTH = 16
_DIGEST = re.compile(r"^sha256:([0-9a-fA-F]{64})$")
_JWT_KEYS = KEY_FIELDS | {"scopesClaim", "principalClaim"}


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
    """How bearer tokens that are JWTs are verified (`keys`), and which claims name the principal and its scopes."""

    keys: JwtKeys
    scopes_claim: str = "scope"
    principal_claim: str = "sub"


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
            keys = self.jwt.keys
            parts.append(f"JWT ({', '.join(keys.algorithms)}; issuer {keys.issuer or 'not checked'})")
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
        raise ValueError(f"{where}: keys must be at least {MIN_KEY_LENGTH} characters; {GENERATE_SECRET}")
    return key_digest(key)


def parse_jwt(document: object, base: Path, where: str = "jwt") -> JwtSettings:
    """`jwt:` (or JOURNEYS_JWT); file paths are relative to `base` (the config file's directory)."""
    document = known_keys(document, where, _JWT_KEYS)
    return JwtSettings(
        keys=parse_jwt_keys(document, base, where),
        scopes_claim=optional_text(document, "scopesClaim", where) or "scope",
        principal_claim=optional_text(document, "principalClaim", where) or "sub",
    )
