"""The operator token: which server it goes to, what a refusal looks like, and that it is never printed.

Every failure is one line on stderr and exit status 1 (2 for a command line that is wrong); the token given is
checked against everything the command printed, error or not.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from tests.admin.conftest import Cli, Run
from tests.auth.clients import OPS_KEY, READER_KEY, SHOP_KEY, start_as
from tests.support import ROOT, LiveServer


def assert_never_printed(token: str, run: Run) -> None:
    assert token not in run.out and token not in run.err, run


async def test_a_read_only_key_is_refused_an_action_with_the_scope_it_lacks(ops_server: LiveServer, cli: Cli) -> None:
    journey_id = await start_as(ops_server, SHOP_KEY)
    run = await cli("cancel", journey_id, "--server", ops_server.base_url, "--token", READER_KEY)
    assert (run.status, run.out) == (1, "")
    assert run.err.startswith("journeys cancel: 403 Forbidden: client 'reader' lacks the scope journeys:cancel")
    assert_never_printed(READER_KEY, run)


async def test_no_token_is_a_401_that_says_how_to_give_one(ops_server: LiveServer, cli: Cli) -> None:
    run = await cli("list", "--server", ops_server.base_url)
    assert run.status == 1
    assert run.err.startswith("journeys list: 401 Unauthenticated: ")
    assert run.err.endswith("(pass --token or set JOURNEYS_TOKEN)\n")


async def test_a_wrong_token_is_a_401_that_does_not_repeat_it(ops_server: LiveServer, cli: Cli) -> None:
    wrong = "not-a-key-of-anyone-0123456789"
    run = await cli("show", "some-id", "--server", ops_server.base_url, "--token", wrong)
    assert run.status == 1 and run.err.startswith("journeys show: 401 Unauthenticated: ")
    assert "--token" not in run.err  # a token was given: the hint would mislead
    assert_never_printed(wrong, run)


async def test_server_and_token_come_from_the_environment(
    ops_server: LiveServer, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    journey_id = await start_as(ops_server, SHOP_KEY)
    monkeypatch.setenv("JOURNEYS_SERVER", ops_server.base_url + "/")
    monkeypatch.setenv("JOURNEYS_TOKEN", f" {OPS_KEY}\n")  # as `$(cat token-file)` might give it
    run = await cli("list")
    assert run.status == 0, run.err
    assert journey_id in run.out
    assert_never_printed(OPS_KEY, run)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_an_unreachable_server_is_named(cli: Cli) -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    run = await cli("list", "--server", url, "--token", OPS_KEY)
    assert (run.status, run.out) == (1, "")
    assert run.err == f"journeys list: cannot reach {url}: Connection refused\n"
    assert_never_printed(OPS_KEY, run)


def test_the_installed_command_exits_1_with_one_line() -> None:
    """The real entry point, as a process: status and stderr as a shell script would see them."""
    url = f"http://127.0.0.1:{_free_port()}"
    env = {"PATH": "", "JOURNEYS_SERVER": url, "JOURNEYS_TOKEN": OPS_KEY}
    done = subprocess.run(
        [sys.executable, "-m", "journeys.cli", "show", "some-id"], capture_output=True, text=True, env=env, cwd=ROOT
    )
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == f"journeys show: cannot reach {url}: Connection refused\n"


async def _serve(app: web.Application, host: str) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, host, 0)
    await site.start()
    return runner, f"http://{host}:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]


@pytest.fixture
async def elsewhere() -> AsyncIterator[tuple[str, list[tuple[str, str]]]]:
    """Another host (`localhost`) that records the path and `Authorization` header of each request it is sent,
    and answers an empty journey list."""
    seen: list[tuple[str, str]] = []

    async def record(request: web.Request) -> web.Response:
        seen.append((request.path_qs, request.headers.get("Authorization", "")))
        return web.json_response({"items": [], "nextPageToken": None})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", record)
    runner, url = await _serve(app, "localhost")
    yield url, seen
    await runner.cleanup()


async def test_a_server_behind_a_path_prefix_is_asked_under_it(
    elsewhere: tuple[str, list[tuple[str, str]]], cli: Cli
) -> None:
    url, seen = elsewhere
    run = await cli("list", "--phase", "Running", "--server", f"{url}/ops-proxy/", "--token", OPS_KEY)
    assert (run.status, run.out) == (0, "No journeys match.\n")
    assert seen == [("/ops-proxy/api/v1/journeys?phase=Running", f"Bearer {OPS_KEY}")]


@pytest.fixture
async def front(elsewhere: tuple[str, list[tuple[str, str]]]) -> AsyncIterator[str]:
    """A server on 127.0.0.1 that redirects every request to the other host."""

    async def redirect(request: web.Request) -> web.Response:
        raise web.HTTPTemporaryRedirect(f"{elsewhere[0]}{request.path_qs}")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", redirect)
    runner, url = await _serve(app, "127.0.0.1")
    yield url
    await runner.cleanup()


async def test_a_redirect_is_reported_not_followed(
    front: str, elsewhere: tuple[str, list[tuple[str, str]]], cli: Cli
) -> None:
    run = await cli("list", "--server", front, "--token", OPS_KEY)
    assert run.status == 1
    assert f"answered 307 redirecting to {elsewhere[0]}/api/v1/journeys" in run.err
    assert elsewhere[1] == [], "the other host was asked"
    assert_never_printed(OPS_KEY, run)


@pytest.fixture
async def echoing() -> AsyncIterator[str]:
    """A server that is not Journeys: its problems quote the request's `Authorization` header back."""

    async def echo(request: web.Request) -> web.Response:
        detail = f"bad credential {request.headers.get('Authorization')}\n\x1b[2Jcleared"
        return web.json_response(
            {"title": "Nope", "detail": detail}, status=401, content_type="application/problem+json"
        )

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", echo)
    runner, url = await _serve(app, "127.0.0.1")
    yield url
    await runner.cleanup()


async def test_a_token_a_server_echoes_is_not_printed(echoing: str, cli: Cli) -> None:
    run = await cli("list", "--server", echoing, "--token", OPS_KEY)
    assert run.status == 1
    # One line, the token replaced, the escape sequence written out rather than sent to the terminal.
    assert run.err == "journeys list: 401 Nope: bad credential Bearer [token]\\n\\x1b[2Jcleared\n"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--server", "ftp://127.0.0.1"), "JOURNEYS_SERVER) must be an http:// or https:// URL with a host"),
        (("--server", "hunter2-password@127.0.0.1"), "JOURNEYS_SERVER) must be an http:// or https:// URL"),
        (("--server", "http://127.0.0.1/?hunter2-password"), "JOURNEYS_SERVER) takes no query or fragment"),
        (("--server", "http://ops:hunter2-password@127.0.0.1"), "JOURNEYS_SERVER) must not carry credentials"),
        (("--token", "caf\u00e9-key"), "the token holds characters an HTTP header cannot carry"),
        (("--limit", "0"), "argument --limit: must be a whole number 1..500, got '0'"),
        (("--limit", "ten"), "argument --limit: must be a whole number 1..500, got 'ten'"),
    ],
)
async def test_a_wrong_command_line_is_exit_2(cli: Cli, argv: tuple[str, ...], message: str) -> None:
    run = await cli("list", *argv)
    assert run.status == 2 and message in run.err, run
    assert "hunter2-password" not in run.err
