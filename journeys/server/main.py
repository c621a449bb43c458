"""`journeys serve`: load the config, build the app, serve until SIGTERM/SIGINT, then shut down cleanly."""

from __future__ import annotations

import argparse
import gc
import logging
import sys
from pathlib import Path

from journeys.definitions import DefinitionErrors
from journeys.engine import EngineError
from journeys.server.app import build_app
from journeys.server.auth import bind_refusal, is_loopback
from journeys.server.config import ConfigError, ServerConfig, load_config
from journeys.server.http_protocol import install_redaction, redact, serve
from journeys.server.observability import configure_logging
from journeys.server.workers import UNFIT, Supervisor

log = logging.getLogger("journeys.server")

# Requests allocate many short-lived objects that reference counting frees at once; the cyclic collector,
# run every 700 allocations by default, mostly rescans them, and its full passes were the p99 tail of the
# benchmark (callback p99 58-92 ms -> 45-47 ms at the same throughput). Collect far less often instead.
GC_THRESHOLDS = (50_000, 20, 100)


def flag_overrides(args: argparse.Namespace) -> dict[str, object]:
    """The settings `serve`'s flags give (None: not given), which override the config file and the environment."""
    return {
        "database_url": args.database_url,
        "host": args.host,
        "port": args.port,
        "definitions": (Path(args.definitions),) if args.definitions else None,
        "workers": args.workers,
    }


def check_server_config(args: argparse.Namespace) -> int:
    """`serve --check-config`: the start-up checks only (journeys.server.config_check)."""
    from journeys.server.config_check import check_config

    return check_config(args, flag_overrides(args), out=sys.stdout, err=sys.stderr)


def run_server(args: argparse.Namespace) -> int:
    gc.set_threshold(*GC_THRESHOLDS)
    configure_logging(args.log_format)
    install_redaction()  # before anything is logged: the database URL below may hold a password
    try:
        config = load_config(config_file=args.config, overrides=flag_overrides(args))
    except ConfigError as error:
        print(f"journeys serve: {error}", file=sys.stderr)
        return 2
    refusal = bind_refusal(config.host, config.client_auth, insecure=args.insecure_no_client_auth)
    if refusal is not None:
        print(f"journeys serve: {refusal}", file=sys.stderr)
        return 2
    log.info("client authentication: %s", config.client_auth.summary())
    if not config.client_auth.configured and not is_loopback(config.host):
        log.warning("no clients configured: anyone who can reach %s:%s may use the whole API", config.host, config.port)
    # Masked here, not only by the filter: a handler added after install_redaction would not have it.
    database = redact(config.database_url)
    log.info("database %s; definitions %s", database, ", ".join(map(str, config.definitions)))
    if config.workers > 1:
        return Supervisor(config.workers, lambda: _serve(config, reuse_port=True)).run()
    return _serve(config, reuse_port=False)


def _serve(config: ServerConfig, *, reuse_port: bool) -> int:
    """One server process: its exit status (2: it cannot start with this config)."""
    try:
        # serve (aiohttp's run_app on a handler that answers unparseable requests with problem documents, with
        # redacted logs) handles SIGINT/SIGTERM: it stops accepting, finishes in-flight requests, then runs the
        # app's cleanup context (drain background runs, close the store).
        app = build_app(config, reload_on_sighup=True)
        tls = None if config.tls is None else config.tls.context()
        serve(app, host=config.host, port=config.port, print_line=log.info, reuse_port=reuse_port, ssl_context=tls)
    except DefinitionErrors as errors:
        print(f"journeys serve: invalid definitions:\n{errors}", file=sys.stderr)
        return UNFIT
    except EngineError as error:  # pinnedVersions naming no runnable version
        print(f"journeys serve: {error.detail}", file=sys.stderr)
        return UNFIT
    return 0
