"""The `journeys` command line: `serve` runs the HTTP server, `validate` checks definition files."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def _validate(args: argparse.Namespace) -> int:
    from journeys.definitions.validate_command import run_validate

    return run_validate(args.paths, out=sys.stdout)


def _serve(args: argparse.Namespace) -> int:
    from journeys.server.main import run_server

    return run_server(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="journeys", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    validate = commands.add_parser("validate", help="validate journey definition files or directories")
    validate.add_argument("paths", nargs="+", help="definition files (*.journey.yaml) or directories")
    validate.set_defaults(handler=_validate)

    serve = commands.add_parser("serve", help="run the Journeys API server")
    serve.add_argument("--definitions", default=None, help="directory of *.journey.yaml files (default definitions/)")
    serve.add_argument("--database-url", default=None, help="SQLAlchemy URL (env JOURNEYS_DATABASE_URL)")
    serve.add_argument("--host", default=None, help="bind address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=None, help="TCP port (default 8080)")
    serve.add_argument("--config", default=None, help="YAML config file with apiKeys profiles")
    serve.set_defaults(handler=_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.handler(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
