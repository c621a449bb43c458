"""SIGHUP reloads a real `journeys serve` process, and a SIGKILL in the middle of a reload loses nothing (issue 8)."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml

from tests.server.order_review import ORDER_REVIEW_V1, ORDER_REVIEW_V2, definitions_dir
from tests.server_process import ServerProcess


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[list[ServerProcess]]:
    spawned: list[ServerProcess] = []
    yield spawned
    for process in spawned:
        process.stop()


def _spawn(spawned: list[ServerProcess], database_url: str, tmp_path: Path, definitions: Path) -> ServerProcess:
    config = tmp_path / "server.yaml"
    config.write_text(yaml.safe_dump({}))
    process = ServerProcess(database_url, config, tmp_path / f"server-{len(spawned)}.log", definitions=(definitions,))
    spawned.append(process)
    return process


async def _post(http: aiohttp.ClientSession, url: str, body: Any) -> tuple[int, Any]:
    async with http.post(url, json=body) as response:
        return response.status, await response.json(content_type=None)


async def _start(http: aiohttp.ClientSession, server: ServerProcess) -> dict[str, Any]:
    status, body = await _post(http, f"{server.base}/journeys/order-review/start", {})
    assert status == 200, body
    return body  # type: ignore[no-any-return]


async def _eventually(server: ServerProcess, text: str) -> None:
    for _ in range(200):
        if text in server.log.read_text():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{text!r} never logged:\n{server.log.read_text()}")


async def test_sighup_reloads_and_a_broken_file_keeps_the_previous_set(
    processes: list[ServerProcess], database_url: str, tmp_path: Path
) -> None:
    definitions = definitions_dir(tmp_path / "definitions", **{"order-review": ORDER_REVIEW_V1})
    server = _spawn(processes, database_url, tmp_path, definitions)
    async with aiohttp.ClientSession() as http:
        await server.ready(http)
        old = await _start(http, server)

        definitions_dir(definitions, **{"order-review": ORDER_REVIEW_V2.replace("next: secondLook", "next: nowhere")})
        server.send(signal.SIGHUP)
        await _eventually(server, "reload refused, the previous definitions stay loaded")
        assert "nowhere" in server.log.read_text()
        assert (await _start(http, server))["journeyVersion"] == "1"

        definitions_dir(definitions, **{"order-review": ORDER_REVIEW_V2})
        server.send(signal.SIGHUP)
        await _eventually(server, "definitions reloaded: 1 journeys, order-review 2 (changed)")
        assert (await _start(http, server))["journeyVersion"] == "2"

        journey = f"{server.base}/journeys/{old['journeyId']}"
        status, _ = await _post(http, f"{journey}/steps/review", {"approved": True})
        assert status == 200
        async with http.get(f"{journey}/result") as response:
            result = await response.json()
        assert (result["phase"], result["journeyVersion"]) == ("Succeeded", "1")


async def test_a_sigkill_during_a_reload_loses_no_journey_and_no_acknowledged_callback(
    processes: list[ServerProcess], database_url: str, tmp_path: Path
) -> None:
    definitions = definitions_dir(tmp_path / "definitions", **{"order-review": ORDER_REVIEW_V1})
    server = _spawn(processes, database_url, tmp_path, definitions)
    async with aiohttp.ClientSession() as http:
        await server.ready(http)
        journeys = [(await _start(http, server))["journeyId"] for _ in range(20)]
        definitions_dir(definitions, **{"order-review": ORDER_REVIEW_V2})

        async def approve(journey_id: str) -> str | None:
            try:
                status, _ = await _post(http, f"{server.base}/journeys/{journey_id}/steps/review", {"approved": True})
            except aiohttp.ClientError:
                return None
            return journey_id if status == 200 else None

        approvals = [asyncio.create_task(approve(journey_id)) for journey_id in journeys[:10]]
        server.send(signal.SIGHUP)
        await asyncio.sleep(0.02)
        server.kill()
        acknowledged = {journey_id for journey_id in await asyncio.gather(*approvals) if journey_id}

        restarted = _spawn(processes, database_url, tmp_path, definitions)
        await restarted.ready(http)
        for journey_id in journeys:
            journey = f"{restarted.base}/journeys/{journey_id}"
            async with http.get(journey) as response:
                shown = await response.json()
            assert shown["journeyVersion"] == "1", shown
            if journey_id in acknowledged:
                assert shown["phase"] == "Succeeded", shown
                continue
            if shown["phase"] == "Running":  # never approved, or approved but unanswered: finish it now
                status, _ = await _post(http, f"{journey}/steps/review", {"approved": True})
                assert status == 200
            async with http.get(f"{journey}/result") as response:
                result = await response.json()
            assert (result["phase"], result["journeyVersion"]) == ("Succeeded", "1"), result
        assert (await _start(http, restarted))["journeyVersion"] == "2"
