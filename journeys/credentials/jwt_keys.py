"""Key material for verifying JWTs, as configured: HMAC secrets, PEM public keys and JWK sets.

The config shape (inside the server's `jwt:` and each `jwtProfiles.<name>`):

```yaml
issuer: https://login.example.com/       # checked when given
audience: journeys                       # a string or a list; checked when given
jwksFile: jwks.json                      # public keys, chosen by the token's `kid`; or:
publicKeys: ["-----BEGIN PUBLIC KEY-----...", "keys/next.pem"]
secret: ["<HMAC secret of 32 bytes or more>"]  # HS256/384/512
algorithms: [RS256]                      # default: HS256 with a secret, RS256 and ES256 with public keys
leewaySeconds: 30                        # clock skew allowed on exp/nbf/iat
```

Everything is read and checked when the config is: a key that cannot be used is refused then, not on every token.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key

MIN_HMAC_SECRET_BYTES = 32  # RFC 7518 3.2: at least the hash's output size
HMAC_ALGORITHMS = frozenset({"HS256", "HS384", "HS512"})
PUBLIC_KEY_ALGORITHMS = frozenset(set(jwt.algorithms.get_default_algorithms()) - HMAC_ALGORITHMS - {"none"})
KEY_FIELDS = frozenset({"issuer", "audience", "jwksFile", "publicKeys", "secret", "algorithms", "leewaySeconds"})
GENERATE_SECRET = "generate one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'"
# The public keys an algorithm family verifies with (by the algorithm's first two letters): PyJWT raises on
# a key of another type rather than failing the signature, and configured keys may be of several types.
_KEY_TYPES: dict[str, tuple[type, ...]] = {
    "RS": (rsa.RSAPublicKey,),
    "PS": (rsa.RSAPublicKey,),
    "ES": (ec.EllipticCurvePublicKey,),
    "Ed": (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey),
}


@dataclass(frozen=True)
class JwtKeys:
    """What a token must be signed with and say about itself (issuer, audience, times) to be accepted."""

    algorithms: tuple[str, ...]
    issuer: str | None = None
    audience: tuple[str, ...] | None = None
    jwks: jwt.PyJWKSet | None = field(default=None, repr=False)
    public_keys: tuple[Any, ...] = field(default=(), repr=False)
    secrets: tuple[bytes, ...] = field(default=(), repr=False)
    leeway_seconds: float = 30.0
    required_claims: tuple[str, ...] = ("exp",)

    def candidates(self, header: Mapping[str, Any], algorithm: str) -> tuple[list[Any], bool]:
        """The keys that may have signed a token with this header, and whether its `kid` named a key we know.

        An HMAC secret never verifies an RS/ES token, nor a public key an HS one (algorithm confusion)."""
        if algorithm in HMAC_ALGORITHMS:
            return list(self.secrets), True
        keys = list(self.public_keys)
        kid = header.get("kid")
        known = kid is None or self.jwks is None
        if self.jwks is not None:
            chosen = [key.key for key in self.jwks if kid is None or key.key_id == kid]
            known = known or bool(chosen)
            keys += chosen
        return [key for key in keys if isinstance(key, _KEY_TYPES.get(algorithm[:2], ()))], known


def parse_jwt_keys(document: Mapping[str, Any], base: Path, where: str) -> JwtKeys:
    """The key fields of a JWT config mapping (the caller checks for unknown fields); paths are relative to
    `base`, the config file's directory. Raises ValueError naming the field at fault."""
    secrets = tuple(_secret(value, f"{where}.secret") for value in listed(document.get("secret")))
    public_keys = tuple(_public_key(value, base, f"{where}.publicKeys") for value in listed(document.get("publicKeys")))
    jwks = _jwks(base / str(document["jwksFile"]), f"{where}.jwksFile") if "jwksFile" in document else None
    if not secrets and not public_keys and jwks is None:
        raise ValueError(f"{where}: give the keys tokens are signed with: jwksFile, publicKeys or secret")
    return JwtKeys(
        algorithms=_algorithms(document, bool(secrets), bool(public_keys or jwks), where),
        issuer=optional_text(document, "issuer", where),
        audience=_audience(document.get("audience"), where),
        jwks=jwks,
        public_keys=public_keys,
        secrets=secrets,
        leeway_seconds=_leeway(document.get("leewaySeconds", 30), where),
    )


def listed(value: object) -> list[Any]:
    """A config value given as one item or a list of them."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def optional_text(document: Mapping[str, Any], key: str, where: str) -> str | None:
    value = document.get(key)
    if value is not None and (not isinstance(value, str) or not value):
        raise ValueError(f"{where}.{key} must be a non-empty string")
    return value


def _algorithms(document: Mapping[str, Any], secrets: bool, public: bool, where: str) -> tuple[str, ...]:
    default = [*(["HS256"] if secrets else []), *(["RS256", "ES256"] if public else [])]
    algorithms = document.get("algorithms", default)
    if not isinstance(algorithms, list) or not algorithms or not all(isinstance(a, str) for a in algorithms):
        raise ValueError(f"{where}.algorithms must be a non-empty list, e.g. [RS256]")
    for algorithm in algorithms:
        if algorithm in HMAC_ALGORITHMS and not secrets:
            raise ValueError(f"{where}.algorithms: {algorithm} needs a secret")
        if algorithm in PUBLIC_KEY_ALGORITHMS and not public:
            raise ValueError(f"{where}.algorithms: {algorithm} needs public keys (publicKeys or jwksFile)")
        if algorithm not in HMAC_ALGORITHMS | PUBLIC_KEY_ALGORITHMS:
            known = sorted(HMAC_ALGORITHMS | PUBLIC_KEY_ALGORITHMS)
            raise ValueError(f"{where}.algorithms: unknown algorithm '{algorithm}'; known: {known}")
    return tuple(algorithms)


def _audience(value: object, where: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    audience = listed(value)
    if not audience or not all(isinstance(item, str) and item for item in audience):
        raise ValueError(f"{where}.audience must be a non-empty string or a list of them")
    return tuple(audience)


def _leeway(value: object, where: str) -> float:
    try:
        leeway = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        leeway = -1.0
    if not 0 <= leeway <= 300:
        raise ValueError(f"{where}.leewaySeconds must be a number of seconds from 0 to 300")
    return leeway


def _secret(value: object, where: str) -> bytes:
    secret = value.encode() if isinstance(value, str) else b""
    if len(secret) < MIN_HMAC_SECRET_BYTES:
        raise ValueError(f"{where}: an HMAC secret must be at least {MIN_HMAC_SECRET_BYTES} bytes; {GENERATE_SECRET}")
    return secret


def _public_key(value: object, base: Path, where: str) -> Any:
    """A PEM public key, inline or in a file."""
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
        raise ValueError(f"{where}: {path} holds a symmetric key; a JWK set here holds public keys (use secret)")
    return keys
