"""`journeys serve` without any client configured listens on loopback only, unless told otherwise out loud."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

import aiohttp

from tests.auth.clients import OPS_KEY
from tests.server_process import _free_port
from tests.support import SHIPPED_DEFINITIONS

SERVE = [sys.executable, "-m", "journeys.cli", "serve", "--definitions", str(SHIPPED_DEFINITIONS)]


async def _serve(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> asyncio.subprocess.Process:
    database = f"sqlite:///{tmp_path / 'journeys.db'}"
    return await asyncio.create_subprocess_exec(
        *SERVE,
        "--database-url",
        database,
        *args,
        env={**os.environ, **(env or {})},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )


async def _status_when_up(process: asyncio.subprocess.Process, port: int) -> int:
    """The status of `GET /api/v1/journeys` once the server answers; the server is stopped afterwards (its log
    is then in `process.stdout`)."""
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(200):
                assert process.returncode is None, "the server exited"
                try:
                    async with http.get(f"http://127.0.0.1:{port}/api/v1/journeys") as response:
                        return response.status
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.05)
        raise AssertionError("the server did not come up")
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), timeout=20)


async def test_without_clients_it_refuses_to_listen_beyond_loopback(tmp_path: Path) -> None:
    process = await _serve(tmp_path, "--host", "0.0.0.0", "--port", str(_free_port()))
    output, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 2
    message = output.decode()
    assert "refusing to listen on 0.0.0.0 without client authentication" in message
    assert "--insecure-no-client-auth" in message


async def test_the_insecure_flag_lets_it_listen_anyway(tmp_path: Path) -> None:
    port = _free_port()
    process = await _serve(tmp_path, "--host", "0.0.0.0", "--port", str(port), "--insecure-no-client-auth")
    assert await _status_when_up(process, port) == 200


async def test_with_clients_it_listens_anywhere_and_asks_for_credentials(tmp_path: Path) -> None:
    port = _free_port()
    clients = json.dumps({"ops": {"keys": [OPS_KEY], "scopes": ["operator"]}})
    process = await _serve(tmp_path, "--host", "0.0.0.0", "--port", str(port), env={"JOURNEYS_CLIENTS": clients})
    assert await _status_when_up(process, port) == 401
    assert process.stdout is not None
    log = (await process.stdout.read()).decode()
    assert "client authentication: clients ops" in log
    assert OPS_KEY not in log


async def test_on_loopback_it_needs_no_setup(tmp_path: Path) -> None:
    """The README's quickstart: no clients, the default host."""
    port = _free_port()
    process = await _serve(tmp_path, "--port", str(port))
    assert await _status_when_up(process, port) == 200
