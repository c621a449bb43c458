"""Schemathesis fuzzes the live server against the API document the server itself publishes.

The schemathesis CLI runs as a subprocess (the server shares this test's event loop, so the test awaits it) with
every check (`--checks all`): no 5xx, every status, content type, header and body as documented, schema-valid
requests accepted and invalid ones refused, 405 with `Allow` for undocumented methods. Positive and negative
cases run in four phases: examples, coverage (boundary values), fuzzing, and stateful sequences that follow the
document's links (start -> step -> status/result/history/cancel, a delivery -> its inbound log entry), so steps
are also tried on real, waiting journeys. Half the step submissions carry the gateway's real secret, so
callbacks pass auth as well as fail it; half the schema-valid deliveries to inbound sources are signed as their
gateway signs them (`schemathesis_hooks.py`, with the test servers' secrets), so the sources' 2xx answers and
the inbound log are fuzzed as well as their refusals.

Deliberate allowances, all in `_config`:
- a `pageToken` the API did not issue is refused with 400 though any string matches its schema (no schema can
  say which tokens were issued), on `listJourneys` and `listInboundDeliveries`;
- a submission without the API key to a step that is not waiting is answered 409 (the key is checked by the
  journey's auth task, which only runs when the journey is waiting at the step);
- a step id several journeys share is one operation whose body may be any of their step schemas (`anyOf`),
  while the server checks it against the schema of the journey the id belongs to: a body valid for another
  journey's step is refused with 400, and a submission carries only the credentials of some of the journeys.
Long polls are shortened by `schemathesis_hooks.py`.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from journeys.contracts.inbound_contract import verification_of
from journeys.contracts.openapi_export import export_api_openapi
from tests.support import INBOUND_SECRETS, WEBHOOK_SECRET, LiveServer

MAX_EXAMPLES = 30  # per operation and phase; the run takes about ten seconds per database
SEED = 20261123  # fixed, so a failure reproduces; change it to explore other inputs
HOOKS = Path(__file__).with_name("schemathesis_hooks.py")
RUN_TIMEOUT_SECONDS = 240


def _config(directory: Path) -> Path:
    config = directory / "schemathesis.toml"
    config.write_text(
        f"""
hooks = {json.dumps(str(HOOKS))}

[dictionaries.webhook-secrets]
values = [{json.dumps(WEBHOOK_SECRET)}]

[parameters]
"header.X-Webhook-Secret" = {{ dictionary = "webhook-secrets", probability = 0.5 }}

[checks.missing_required_header]
expected-statuses = [400, 401, 403, 406, 409, 415, 422]

[[operations]]
include-operation-id = "listJourneys"
checks.positive_data_acceptance.expected-statuses = ["2xx", 400]

[[operations]]
include-operation-id = "listInboundDeliveries"
checks.positive_data_acceptance.expected-statuses = ["2xx", 400]

[[operations]]
include-operation-id-regex = "^submitStep_"
checks.positive_data_acceptance.expected-statuses = ["2xx", 400, 401, 403, 404, 409]

""",
        encoding="utf-8",
    )
    return config


def _signing(server: LiveServer) -> str:
    """What the hooks need to sign deliveries to each loaded source: its verification and a configured secret."""
    signing = {}
    for name, source in server.engine.inbound.sources.items():
        [secret, *_] = INBOUND_SECRETS[source.verify.secrets]
        signing[f"/inbound/{name}"] = {"verification": verification_of(source), "secret": secret["secret"]}
    return json.dumps(signing)


async def _schemathesis(directory: Path, *args: str, env: dict[str, str]) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "schemathesis.cli",
        *args,
        cwd=directory,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=RUN_TIMEOUT_SECONDS)
    assert process.returncode is not None
    return process.returncode, output.decode(errors="replace")


async def test_the_server_keeps_its_published_contract_under_fuzzing(server: LiveServer, tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    # Signatures carry the signer's time: the server's clock must be near it (within the 300 s tolerance).
    server.clock.now = datetime.now(UTC)
    exit_code, output = await _schemathesis(
        tmp_path,
        "--no-color",
        "--config-file",
        str(_config(tmp_path)),
        "run",
        server.url("/api/v1/openapi.json"),
        "--checks",
        "all",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        str(SEED),
        "--request-timeout",
        "10",
        "--generation-database",
        "none",
        "--report",
        "json",
        "--report-json-path",
        str(report),
        env={"JOURNEYS_FUZZ_SIGNING": _signing(server)},
    )
    summary: dict[str, Any] = json.loads(report.read_text(encoding="utf-8"))
    cases = summary["test_cases"]
    print(f"schemathesis: {cases['generated']} test cases on {summary['operations']['tested']} operations")
    assert (exit_code, summary["failures"], summary["errors"]) == (0, [], []), output[-8000:]
    assert {phase: result["status"] for phase, result in summary["phases"].items()} == {
        "examples": "success",
        "coverage": "success",
        "fuzzing": "success",
        "stateful": "success",
    }, output[-8000:]
    api = export_api_openapi(server.engine.definitions, server.engine.inbound.sources)
    operations = sum(len(item) for item in api["paths"].values())
    assert summary["operations"]["tested"] == summary["operations"]["total"] == operations
    assert cases["generated"] >= 20 * operations
    # The signed deliveries got through: every source answered some of them 2xx (and logged them so).
    by_source = (await server.engine.inbound_log.stats())["sources"]
    for name in server.engine.inbound.sources:
        verdicts = by_source[name]["24h"]["verdicts"]
        assert any(not verdict.startswith("rejected:") for verdict in verdicts), (name, verdicts)
