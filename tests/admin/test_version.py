"""`journeys --version` names the installed distribution's version."""

from __future__ import annotations

from importlib import metadata

from tests.admin.conftest import Cli


async def test_version_prints_the_installed_version(cli: Cli) -> None:
    run = await cli("--version")
    assert (run.status, run.out) == (0, f"journeys {metadata.version('journeys')}\n")


async def test_list_version_is_a_filter_not_the_programs_version(cli: Cli) -> None:
    """`--version` after `list` is the journey version filter: it needs a value, and prints no program version."""
    run = await cli("list", "--version")
    assert run.status == 2 and "argument --version: expected one argument" in run.err
