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
from journeys.engine.auth_checks import CredentialProfiles
from journeys.engine.cache_tasks import CacheSettings
from journeys.engine.result_push import PushSettings
from journeys.server import cache_config, push_config
from journeys.server.auth.settings import ClientAuth, parse_clients, parse_jwt
from journeys.server.credential_config import CREDENTIAL_KEYS, credential_changes
from journeys.server.tls import TlsSettings
from journeys.store import DEFAULT_DATABASE_URL, DEFAULT_POOL_SIZE

DEFAULT_MAX_BODY_BYTES = 1024 * 1024
DEFAULT_BODY_TIMEOUT_SECONDS = 30.0
MAX_WORKERS = 64
MAX_POOL_SIZE = 200


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
    idempotency_window_hours: float = 24.0
    """How long a start's idempotency key is kept: a retry within it gets the first start's answer."""
    body_timeout_seconds: float = DEFAULT_BODY_TIMEOUT_SECONDS
    """How long a request body may take to arrive (408 after, connection closed): slow clients hold no handler."""
    client_auth: ClientAuth = field(default_factory=ClientAuth)
    """The API's clients (`clients:`, their keys kept as digests) and JWT verification (`jwt:`)."""
    pinned_versions: Mapping[str, str] = field(default_factory=dict)
    """Journey name -> the stored version (label or digest prefix) new starts run instead of the loaded one."""
    platform_config: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Journey name -> values of the keys it declares under `spec.platform.config` (bound at `platform.config`)."""
    test_clock: bool = False
    """Serve POST /api/v1/test/clock, which moves the clock forward (tests of timers and deadlines only)."""
    result_push: PushSettings = field(default_factory=PushSettings)
    """`resultPush`: how ended journeys' outcomes are pushed to their callback URLs (see `push_config`)."""
    cache: CacheSettings = field(default_factory=CacheSettings)
    """`cache`: the default TTL and key prefix of the `cache:v1` cache (see `cache_config`)."""
    workers: int = 1
    """Server processes sharing the port (`--workers`; PostgreSQL only: a SQLite file has one process)."""
    database_pool_size: int = DEFAULT_POOL_SIZE
    """PostgreSQL connections per process, besides the one that listens for ended journeys."""
    config_file: Path | None = None
    """The file this config was read from: a reload reads `pinnedVersions` from it again."""
    credentials: CredentialProfiles = field(default_factory=CredentialProfiles)
    """`jwtProfiles` and `mtlsProfiles`: the profiles of the jwtValidate:v1 and mtlsValidate:v1 tasks."""
    tls: TlsSettings | None = None
    """`tls`: serve HTTPS (and ask clients for certificates) instead of plain HTTP."""
    client_cert_header: str | None = None
    """`clientCertHeader`: read the client certificate from this header of a trusted proxy, not from TLS."""


def _number(value: object, where: str, *, minimum: float, unit: str) -> float:
    """A finite number of `unit` above `minimum` (or equal to it when it is not zero); the message names `where`."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        number = float("nan")
    if not (minimum <= number < float("inf") and (minimum > 0 or number > 0)):
        wanted = f"a number of {unit}, at least {minimum:g}" if minimum > 0 else f"a positive number of {unit}"
        raise ConfigError(f"{where} must be {wanted} (got {value!r})")
    return number


def _retention_days(value: object, where: str) -> float:
    """At least a day: the log holds the dedupe keys, and a shorter memory would let gateway retries through."""
    return _number(value, where, minimum=1, unit="days")


def _window_hours(value: object, where: str) -> float:
    """Longer than any client's retries of a start; zero or less would make every retry a new journey."""
    return _number(value, where, minimum=0, unit="hours")


def _positive_seconds(value: object, where: str) -> float:
    return _number(value, where, minimum=0, unit="seconds")


