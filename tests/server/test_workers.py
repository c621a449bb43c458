"""`journeys serve --workers N` as an operator runs it: one port answered by N processes, stopped by one SIGTERM to
the parent, and a config that cannot start refused once, with the status a single server gives."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import aiohttp
import asyncpg
import pytest

from tests.server_process import ServerProcess
from tests.support import BROKEN_JOURNEY

Serve = Callable[[str], Awaitable[ServerProcess]]


@pytest.fixture
def serve(postgres_url: str, tmp_path: Path) -> Iterator[Serve]:
    """Start `journeys serve` on the test's database with a config file of `settings` (YAML), and wait until it
    answers; stopped at the end."""
    started: list[ServerProcess] = []

    async def start(settings: str) -> ServerProcess:
        config = tmp_path / "server.yaml"
        config.write_text(settings)
        started.append(ServerProcess(postgres_url, config, tmp_path / "server.log"))
        async with aiohttp.ClientSession() as http:
            await started[-1].ready(http)
        return started[-1]

    yield start
    for server in started:
        server.stop()


def _workers_of(parent: int) -> list[int]:
    return [int(pid) for pid in Path(f"/proc/{parent}/task/{parent}/children").read_text().split()]


async def test_three_workers_answer_on_one_port_and_one_sigterm_stops_them_all(serve: Serve) -> None:
    server = await serve("workers: 3\ndatabasePoolSize: 4\n")
    workers = _workers_of(server.process.pid)
    assert len(workers) == 3
    # Each new connection may land on any worker (the kernel picks): a start through one is readable through another.
    ids = []
    for _ in range(12):
        async with aiohttp.ClientSession() as fresh:
            body = {"paymentId": "p", "amount": 1, "currency": "EUR"}
            async with fresh.post(f"{server.base}/journeys/payment-callback/start", json=body) as answer:
                assert answer.status == 200
                ids.append((await answer.json())["journeyId"])
    async with aiohttp.ClientSession() as http:
        for journey_id in ids:
            async with http.get(f"{server.base}/journeys/{journey_id}") as answer:
                assert answer.status == 200
    server.send(signal.SIGTERM)
    assert server.process.wait(timeout=30) == 0
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers)


def test_definitions_that_cannot_load_stop_every_worker_with_status_2(postgres_url: str, tmp_path: Path) -> None:
    definitions = tmp_path / "definitions"
    definitions.mkdir()
    (definitions / "broken.journey.yaml").write_text(BROKEN_JOURNEY)
    command = [sys.executable, "-m", "journeys.cli", "serve", "--workers", "2", "--port", "0"]
    command += ["--database-url", postgres_url, "--definitions", str(definitions)]
    environment = {k: v for k, v in os.environ.items() if not k.startswith("JOURNEYS_")}
    finished = subprocess.run(command, capture_output=True, text=True, timeout=60, env=environment)
    assert finished.returncode == 2
    assert "invalid definitions" in finished.stderr and "outputVariable" in finished.stderr
    assert "starting another" not in finished.stderr  # not restarted in a loop


async def _until(condition: Callable[[], bool]) -> None:
    for _ in range(300):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("not within 15 s")


async def test_a_worker_that_dies_is_replaced(serve: Serve) -> None:
    server = await serve("workers: 2\ndatabasePoolSize: 4\n")
    killed, kept = _workers_of(server.process.pid)
    os.kill(killed, signal.SIGKILL)
    await _until(lambda: len(_workers_of(server.process.pid)) == 2 and killed not in _workers_of(server.process.pid))
    assert kept in _workers_of(server.process.pid)
    assert "was killed by signal 9; starting another" in server.log.read_text()


async def test_workers_stop_when_their_parent_is_killed(serve: Serve) -> None:
    """A supervisor killed with SIGKILL cannot pass a signal on: the kernel stops its workers, none serves on."""
    server = await serve("workers: 2\ndatabasePoolSize: 4\n")
    workers = _workers_of(server.process.pid)
    server.kill()
    await _until(lambda: not any(Path(f"/proc/{pid}").exists() for pid in workers))


async def test_a_process_holds_no_more_connections_than_its_pool_and_its_listener(
    serve: Serve, postgres_url: str
) -> None:
    """The operator's budget (hosts x workers x (databasePoolSize + 1) under max_connections) holds under load."""
    server = await serve("databasePoolSize: 3\n")
    async with aiohttp.ClientSession() as http:

        async def journey(i: int) -> None:
            body = {"paymentId": f"p{i}", "amount": 1, "currency": "EUR"}
            async with http.post(f"{server.base}/journeys/payment-callback/start", json=body) as answer:
                assert answer.status == 200

        await asyncio.gather(*(journey(i) for i in range(60)))
    admin = await asyncpg.connect(postgres_url)
    try:
        held = await admin.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    finally:
        await admin.close()
    assert 1 < held <= 4
