"""The `cache` server settings as an operator meets them: the file and the environment set the default TTL and the
key prefix (the environment wins), and an unusable value is refused with the setting's name."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from journeys.engine.cache_tasks import CacheSettings
from journeys.server.config import ConfigError, load_config


def _file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "journeys.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_the_file_sets_the_cache_and_the_environment_overrides_it(tmp_path: Path) -> None:
    config_file = _file(tmp_path, "cache: {defaultTtlSeconds: 600, keyPrefix: 'orders:'}\n")
    assert load_config(config_file=config_file, environ={}).cache == CacheSettings(timedelta(minutes=10), "orders:")
    environ = {"JOURNEYS_CACHE_DEFAULT_TTL_SECONDS": "90", "JOURNEYS_CACHE_KEY_PREFIX": ""}
    assert load_config(config_file=config_file, environ=environ).cache == CacheSettings(timedelta(seconds=90), "")
    assert load_config(environ={}).cache == CacheSettings(timedelta(minutes=5), "")


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("cache: {defaultTtlSeconds: 0}", "cache.defaultTtlSeconds"),
        ("cache: {defaultTtlSeconds: 1.5}", "cache.defaultTtlSeconds"),
        ("cache: {keyPrefix: [a]}", "cache.keyPrefix"),
        (f"cache: {{keyPrefix: {'p' * 200}}}", "at most 128"),
        ("cache: {provider: redis}", "unknown keys ['provider']"),
        ("cache: 300", "cache must be a mapping"),
    ],
)
def test_an_unusable_setting_is_refused_by_name(tmp_path: Path, text: str, said: str) -> None:
    with pytest.raises(ConfigError, match="cache") as refused:
        load_config(config_file=_file(tmp_path, text + "\n"), environ={})
    assert said in str(refused.value)


def test_a_bad_ttl_in_the_environment_names_the_variable() -> None:
    with pytest.raises(ConfigError, match="JOURNEYS_CACHE_DEFAULT_TTL_SECONDS"):
        load_config(environ={"JOURNEYS_CACHE_DEFAULT_TTL_SECONDS": "soon"})