def _whole_number(value: object, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ConfigError(f"{where} must be a whole number (got {value!r})")
    return value


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
        "bodyTimeoutSeconds",
        "idempotencyWindowHours",
        "clients",
        "jwt",
        "pinnedVersions",
        "resultPush",
        "cache",
        "platformConfig",
        "testClock",
        "workers",
        "databasePoolSize",
    }
    known |= CREDENTIAL_KEYS
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
    try:
        changes.update(_client_auth(config.client_auth, document.get("clients"), document.get("jwt"), path.parent))
        changes.update(credential_changes(config.credentials, document, path.parent))
    except ValueError as error:
        raise ConfigError(f"{path}: {error}") from error
    if "inboundRetentionDays" in document:
        days = document["inboundRetentionDays"]
        changes["inbound_retention_days"] = _retention_days(days, f"{path}: inboundRetentionDays")
    if "testClock" in document:
        if not isinstance(document["testClock"], bool):
            raise ConfigError(f"{path}: testClock must be true or false")
        changes["test_clock"] = document["testClock"]
    if "idempotencyWindowHours" in document:
        hours = document["idempotencyWindowHours"]
        changes["idempotency_window_hours"] = _window_hours(hours, f"{path}: idempotencyWindowHours")
    if "bodyTimeoutSeconds" in document:
        seconds = document["bodyTimeoutSeconds"]
        changes["body_timeout_seconds"] = _positive_seconds(seconds, f"{path}: bodyTimeoutSeconds")
    if "platformConfig" in document:
        changes["platform_config"] = _platform_config(document["platformConfig"], f"{path}: platformConfig")
    if "pinnedVersions" in document:
        changes["pinned_versions"] = _pins(document["pinnedVersions"], f"{path}: pinnedVersions")
    if "resultPush" in document:
        try:
            changes["result_push"] = push_config.from_document(config.result_push, document["resultPush"], "resultPush")
        except ValueError as error:
            raise ConfigError(f"{path}: {error}") from None
    if "cache" in document:
        try:
            changes["cache"] = cache_config.from_document(config.cache, document["cache"], "cache")
        except ValueError as error:
            raise ConfigError(f"{path}: {error}") from None
    if "databaseUrl" in document:
        changes["database_url"] = str(document["databaseUrl"])
    if "host" in document:
        changes["host"] = str(document["host"])
    if "port" in document:
        changes["port"] = int(document["port"])
    for key, name in (("workers", "workers"), ("databasePoolSize", "database_pool_size")):
        if key in document:
            changes[name] = _whole_number(document[key], f"{path}: {key}")
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


def _platform_config(value: object, where: str) -> dict[str, dict[str, Any]]:
    """Journey names to their `platform.config` values (checked against each journey's declarations at start)."""
    value = value or {}
    if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
        raise ConfigError(f"{where} must map journey names to their config values, e.g. {{payments: {{baseUrl: ...}}}}")
    return {str(name): {str(k): v for k, v in values.items()} for name, values in value.items()}


def _pins(value: object, where: str) -> dict[str, str]:
    """Journey names to version references (labels or digest prefixes), both non-empty text."""
    value = value or {}
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and k and isinstance(v, str | int | float) and str(v) for k, v in value.items()
    ):
        raise ConfigError(f"{where} must map journey names to version labels or digests, e.g. {{payments: '1.0.0'}}")
    return {name: str(reference) for name, reference in value.items()}


def read_pins(config: ServerConfig) -> dict[str, str]:
    """The pins as configured now (a reload's view): the config file read again, then the environment, as at start.
    Only the pins are taken; every other setting keeps its value until a restart."""
    if config.config_file is None:
        return dict(config.pinned_versions)
    return dict(load_config(config_file=str(config.config_file)).pinned_versions)


def _client_auth(current: ClientAuth, clients: object, jwt: object, base: Path) -> dict[str, ClientAuth]:
    """The `client_auth` change for a `clients` and/or `jwt` document (each None when not given)."""
    if clients is None and jwt is None:
        return {}
    return {
        "client_auth": ClientAuth(
            clients=current.clients if clients is None else parse_clients(clients),
            jwt=current.jwt if jwt is None else parse_jwt(jwt, base),
        )
    }


