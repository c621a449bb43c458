"""The `journeys` command line: `serve` runs the HTTP server, `validate` checks definition files."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence


def _validate(args: argparse.Namespace) -> int:
    from journeys.definitions.validate_command import run_validate

    return run_validate(args.paths, out=sys.stdout)


def _serve(args: argparse.Namespace) -> int:
    from journeys.server.main import run_server

    return run_server(args)


def _export(args: argparse.Namespace) -> int:
    from journeys.contracts.export_command import run_export

    return run_export(args.format, args.definition, args.output, out=sys.stdout)


def _contract_test(args: argparse.Namespace) -> int:
    from journeys.contracts.contract_test_command import run_contract_test

    token = args.token or os.environ.get("JOURNEYS_TOKEN") or None
    return run_contract_test(args.arazzo, base_url=args.base_url, inputs=args.inputs, out=sys.stdout, token=token)


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
    serve.add_argument("--config", default=None, help="YAML config file (clients, apiKeys, inboundSecrets, ...)")
    serve.add_argument(
        "--insecure-no-client-auth",
        action="store_true",
        help="listen beyond loopback with no client configured (only behind something that authenticates clients)",
    )
    serve.set_defaults(handler=_serve)

    export = commands.add_parser("export", help="write the OpenAPI document or Arazzo workflows of a journey")
    export.add_argument("format", choices=["openapi", "arazzo"])
    export.add_argument("definition", help="a *.journey.yaml file; for openapi, a directory gives the whole API")
    export.add_argument("-o", "--output", default=None, help="write to FILE instead of standard output")
    export.set_defaults(handler=_export)

    contract = commands.add_parser("contract-test", help="run Arazzo workflows against a live server")
    contract.add_argument("arazzo", nargs="+", help="Arazzo documents")
    contract.add_argument("--base-url", required=True, help="server origin, e.g. http://127.0.0.1:8080")
    contract.add_argument("--inputs", default=None, help='workflow inputs as JSON, e.g. {"webhookSecret": "..."}')
    contract.add_argument(
        "--token", default=None, help="client API key or JWT for a server with clients (default: env JOURNEYS_TOKEN)"
    )
    contract.set_defaults(handler=_contract_test)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.handler(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
