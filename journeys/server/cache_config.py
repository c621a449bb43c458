"""The `cache` settings of the server config: the deployment's one `cache:v1` cache (ADR-0028).

In the config file:

    cache:
      defaultTtlSeconds: 300     # the TTL of a put whose task sets no ttlSeconds
      keyPrefix: "orders-prod:"  # prepended to every key: deployments sharing a database do not see each other's

and as environment variables: JOURNEYS_CACHE_DEFAULT_TTL_SECONDS, JOURNEYS_CACHE_KEY_PREFIX. The entries live in the
journeys database (`cache_entry`), so the provider is that database; errors name the setting.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta

from journeys.engine.cache_tasks import MAX_KEY_LENGTH, CacheSettings
from journeys.settings_blocks import known_keys

FIELDS = ("defaultTtlSeconds", "keyPrefix")
MAX_PREFIX = MAX_KEY_LENGTH // 4  # leaves the keys themselves most of the column


def _ttl(value: object, where: str) -> timedelta:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{where} must be a whole number of seconds, at least 1, got {value!r}")
    return timedelta(seconds=value)


def _prefix(value: object, where: str) -> str:
    if not isinstance(value, str) or len(value) > MAX_PREFIX or "\x00" in value:
        raise ValueError(f"{where} must be a string of at most {MAX_PREFIX} characters, got {value!r}")
    return value


def from_document(current: CacheSettings, value: object, where: str) -> CacheSettings:
    """`current` with the `cache` block of a config file applied; ValueError names the bad field."""
    value = known_keys(value, where, FIELDS)
    settings = current
    if "defaultTtlSeconds" in value:
        settings = replace(settings, default_ttl=_ttl(value["defaultTtlSeconds"], f"{where}.defaultTtlSeconds"))
    if "keyPrefix" in value:
        settings = replace(settings, key_prefix=_prefix(value["keyPrefix"], f"{where}.keyPrefix"))
    return settings


def from_environment(current: CacheSettings, environ: Mapping[str, str]) -> CacheSettings:
    """`current` with the JOURNEYS_CACHE_* variables applied; ValueError names the bad variable."""
    settings = current
    if environ.get("JOURNEYS_CACHE_DEFAULT_TTL_SECONDS"):
        ttl = _ttl(environ["JOURNEYS_CACHE_DEFAULT_TTL_SECONDS"], "JOURNEYS_CACHE_DEFAULT_TTL_SECONDS")
        settings = replace(settings, default_ttl=ttl)
    if "JOURNEYS_CACHE_KEY_PREFIX" in environ:
        settings = replace(
            settings, key_prefix=_prefix(environ["JOURNEYS_CACHE_KEY_PREFIX"], "JOURNEYS_CACHE_KEY_PREFIX")
        )
    return settings
