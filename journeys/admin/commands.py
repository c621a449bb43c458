"""Run one operator command: find the server and token, ask, print, and say in one line what went wrong.

A new command is an `Action` (see `journey_commands`) listed in `COMMANDS` under its name, plus its arguments in
`journeys/cli.py`; the server options, `--json`, the exit statuses and the error lines come from here.
Exit statuses: 0 done, 1 the server refused or could not be reached, 2 the command line is wrong.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import TextIO

from journeys.admin.client import AdminClient, AdminError, Target, given_token, resolve_target
from journeys.admin.definition_commands import migrate_journeys, reload_definitions
from journeys.admin.journey_commands import Action, cancel_journey, list_journeys, show_journey
from journeys.admin.report import Report
from journeys.admin.tables import printable

COMMANDS: dict[str, Action] = {
    "list": list_journeys,
    "show": show_journey,
    "cancel": cancel_journey,
    "reload": reload_definitions,
    "migrate": migrate_journeys,
}


async def _ask(action: Action, target: Target, args: argparse.Namespace) -> Report:
    async with AdminClient.connect(target) as client:
        return await action(client, args)


def run_command(name: str, args: argparse.Namespace, *, out: TextIO, err: TextIO) -> int:
    """Run `COMMANDS[name]` with the parsed `args` (`server`, `token`, `json` and the command's own)."""
    try:
        target = resolve_target(args.server, args.token)
        report = asyncio.run(_ask(COMMANDS[name], target, args))
    except AdminError as error:
        err.write(f"journeys {name}: {_scrubbed(error.message, given_token(args.token))}\n")
        return error.exit_status
    out.write(report.render(as_json=args.json))
    return report.exit_status


def _scrubbed(message: str, token: str | None) -> str:
    """The message as one printable line, and never the token, even if a server echoed it back."""
    line = printable(message)
    return line.replace(token, "[token]") if token else line