def _from_environment(config: ServerConfig, environ: Mapping[str, str]) -> ServerConfig:
    changes: dict[str, Any] = {}
    simple = {
        "JOURNEYS_DATABASE_URL": ("database_url", str),
        "JOURNEYS_HOST": ("host", str),
        "JOURNEYS_PORT": ("port", int),
        "JOURNEYS_WORKERS": ("workers", int),
        "JOURNEYS_DATABASE_POOL_SIZE": ("database_pool_size", int),
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
    if environ.get("JOURNEYS_IDEMPOTENCY_WINDOW_HOURS"):
        hours = environ["JOURNEYS_IDEMPOTENCY_WINDOW_HOURS"]
        changes["idempotency_window_hours"] = _window_hours(hours, "JOURNEYS_IDEMPOTENCY_WINDOW_HOURS")
    if environ.get("JOURNEYS_BODY_TIMEOUT_SECONDS"):
        seconds = environ["JOURNEYS_BODY_TIMEOUT_SECONDS"]
        changes["body_timeout_seconds"] = _positive_seconds(seconds, "JOURNEYS_BODY_TIMEOUT_SECONDS")
    if environ.get("JOURNEYS_TEST_CLOCK"):
        changes["test_clock"] = environ["JOURNEYS_TEST_CLOCK"].lower() in ("1", "true", "yes")
    try:
        changes["result_push"] = push_config.from_environment(config.result_push, environ)
        changes["cache"] = cache_config.from_environment(config.cache, environ)
    except ValueError as error:
        raise ConfigError(str(error)) from None
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
    for name, setting, parse in (
        ("JOURNEYS_PLATFORM_CONFIG", "platform_config", _platform_config),
        ("JOURNEYS_PINNED_VERSIONS", "pinned_versions", _pins),
    ):
        try:
            value = _json_variable(environ, name)
        except ValueError as error:
            raise ConfigError(str(error)) from error
        if value is not None:
            changes[setting] = parse(value, name)
    if environ.get("JOURNEYS_API_KEYS"):
        try:
            changes["api_keys"] = parse_profiles(orjson.loads(environ["JOURNEYS_API_KEYS"]))
        except (ValueError, orjson.JSONDecodeError) as error:
            raise ConfigError(f'JOURNEYS_API_KEYS must be JSON like {{"profile": ["secret"]}}: {error}') from error
    try:
        clients, jwt = (_json_variable(environ, name) for name in ("JOURNEYS_CLIENTS", "JOURNEYS_JWT"))
        changes.update(_client_auth(config.client_auth, clients, jwt, Path.cwd()))
    except ValueError as error:
        example = '{"shop": {"keys": ["..."], "scopes": ["journeys:read"]}}'
        raise ConfigError(f"JOURNEYS_CLIENTS (JSON like {example}) or JOURNEYS_JWT: {error}") from error
    return replace(config, **changes)


def _json_variable(environ: Mapping[str, str], name: str) -> object:
    """The JSON value of a variable, None when unset; never quotes the value (it may hold secrets)."""
    if not environ.get(name):
        return None
    try:
        return orjson.loads(environ[name])
    except orjson.JSONDecodeError as error:
        raise ValueError(f"{name} is not valid JSON") from error


def load_config(
    *,
    config_file: str | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> ServerConfig:
    config = ServerConfig()
    if config_file:
        config = replace(_from_file(config, Path(config_file)), config_file=Path(config_file))
    config = _from_environment(config, os.environ if environ is None else environ)
    cleaned = {k: v for k, v in (overrides or {}).items() if v is not None}
    return _checked_processes(replace(config, **cleaned))


def _checked_processes(config: ServerConfig) -> ServerConfig:
    """The process and connection counts, checked together: they bound what the database must accept."""
    if not 2 <= config.database_pool_size <= MAX_POOL_SIZE:
        raise ConfigError(
            f"databasePoolSize must be a whole number from 2 to {MAX_POOL_SIZE} (got {config.database_pool_size})"
        )
    if not 1 <= config.workers <= MAX_WORKERS:
        raise ConfigError(f"workers must be a whole number from 1 to {MAX_WORKERS} (got {config.workers})")
    if config.workers > 1 and config.database_url.startswith("sqlite"):
        raise ConfigError(
            f"workers: {config.workers} needs PostgreSQL; a SQLite database file is served by one process "
            "(its writes are serialised anyway; run one process, or set databaseUrl to a PostgreSQL database)"
        )
    return config
