"""`journeys serve --check-config`: what `serve` checks at start-up, without opening the port or the database.

A deploy runs it before it replaces a running server (a container's entrypoint check, `ExecStartPre=` of a systemd
unit, a CI job), so a typo in the config or a definition that no longer loads is refused there, with every problem
listed, rather than by a server that will not come up. It reads the config exactly as `serve` does (file, then
environment, then flags), loads the definitions and sources and checks each journey's `platformConfig` as start-up
and a reload do. What needs the database is left to start-up and said so: pins name *stored* versions, and the
database itself is only checked to be a URL of a supported kind.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import TextIO

from journeys.definitions import DefinitionErrors, load_catalog
from journeys.definitions.inbound_model import InboundSource
from journeys.definitions.model import JourneyDefinition
from journeys.engine.api_endpoints import split_kinds
from journeys.engine.platform_binding import PlatformConfigError, check_platform_config
from journeys.server.auth import bind_refusal
from journeys.server.config import ConfigError, ServerConfig, load_config
from journeys.server.http_protocol import redact
from journeys.server.reloading import unconfigured_secrets
from journeys.store import normalise_url

PROGRAM = "journeys serve --check-config"


def check_config(args: argparse.Namespace, overrides: Mapping[str, object], *, out: TextIO, err: TextIO) -> int:
    """0 with a one-line summary on `out` (and any warning on `err`); 2 with every problem, one a line, on `err`."""
    try:
        config = load_config(config_file=args.config, overrides=overrides)
    except (ConfigError, ValueError) as error:  # the rest depends on the config: nothing more can be checked
        print(f"{PROGRAM}: {error}", file=err)
        return 2
    problems = _setting_problems(config, insecure=args.insecure_no_client_auth)
    definitions: dict[str, JourneyDefinition] = {}
    sources: dict[str, InboundSource] = {}
    try:
        definitions, sources = load_catalog(config.definitions)
    except DefinitionErrors as failure:
        problems += [str(error) for error in failure.errors]
    else:
        try:
            check_platform_config(definitions.values(), config.platform_config)
        except PlatformConfigError as error:
            problems.append(f"platformConfig: {error.detail}")
    if problems:
        for problem in problems:
            print(f"{PROGRAM}: {problem}", file=err)
        print(f"{PROGRAM}: {len(problems)} problem(s); the server would not start", file=err)
        return 2
    # Not refusals: `serve` starts with these too (and logs them), but what they name answers 500 until configured.
    for warning in unconfigured_secrets(definitions.values(), sources.values(), config):
        print(f"{PROGRAM}: warning: {warning}", file=err)
    print(f"{PROGRAM}: ok: {_summary(config, definitions, len(sources))}", file=out)
    return 0


def _setting_problems(config: ServerConfig, *, insecure: bool) -> list[str]:
    problems = []
    refusal = bind_refusal(config.host, config.client_auth, insecure=insecure)
    if refusal is not None:
        problems.append(refusal)
    try:
        normalise_url(config.database_url)
    except ValueError as error:
        problems.append(redact(str(error)))
    return problems


def _summary(config: ServerConfig, definitions: Mapping[str, JourneyDefinition], sources: int) -> str:
    journeys, apis = split_kinds(definitions)
    pins = (
        f"; {len(config.pinned_versions)} pinned (resolved against stored versions at start, not checked here)"
        if config.pinned_versions
        else ""
    )
    workers = f" with {config.workers} workers" if config.workers > 1 else ""
    return (
        f"{len(journeys)} journeys, {len(apis)} APIs, {sources} inbound sources from "
        f"{', '.join(map(str, config.definitions))}; database {redact(config.database_url)}; "
        f"listen {config.host}:{config.port}{workers}; client authentication: {config.client_auth.summary()}{pins}"
    )
