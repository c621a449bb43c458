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
- a submission without its signature header to a step the journey is not waiting at is answered 409 (a step
  verified by its source's signature checks it only when the journey waits there; a step guarded by an API
  key refuses such a submission 401);
- a start is refused with 422 when its `Idempotency-Key` was used before with another body, though both bodies
  match the schema (generated keys repeat: no schema can say which keys were used);
- a step id several journeys share is one operation whose body may be any of their step schemas (`anyOf`),
  while the server checks it against the schema of the journey the id belongs to: a body valid for another
  journey's step is refused with 400, and a submission carries only the credentials of some of the journeys.
Long polls are shortened by `schemathesis_hooks.py`.

The fuzzer calls as an operator (a configured client), so every journey is its to read and cancel, and the
`ignored_auth` check proves each operation declaring a credential refuses a request without one. Operations
taking an id, a filter or a page token get the most examples, some of them values a store trips on (NUL
characters, unstorable page tokens): run against the tree before NUL characters were handled, this test
fails with 500s on PostgreSQL on 16 operations. Operations with none get fewer, to keep the run near a
minute per database.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from journeys.contracts.inbound_contract import verification_of
from journeys.contracts.openapi_export import export_api_openapi
from journeys.server.query_params import encode_page_token
from tests.auth.clients import CLIENT_AUTH, OPS_KEY
from tests.support import INBOUND_SECRETS, WEBHOOK_SECRET, LiveServer

MAX_EXAMPLES = 20  # per operation and phase, for operations that take no id or filter
MAX_EXAMPLES_WITH_IDS = 150  # for those that do (200 was the count that found NUL characters failing on PostgreSQL)
# The operations whose path or query carries an id, a filter or a page token: values a store must take or
# refuse, fuzzed longest.
OPERATIONS_WITH_IDS = (
    "listJourneys",
    "getStatus",
    "getResult",
    "getHistory",
    "cancel",
    "listInboundDeliveries",
    "getInboundDelivery",
    "replayInboundDelivery",
)
# Values a store trips on, mixed into a tenth of the generated filters: random text seldom holds a NUL
# character (with this seed, no `journeyName` in 200 did), so the fuzzer is handed some, as a fuzzing
# dictionary is; page tokens as the API issues them, but with an id or a timestamp PostgreSQL cannot store.
# (Ids in paths get theirs from `schemathesis_hooks.py`: schemathesis keeps NUL out of path segments.)
HOSTILE_TEXT = ("\x00", "pay-\x00-1", "\x00" * 3)
HOSTILE_PAGE_TOKENS = (
    encode_page_token(datetime(2026, 1, 1, tzinfo=UTC), "\x00"),
    encode_page_token(datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14))), "j-1"),
    encode_page_token(datetime(9999, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=-14))), "j-1"),
)
HOSTILE_PARAMETERS = {
    "query.journeyName": "hostile-text",
    "query.journeyId": "hostile-text",
    "query.source": "hostile-text",
    "query.pageToken": "hostile-page-tokens",
}
SEED = 20261123  # fixed, so a failure reproduces; change it to explore other inputs
HOOKS = Path(__file__).with_name("schemathesis_hooks.py")
RUN_TIMEOUT_SECONDS = 240


def _bindings(parameters: dict[str, str], *, probability: float) -> str:
    return "\n".join(
        f"{json.dumps(name)} = {{ dictionary = {json.dumps(dictionary)}, probability = {probability} }}"
        for name, dictionary in parameters.items()
    )


def _config(directory: Path) -> Path:
    config = directory / "schemathesis.toml"
    config.write_text(
        f"""
hooks = {json.dumps(str(HOOKS))}

[generation]
max-examples = {MAX_EXAMPLES}

[dictionaries.webhook-secrets]
values = [{json.dumps(WEBHOOK_SECRET)}]

[dictionaries.hostile-text]
values = {json.dumps(HOSTILE_TEXT)}

[dictionaries.hostile-page-tokens]
values = {json.dumps(HOSTILE_PAGE_TOKENS)}

[parameters]
"header.X-Webhook-Secret" = {{ dictionary = "webhook-secrets", probability = 0.5 }}
{_bindings(HOSTILE_PARAMETERS, probability=0.1)}

[checks.missing_required_header]
expected-statuses = [400, 401, 403, 406, 409, 415, 422]

[[operations]]
include-operation-id = {json.dumps(OPERATIONS_WITH_IDS)}
generation.max-examples = {MAX_EXAMPLES_WITH_IDS}

[[operations]]
include-operation-id = "reloadDefinitions"
generation.max-examples = 2

[[operations]]
include-operation-id = ["listJourneys", "listSchedules"]
checks.positive_data_acceptance.expected-statuses = ["2xx", 400]

[[operations]]
include-operation-id = ["retryJourney", "submitForCaller", "migrateJourneys"]
# A state or step name, a version reference: whether it names one of the journey's is not the schema's to say.
checks.positive_data_acceptance.expected-statuses = ["2xx", 400, 401, 403, 404, 409]

[[operations]]
include-operation-id = "listInboundDeliveries"
checks.positive_data_acceptance.expected-statuses = ["2xx", 400]

[[operations]]
include-operation-id-regex = "_start$"
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", 401, 403, 404, 409, 422, 429, "5xx"]

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


@pytest.fixture
async def server(start_server: Callable[..., object], database_url: str) -> LiveServer:
    """A server with clients: the fuzzer calls as an operator (every journey is its to read and cancel), and its
    `ignored_auth` check proves each operation that declares a credential refuses a request without one."""
    return await start_server(database_url, client_auth=CLIENT_AUTH)  # type: ignore[misc]


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
        "--header",
        f"Authorization: Bearer {OPS_KEY}",
        "--checks",
        "all",
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
