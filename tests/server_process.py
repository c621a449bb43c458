"""`journeys serve` as a real child process, for the tests that SIGKILL it and restart it on the same database."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import aiohttp
import yaml

from tests.support import SHIPPED_DEFINITIONS, TEST_DEFINITIONS


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    """`journeys serve` as a real child process; its log goes to a file, quoted when it fails to come up."""

    def __init__(
        self,
        database_url: str,
        config: Path,
        log: Path,
        definitions: Sequence[Path] = (SHIPPED_DEFINITIONS, TEST_DEFINITIONS),
        options: Sequence[str] = (),
    ) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}/api/v1"
        self.log = log
        env = {**os.environ, "JOURNEYS_DEFINITIONS": os.pathsep.join(map(str, definitions))}
        command = [sys.executable, "-m", "journeys.cli", "serve", "--database-url", database_url]
        command += ["--config", str(config), "--port", str(self.port), *options]  # options: e.g. --log-format
        with log.open("wb") as sink:
            self.process = subprocess.Popen(command, env=env, stdout=sink, stderr=subprocess.STDOUT)

    async def ready(self, http: aiohttp.ClientSession) -> None:
        for _ in range(300):
            if self.process.poll() is not None:
                raise AssertionError(f"server exited: {self.log.read_text()}")
            try:
                async with http.get(f"{self.base}/journeys?limit=1") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
        raise AssertionError(f"server did not come up: {self.log.read_text()}")

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def send(self, number: signal.Signals) -> None:
        self.process.send_signal(number)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def spawning(
    tmp_path: Path,
    settings: dict[str, Any],
    definitions: Sequence[Path] = (SHIPPED_DEFINITIONS, TEST_DEFINITIONS),
) -> Iterator[Callable[..., ServerProcess]]:
    """For a fixture: start servers (with `settings` as their config file, loading `definitions`) on a database,
    each with its own command-line options; all stopped at the end."""
    config = tmp_path / "server.yaml"
    config.write_text(yaml.safe_dump(settings))
    spawned: list[ServerProcess] = []

    def start(database_url: str, options: Sequence[str] = ()) -> ServerProcess:
        log = tmp_path / f"server-{len(spawned)}.log"
        process = ServerProcess(database_url, config, log, definitions=definitions, options=options)
        spawned.append(process)
        return process

    yield start
    for process in spawned:
        process.stop()
