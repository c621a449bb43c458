"""Server configuration: defaults, then the YAML config file, then JOURNEYS_* environment variables,
then command-line flags (each later source overrides the earlier ones)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import orjson
import yaml

from journeys.engine import ApiKeyProfile, parse_profiles
from journeys.store import DEFAULT_DATABASE_URL

DEFAULT_MAX_BODY_BYTES = 1024 * 1024


class ConfigError(ValueError):
    """The config file or an environment variable is unusable; the message names which."""


@dataclass(frozen=True)
class ServerConfig:
    definitions: tuple[Path, ...] = (Path("definitions"),)
    database_url: str = DEFAULT_DATABASE_URL
    host: str = "127.0.0.1"
    port: int = 8080
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    environment: str = "local"
    api_keys: Mapping[str, ApiKeyProfile] = field(default_factory=dict)
    scheduler_interval: float = 0.5
    outbound_rewrites: Mapping[str, str] = field(default_factory=dict)
    """URL prefix -> replacement for outbound httpCall requests (point production hosts at stubs or a gateway)."""
    inbound_secrets: Mapping[str, ApiKeyProfile] = field(default_factory=dict)
    """Secrets of the inbound sources' verification presets, by profile name (several per profile: rotation)."""
    inbound_retention_days: float = 35.0
    """How long the inbound log (and so each delivery's dedupe key) is kept."""


def _retention_days(value: object, where: str) -> float:
    """At least a day: the log holds the dedupe keys, and a shorter memory would let gateway retries through."""
    try:
        days = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        days = float("nan")
    if not days >= 1:
        raise ConfigError(f"{where} must be a number of days, at least 1 (got {value!r})")
    return days


def _from_file(config: ServerConfig, path: Path) -> ServerConfig:
    try:
        document = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as error:
        raise ConfigError(f"{path}: cannot read config: {error}") from error
    if not isinstance(document, dict):
        raise ConfigError(f"{path}: the config must be a mapping")
    known = {
        "apiKeys",
        "inboundSecrets",
        "inboundRetentionDays",
        "databaseUrl",
        "host",
        "port",
        "maxBodyBytes",
        "environment",
        "definitions",
        "outboundRewrites",
    }
    unknown = sorted(set(document) - known)
    if unknown:
        raise ConfigError(f"{path}: unknown config keys {unknown}; known: {sorted(known)}")
    changes: dict[str, Any] = {}
    try:
        if "apiKeys" in document:
            changes["api_keys"] = parse_profiles(document["apiKeys"] or {})
        if "inboundSecrets" in document:
            changes["inbound_secrets"] = parse_profiles(document["inboundSecrets"] or {}, "inboundSecrets")
    except ValueError as error:
        raise ConfigError(f"{path}: {error}") from error
    if "inboundRetentionDays" in document:
        days = document["inboundRetentionDays"]
        changes["inbound_retention_days"] = _retention_days(days, f"{path}: inboundRetentionDays")
    if "databaseUrl" in document:
        changes["database_url"] = str(document["databaseUrl"])
    if "host" in document:
        changes["host"] = str(document["host"])
    if "port" in document:
        changes["port"] = int(document["port"])
    if "maxBodyBytes" in document:
        changes["max_body_bytes"] = int(document["maxBodyBytes"])
    if "environment" in document:
        changes["environment"] = str(document["environment"])
    if "outboundRewrites" in document:
        rewrites = document["outboundRewrites"] or {}
        if not isinstance(rewrites, dict):
            raise ConfigError(f"{path}: outboundRewrites must map URL prefixes to replacement prefixes")
        changes["outbound_rewrites"] = {str(k): str(v) for k, v in rewrites.items()}
    if "definitions" in document:
        entries = document["definitions"]
        entries = entries if isinstance(entries, list) else [entries]
        changes["definitions"] = tuple((path.parent / str(entry)).resolve() for entry in entries)
    return replace(config, **changes)


def _from_environment(config: ServerConfig, environ: Mapping[str, str]) -> ServerConfig:
    changes: dict[str, Any] = {}
    simple = {
        "JOURNEYS_DATABASE_URL": ("database_url", str),
        "JOURNEYS_HOST": ("host", str),
        "JOURNEYS_PORT": ("port", int),
        "JOURNEYS_MAX_BODY_BYTES": ("max_body_bytes", int),
        "JOURNEYS_ENVIRONMENT": ("environment", str),
    }
    for variable, (name, convert) in simple.items():
        if environ.get(variable):
            try:
                changes[name] = convert(environ[variable])
            except ValueError as error:
                raise ConfigError(f"{variable}: {error}") from error
    if environ.get("JOURNEYS_INBOUND_RETENTION_DAYS"):
        days = environ["JOURNEYS_INBOUND_RETENTION_DAYS"]
        changes["inbound_retention_days"] = _retention_days(days, "JOURNEYS_INBOUND_RETENTION_DAYS")
    if environ.get("JOURNEYS_DEFINITIONS"):
        changes["definitions"] = tuple(Path(p) for p in environ["JOURNEYS_DEFINITIONS"].split(os.pathsep) if p)
    if environ.get("JOURNEYS_OUTBOUND_REWRITES"):
        try:
            changes["outbound_rewrites"] = dict(orjson.loads(environ["JOURNEYS_OUTBOUND_REWRITES"]))
        except (ValueError, TypeError, orjson.JSONDecodeError) as error:
            raise ConfigError(f"JOURNEYS_OUTBOUND_REWRITES must be a JSON object of URL prefixes: {error}") from error
    if environ.get("JOURNEYS_INBOUND_SECRETS"):
        try:
            changes["inbound_secrets"] = parse_profiles(
                orjson.loads(environ["JOURNEYS_INBOUND_SECRETS"]), "inboundSecrets"
            )
        except (ValueError, orjson.JSONDecodeError) as error:
            raise ConfigError(
                f'JOURNEYS_INBOUND_SECRETS must be JSON like {{"midtrans": ["server-key"]}}: {error}'
            ) from error
    if environ.get("JOURNEYS_API_KEYS"):
        try:
            changes["api_keys"] = parse_profiles(orjson.loads(environ["JOURNEYS_API_KEYS"]))
        except (ValueError, orjson.JSONDecodeError) as error:
            raise ConfigError(f'JOURNEYS_API_KEYS must be JSON like {{"profile": ["secret"]}}: {error}') from error
    return replace(config, **changes)


def load_config(
    *,
    config_file: str | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> ServerConfig:
    config = ServerConfig()
    if config_file:
        config = _from_file(config, Path(config_file))
    config = _from_environment(config, os.environ if environ is None else environ)
    cleaned = {k: v for k, v in (overrides or {}).items() if v is not None}
    return replace(config, **cleaned)
