"""`journeys contract-test --token` (and `run_document(token=...)`) runs Arazzo workflows as a client."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Callable

from journeys.contracts.contract_report import Verdict
from journeys.contracts.contract_runner import ArazzoDocument, run_document
from tests.auth.clients import CLIENT_AUTH, SHOP_KEY
from tests.support import ROOT, WEBHOOK_SECRET, LiveServer

ARAZZO = ROOT / "arazzo" / "payment-callback.arazzo.yaml"
INPUTS = {"paymentId": "pay-arazzo-auth", "amount": 42.5, "currency": "EUR", "webhookSecret": WEBHOOK_SECRET}


async def test_workflows_run_with_the_clients_token(start_server: Callable[..., object], sqlite_url: str) -> None:
    server: LiveServer = await start_server(sqlite_url, client_auth=CLIENT_AUTH)  # type: ignore[misc]
    document = ArazzoDocument.load(ARAZZO)

    def run(token: str | None) -> list:
        return run_document(document, server.base_url, INPUTS, workflow_ids=["payment-succeeds"], token=token)

    [anonymous] = await asyncio.to_thread(run, None)
    assert anonymous.verdict is Verdict.FAILED
    assert anonymous.steps[0].status_code == 401
    [authenticated] = await asyncio.to_thread(run, SHOP_KEY)
    assert authenticated.verdict is Verdict.PASSED, authenticated


async def test_the_command_takes_the_token_from_the_environment(
    start_server: Callable[..., object], sqlite_url: str
) -> None:
    server: LiveServer = await start_server(sqlite_url, client_auth=CLIENT_AUTH)  # type: ignore[misc]
    command = [sys.executable, "-m", "journeys.cli", "contract-test", str(ARAZZO), "--base-url", server.base_url]
    command += ["--inputs", json.dumps(INPUTS)]
    process = await asyncio.create_subprocess_exec(
        *command,
        env={**os.environ, "JOURNEYS_TOKEN": SHOP_KEY},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0, output.decode()
    assert ", 0 failed, 0 skipped" in output.decode(), output.decode()
