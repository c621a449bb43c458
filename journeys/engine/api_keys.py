"""`apiKeyValidate:v1`: check an inbound key against a named profile's keys in constant time.

A profile holds several keys so a secret can be rotated (old and new accepted during the overlap).
Keys are identified by a `keyId` that journeys may record; the raw key never enters the context.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from journeys.engine.errors import EngineConfigurationError

PROBLEM_BASE = "https://journeys.dev/problems/apikey"


@dataclass(frozen=True, slots=True)
class ApiKey:
    key_id: str
    secret: bytes


@dataclass(frozen=True, slots=True)
class ApiKeyProfile:
    name: str
    keys: tuple[ApiKey, ...]
    source_location: str = "header"
    source_name: str | None = None


def positional_id(profile: str, index: int) -> str:
    """The id of a key configured without one: `<profile>#<n>`, its 1-based position in the profile.

    It reveals nothing about the secret (a hash of it could be checked offline against guesses, and key ids
    are shown in journey results and the inbound log), but it names a position: reordering the keys changes
    it. Give a key an explicit `id` when the id must stay stable.
    """
    return f"{profile}#{index + 1}"


def parse_profiles(config: Mapping[str, Any], setting: str = "apiKeys") -> dict[str, ApiKeyProfile]:
    """Build profiles from `{profile: [secret | {id, secret}, ...]}` or `{profile: {keys: [...], source: {...}}}`.

    `setting` names the config key in error messages (API keys and inbound secrets share the shape)."""
    profiles: dict[str, ApiKeyProfile] = {}
    for name, entry in config.items():
        source: Mapping[str, Any] = {}
        items: Iterable[Any]
        if isinstance(entry, Mapping):
            items = entry.get("keys") or []
            source = entry.get("source") or {}
        elif isinstance(entry, list):
            items = entry
        else:
            raise ValueError(f"{setting}.{name}: expected a list of keys or a mapping with 'keys'")
        keys = []
        for index, item in enumerate(items):
            if isinstance(item, str):
                secret, key_id = item, positional_id(name, index)
            elif isinstance(item, Mapping) and isinstance(item.get("secret"), str):
                secret, key_id = item["secret"], str(item.get("id") or positional_id(name, index))
            else:
                raise ValueError(f"{setting}.{name}[{index}]: expected a secret string or {{id, secret}}")
            if not secret:
                raise ValueError(f"{setting}.{name}[{index}]: empty secret")
            keys.append(ApiKey(key_id, secret.encode()))
        profiles[name] = ApiKeyProfile(name, tuple(keys), str(source.get("location", "header")), source.get("name"))
    return profiles


def text_bytes(value: str) -> bytes:
    """Encode a header/body value for comparison.

    `hmac.compare_digest` refuses non-ASCII str, so everything is compared as bytes. aiohttp decodes header
    values as UTF-8 with `surrogateescape`, which this reverses to the bytes on the wire; anything that still
    cannot be encoded is replaced (it cannot be a valid signature or secret anyway).
    """
    try:
        return value.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return value.encode("utf-8", "replace")


def _problem(code: str, title: str, detail: str) -> dict[str, Any]:
    slug = code.removeprefix("APIKEY_").lower()
    return {"type": f"{PROBLEM_BASE}/{slug}", "title": title, "status": 401, "detail": detail, "code": code}


def match_key(profile: ApiKeyProfile, presented: str | None) -> tuple[str | None, dict[str, Any] | None]:
    """Return (keyId, None) on a match or (None, problem) otherwise.

    Every configured key is compared (no early exit) with `hmac.compare_digest`, so timing reveals
    neither which key matched nor how much of a guess was right.
    """
    if not profile.keys:
        raise EngineConfigurationError(f"API key profile '{profile.name}' has no keys configured")
    if not presented:
        return None, _problem("APIKEY_MISSING", "API key missing", "No API key was presented.")
    candidate = text_bytes(presented)  # a non-UTF-8 byte in the header is a 401 like any wrong key
    matched: str | None = None
    for key in profile.keys:
        if hmac.compare_digest(candidate, key.secret) and matched is None:
            matched = key.key_id
    if matched is None:
        return None, _problem("APIKEY_INVALID", "API key invalid", "The presented API key is not valid.")
    return matched, None
