"""The `journeys` command line: `serve` runs the HTTP server, `validate` checks definition files, `test` runs journey
scenarios, `list`, `show` and `cancel` operate a running server."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from importlib import metadata

from journeys.http_api import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE


def _validate(args: argparse.Namespace) -> int:
    from journeys.definitions.validate_command import run_validate

    return run_validate(args.paths, out=sys.stdout)


def _serve(args: argparse.Namespace) -> int:
    from journeys.server.main import check_server_config, run_server

    return check_server_config(args) if args.check_config else run_server(args)


def _export(args: argparse.Namespace) -> int:
    from journeys.contracts.export_command import run_export

    return run_export(args.format, args.definition, args.output, out=sys.stdout)


def _contract_test(args: argparse.Namespace) -> int:
    from journeys.contracts.contract_test_command import run_contract_test

    token = args.token or os.environ.get("JOURNEYS_TOKEN") or None
    return run_contract_test(args.arazzo, base_url=args.base_url, inputs=args.inputs, out=sys.stdout, token=token)


def _scenario_test(args: argparse.Namespace) -> int:
    from journeys.scenarios.command import run_scenario_tests

    return run_scenario_tests(args.scenarios, out=sys.stdout, junit_xml=args.junit_xml, selected=args.select)


def _operator(command: str) -> Callable[[argparse.Namespace], int]:
    """The handler of an operator command (`journeys.admin.commands.COMMANDS`), imported when it runs."""

    def handler(args: argparse.Namespace) -> int:
        from journeys.admin.commands import run_command

        return run_command(command, args, out=sys.stdout, err=sys.stderr)

    return handler


def _operator_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], name: str, help: str
) -> argparse.ArgumentParser:
    """A subcommand that talks to a running server: `--server`, `--token` and `--json` come with it."""
    parser = commands.add_parser(name, help=help)
    parser.add_argument(
        "--server", default=None, help="server base URL (default: env JOURNEYS_SERVER, else http://127.0.0.1:8080)"
    )
    parser.add_argument(
        "--token",
        default=None,
        help="operator API key or JWT (default: env JOURNEYS_TOKEN, better: a command line shows in `ps`)",
    )
    parser.add_argument("--json", action="store_true", help="print the server's JSON instead of tables")
    parser.set_defaults(handler=_operator(name))
    return parser


def _page_size(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= MAX_PAGE_SIZE:
        raise argparse.ArgumentTypeError(f"must be a whole number 1..{MAX_PAGE_SIZE}, got '{text}'")
    return int(text)


def _map_pair(text: str) -> str:
    """An `--map OLD=NEW` argument, checked as argparse reads it (a malformed one exits 2)."""
    old, sign, new = text.partition("=")
    if not (sign and old and new):
        raise argparse.ArgumentTypeError(f"takes OLD=NEW (a state of --from = a step of --to), got '{text}'")
    return text


def _version() -> str:
    try:
        return metadata.version("journeys")
    except metadata.PackageNotFoundError:
        return "unknown (not installed: run `pip install -e .`)"


def _add_operator_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    listing = _operator_parser(commands, "list", "list journeys, newest first")
    listing.add_argument("--journey", default=None, metavar="NAME", help="only journeys of this definition")
    listing.add_argument("--phase", default=None, help="Running, Succeeded or Failed")
    listing.add_argument(
        "--version", dest="journey_version", default=None, metavar="V", help="only journeys running by this version"
    )
    listing.add_argument(
        "--limit",
        type=_page_size,
        default=None,
        metavar="N",
        help=f"journeys per page, 1..{MAX_PAGE_SIZE} ({DEFAULT_PAGE_SIZE})",
    )
    listing.add_argument("--all", action="store_true", help="follow nextPageToken through every page")

    show = _operator_parser(commands, "show", "a journey's status, result and history")
    show.add_argument("journey_id", metavar="ID")

    cancel = _operator_parser(commands, "cancel", "cancel a running journey")
    cancel.add_argument("journey_id", metavar="ID")

    _operator_parser(commands, "reload", "reload the server's definitions from disk (as SIGHUP does)")

    migrate = _operator_parser(commands, "migrate", "move waiting journeys to another stored version")
    migrate.add_argument("--journey", required=True, metavar="NAME", help="the journey's name")
    migrate.add_argument("--from", dest="source", required=True, metavar="VERSION", help="label or digest prefix")
    migrate.add_argument("--to", dest="target", required=True, metavar="VERSION", help="label or digest prefix")
    migrate.add_argument(
        "--map",
        action="append",
        default=[],
        type=_map_pair,
        metavar="OLD=NEW",
        help="move journeys at state OLD to step NEW",
    )
    migrate.add_argument("--dry-run", action="store_true", help="check every journey, move none")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="journeys", description=__doc__)
    parser.add_argument("--version", action="version", version=f"journeys {_version()}")
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
        "--workers",
        type=int,
        default=None,
        help="server processes sharing the port, kept running by this one (default 1; PostgreSQL only; "
        "env JOURNEYS_WORKERS)",
    )
    serve.add_argument(
        "--log-format", choices=["text", "json"], default="text", help="text lines, or one JSON object per line"
    )
    serve.add_argument(
        "--insecure-no-client-auth",
        action="store_true",
        help="listen beyond loopback with no client configured (only behind something that authenticates clients)",
    )
    serve.add_argument(
        "--check-config",
        action="store_true",
        help="load the config and the definitions, check them as start-up would, print a summary and exit "
        "(0: would start; 2: every problem listed); opens neither the port nor the database",
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

    scenario = commands.add_parser("test", help="run journey scenarios against scripted downstream services")
    scenario.add_argument("scenarios", nargs="+", help="scenario files (*.scenario.yaml) or directories")
    scenario.add_argument("--junit-xml", default=None, metavar="PATH", help="also write the results as JUnit XML")
    scenario.add_argument("-k", dest="select", default=None, metavar="TEXT", help="only scenarios whose name has TEXT")
    scenario.set_defaults(handler=_scenario_test)

    _add_operator_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.handler(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
