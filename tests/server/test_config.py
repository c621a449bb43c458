"""Server configuration: file, then environment, then flags; unusable input names what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from journeys.server.config import ConfigError, load_config


def _file(tmp_path: Path, document: object) -> str:
    path = tmp_path / "journeys.yaml"
    path.write_text(yaml.safe_dump(document))
    return str(path)


def test_later_sources_override_earlier_ones(tmp_path: Path) -> None:
    config_file = _file(
        tmp_path,
        {
            "databaseUrl": "sqlite:///from-file.db",
            "port": 9001,
            "definitions": "defs",
            "apiKeys": {"gateway": [{"id": "k1", "secret": "s1"}, "s2"]},
            "outboundRewrites": {"https://api.example.com": "http://127.0.0.1:9"},
        },
    )
    environ = {"JOURNEYS_PORT": "9002", "JOURNEYS_API_KEYS": '{"gateway": ["s3"]}'}
    config = load_config(config_file=config_file, environ=environ, overrides={"host": "0.0.0.0", "port": None})
    assert config.database_url == "sqlite:///from-file.db"  # file
    assert config.port == 9002  # environment beats the file; a flag left unset (None) changes nothing
    assert config.host == "0.0.0.0"  # flag
    assert config.definitions == ((tmp_path / "defs").resolve(),)  # relative to the config file
    # the environment's keys replace the file's: only s3 is accepted now
    assert [key.key_id for key in config.api_keys["gateway"].keys] == ["gateway#1"]
    assert config.outbound_rewrites == {"https://api.example.com": "http://127.0.0.1:9"}


@pytest.mark.parametrize(
    ("document", "environ", "message"),
    [
        ({"apiKey": {}}, {}, "unknown config keys ['apiKey']"),
        ({"apiKeys": {"p": [""]}}, {}, "empty secret"),
        ({"apiKeys": {"p": "secret"}}, {}, "expected a list of keys"),
        ({"outboundRewrites": ["x"]}, {}, "outboundRewrites must map"),
        ({}, {"JOURNEYS_PORT": "eighty"}, "JOURNEYS_PORT"),
        ({}, {"JOURNEYS_API_KEYS": "[1"}, "JOURNEYS_API_KEYS must be JSON"),
    ],
)
def test_unusable_configuration_is_named(
    tmp_path: Path, document: object, environ: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_config(config_file=_file(tmp_path, document), environ=environ)


def test_the_inbound_retention_is_at_least_a_day(tmp_path: Path) -> None:
    config = tmp_path / "server.yaml"
    config.write_text("inboundRetentionDays: 7\n")
    assert load_config(config_file=str(config), environ={}).inbound_retention_days == 7
    for bad in ("0", "-3", "soon"):
        with pytest.raises(ConfigError, match="at least 1"):
            load_config(environ={"JOURNEYS_INBOUND_RETENTION_DAYS": bad})
