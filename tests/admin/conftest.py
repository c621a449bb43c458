"""The operator CLI run as an operator would: `journeys.cli.main` against a live server with clients configured.

`main` runs its own event loop (`asyncio.run`), so it runs in a thread while the server serves on the test's
loop; what it prints is read back from pytest's capture of stdout and stderr.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest

from journeys.cli import main
from tests.auth.clients import CLIENT_AUTH
from tests.support import LiveServer


@dataclass(frozen=True)
class Run:
    status: int
    out: str
    err: str


Cli = Callable[..., Awaitable[Run]]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    """`await cli("list", "--json", ...)`: the exit status (argparse's too) and the captured output."""
    monkeypatch.delenv("JOURNEYS_SERVER", raising=False)
    monkeypatch.delenv("JOURNEYS_TOKEN", raising=False)

    def run_main(argv: list[str]) -> int:
        try:
            return main(argv)
        except SystemExit as exit_:
            return int(exit_.code or 0)

    async def run(*argv: str) -> Run:
        capsys.readouterr()
        status = await asyncio.to_thread(run_main, list(argv))
        out, err = capsys.readouterr()
        return Run(status, out, err)

    return run


@pytest.fixture
async def ops_server(start_server: Callable[..., object], database_url: str) -> LiveServer:
    """A server with the clients of tests/auth/clients.py: `ops` is the operator, `reader` may only read."""
    return await start_server(database_url, client_auth=CLIENT_AUTH)  # type: ignore[misc]
