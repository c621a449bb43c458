"""Hashing builtins of the DataWeave dialect, modelled on DataWeave's `dw::Crypto` module.

They let a journey compute what a gateway's own signature scheme needs (e.g. Midtrans'
`SHA512(order_id + status_code + gross_amount + server_key)`). Registered in
`dataweave_builtins.BUILTINS`; the functions here are pure and never read server config, so a
secret only ever reaches them as an argument the expression author wrote.

Differences from DataWeave, which has a Binary type that this dialect lacks:

- Inputs are strings, hashed as their UTF-8 bytes. A number is hashed as its `as String` text
  (`1.50` hashes as "1.5", so keep amounts that a gateway signs verbatim as strings).
- Every function returns the digest as a lowercase hex string (DataWeave's `hashWith` and
  `HMACWith` return Binary): hex is the form gateway signatures are compared with.
- A null value (or HMAC content) gives null, like the other string functions. A null HMAC
  secret is an error instead: a missing key is a configuration bug, and a null signature
  could compare equal to a missing signature header.

Algorithm names are the Java/DataWeave ones, matched case-insensitively. A literal algorithm
name is checked at compile time (`check_*_literal`), a computed one at evaluation.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from typing import Any

from journeys.expressions.dataweave_values import NUMBER_TYPES, to_string, type_name
from journeys.expressions.errors import ExpressionEvaluationError

# Canonical DataWeave/Java name -> hashlib name. Aliases below map extra spellings to these.
_DIGESTS = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}
_DIGEST_ALIASES = {"SHA1": "SHA-1", "SHA256": "SHA-256", "SHA384": "SHA-384", "SHA512": "SHA-512"}
_HMACS = {
    "HmacSHA1": "sha1",
    "HmacSHA256": "sha256",
    "HmacSHA384": "sha384",
    "HmacSHA512": "sha512",
    "HmacMD5": "md5",
}

_DIGEST_BY_KEY = {name.upper(): hashlib_name for name, hashlib_name in _DIGESTS.items()} | {
    alias: _DIGESTS[name] for alias, name in _DIGEST_ALIASES.items()
}
_HMAC_BY_KEY = {name.upper(): hashlib_name for name, hashlib_name in _HMACS.items()}


def _resolve(algorithm: Any, table: dict[str, str]) -> str | None:
    """The hashlib name for `algorithm` (matched case-insensitively), or None if unknown."""
    if type(algorithm) is not str:
        return None
    return table.get(algorithm.upper())


def _algorithm_problem(function: str, algorithm: Any, accepted: list[str]) -> str:
    shown = repr(algorithm) if type(algorithm) is str else type_name(algorithm)
    return f"{function}() does not support algorithm {shown}; accepted: {', '.join(accepted)}"


_DIGEST_NAMES = [*_DIGESTS, *_DIGEST_ALIASES]
_HMAC_NAMES = list(_HMACS)


def _digest_name(algorithm: Any) -> str:
    name = _resolve(algorithm, _DIGEST_BY_KEY)
    if name is None:
        raise ExpressionEvaluationError(_algorithm_problem("hashWith", algorithm, _DIGEST_NAMES))
    return name


def _hmac_name(algorithm: Any) -> str:
    name = _resolve(algorithm, _HMAC_BY_KEY)
    if name is None:
        raise ExpressionEvaluationError(_algorithm_problem("HMACWith", algorithm, _HMAC_NAMES))
    return name


def _bytes(function: str, what: str, value: Any) -> bytes:
    """UTF-8 bytes of a string, or of a number's `as String` text; anything else is an error."""
    kind = type(value)
    if kind is str:
        return value.encode()
    if kind in NUMBER_TYPES:
        return to_string(value).encode()
    raise ExpressionEvaluationError(f"{function}() expects a string or number {what}, got {type_name(value)}")


def _fixed_digest(function: str, hashlib_name: str) -> Callable[[Any], Any]:
    def apply(value: Any) -> Any:
        if value is None:
            return None
        return hashlib.new(hashlib_name, _bytes(function, "value", value)).hexdigest()

    return apply


md5 = _fixed_digest("MD5", "md5")
sha1 = _fixed_digest("SHA1", "sha1")


def hash_with(value: Any, algorithm: Any = "SHA-1") -> Any:
    """`hashWith(value, algorithm = "SHA-1")` as lowercase hex."""
    name = _digest_name(algorithm)  # checked first so a bad algorithm fails even on null input
    if value is None:
        return None
    return hashlib.new(name, _bytes("hashWith", "value", value)).hexdigest()


def hmac_with(secret: Any, content: Any, algorithm: Any = "HmacSHA1") -> Any:
    """`HMACWith(secret, content, algorithm = "HmacSHA1")` as lowercase hex."""
    name = _hmac_name(algorithm)
    if secret is None:
        raise ExpressionEvaluationError("HMACWith() expects a string or number secret, got null")
    key = _bytes("HMACWith", "secret", secret)
    if content is None:
        return None
    return hmac.new(key, _bytes("HMACWith", "content", content), name).hexdigest()


def check_hash_with_literal(position: int, value: Any) -> str | None:
    """Compile-time check of a literal argument of hashWith: the algorithm must be known."""
    if position == 1 and _resolve(value, _DIGEST_BY_KEY) is None:
        return _algorithm_problem("hashWith", value, _DIGEST_NAMES)
    return None


def check_hmac_with_literal(position: int, value: Any) -> str | None:
    """Compile-time check of a literal argument of HMACWith: a non-null secret, a known algorithm."""
    if position == 0 and value is None:
        return "HMACWith() expects a string or number secret, got null"
    if position == 2 and _resolve(value, _HMAC_BY_KEY) is None:
        return _algorithm_problem("HMACWith", value, _HMAC_NAMES)
    return None
