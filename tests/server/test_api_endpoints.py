"""`kind: Api` end to end: a live server answers `POST /api/v1/apis/{name}` by running the graph against a real
stub service, with the mapped status and body, and keeps nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from journeys.engine import UnknownJourneyDefinition
from journeys.server.auth import ClientAuth, parse_clients
from tests.server.api_stubs import API_FIXTURES, Downstream, downstream, serve
from tests.server.helpers import call
from tests.support import SHARED, SHARED_EXAMPLES, needs_shared_examples

__all__ = ["downstream"]  # the fixture, used by name

USER_LOOKUP = API_FIXTURES / "user-lookup.journey.yaml"


async def test_an_api_answers_with_its_output_and_keeps_nothing(
    start_server: Callable[..., Any], sqlite_url: str, downstream: Downstream
) -> None:
    server = await serve(start_server, sqlite_url, downstream, USER_LOOKUP)
    headers = {"X-Tenant-Id": "acme", "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}

    status, body, content_type = await call(server, "POST", "/api/v1/apis/user-lookup", {"userId": "u1"}, headers)

    assert (status, content_type) == (200, "application/json")
    assert body == {"id": "u1", "email": "ada@example.test", "tenant": "acme"}  # the output, no journey envelope
    sent = downstream.headers_of("/users/u1")
    assert sent["X-Tenant"] == "acme"  # headersToContext, then read by the task's template
    assert sent["traceparent"] == headers["traceparent"]  # headersPassthrough
    assert await server.engine.list(limit=10, after=None) == []  # no journey row
    with pytest.raises(UnknownJourneyDefinition):  # no stored version either
        await server.engine.versions.stored("user-lookup")


async def test_the_route_path_serves_it_too_and_the_status_mapping_applies(
    start_server: Callable[..., Any], sqlite_url: str, downstream: Downstream
) -> None:
    server = await serve(start_server, sqlite_url, downstream, USER_LOOKUP)

    tenant = {"X-Tenant-Id": "acme"}
    created = await call(server, "POST", "/api/v1/apis/users-lookup?view=created", {"userId": "u1"}, tenant)
    missing = await call(server, "POST", "/api/v1/apis/users-lookup", {"userId": "nobody"}, tenant)
    broken = await call(server, "POST", "/api/v1/apis/user-lookup", {"userId": "boom"}, tenant)

    assert created[0] == 201 and created[1]["id"] == "u1"  # statusExpr of a SUCCEEDED rule (queryToContext)
    assert missing[:3:2] == (404, "application/problem+json")  # the errorType rule
    assert missing[1] == {"type": "USER_NOT_FOUND", "title": "No such user", "detail": "No such user", "status": 404}
    assert broken[0] == 502 and broken[1]["type"] == "USERS_UNAVAILABLE"  # default.FAILED


async def test_bad_requests_are_problems_and_run_nothing(
    start_server: Callable[..., Any], sqlite_url: str, downstream: Downstream
) -> None:
    server = await serve(start_server, sqlite_url, downstream, USER_LOOKUP)

    invalid = await call(server, "POST", "/api/v1/apis/user-lookup", {"userId": ""})
    unknown = await call(server, "POST", "/api/v1/apis/nothing-here", {"userId": "u1"})
    not_json = await call(server, "POST", "/api/v1/apis/user-lookup", "{not json")
    as_journey = await call(server, "POST", "/api/v1/journeys/user-lookup/start", {"userId": "u1"})

    assert invalid[0] == 400 and invalid[1]["type"].endswith("invalid-input")
    assert unknown[0] == 404 and "/api/v1/apis/nothing-here" in unknown[1]["detail"]
    assert not_json[0] == 400
    assert as_journey[0] == 404  # an Api is no journey: it cannot be started as one
    assert downstream.seen == []


async def test_calling_an_api_needs_the_start_scope_of_its_name(
    start_server: Callable[..., Any], sqlite_url: str, downstream: Downstream
) -> None:
    clients = {
        "caller": {"keys": ["caller-key-0123456789abcdef"], "scopes": ["journeys:start:user-lookup"]},
        "other": {"keys": ["other-key-0123456789abcdefg"], "scopes": ["journeys:start:users-lookup"]},
    }
    server = await serve(
        start_server, sqlite_url, downstream, USER_LOOKUP, client_auth=ClientAuth(clients=parse_clients(clients))
    )

    def bearer(key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}", "X-Tenant-Id": "acme"}

    anonymous = await call(server, "POST", "/api/v1/apis/user-lookup", {"userId": "u1"})
    path, body = "/api/v1/apis/users-lookup", {"userId": "u1"}
    allowed = await call(server, "POST", path, body, bearer("caller-key-0123456789abcdef"))
    refused = await call(server, "POST", path, body, bearer("other-key-0123456789abcdefg"))

    assert anonymous[0] == 401
    assert allowed[0] == 200  # by its route path, with the scope of its name
    assert refused[0] == 403 and refused[1]["requiredScope"] == "journeys:start:user-lookup"


def _example(tmp_path: Path, name: str, edit: Callable[[dict[str, Any]], None]) -> Path:
    """A JourneyForge example as a file the engine loads, after `edit` removed what it cannot run yet."""
    document = yaml.safe_load((SHARED_EXAMPLES / name / f"{name}.journey.yaml").read_text())
    edit(document)
    path = tmp_path / f"{name}.journey.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


@needs_shared_examples
async def test_the_http_chained_calls_api_example_runs(
    start_server: Callable[..., Any], sqlite_url: str, downstream: Downstream, tmp_path: Path
) -> None:
    def edit(document: dict[str, Any]) -> None:
        for api in document["spec"]["apis"].values():  # read beside the shared examples, not from tmp_path
            api["openApiRef"] = str(SHARED / api["openApiRef"])

    server = await serve(start_server, sqlite_url, downstream, _example(tmp_path, "http-chained-calls-api", edit))

    created = await call(server, "POST", "/api/v1/apis/http-chained-calls", {"userId": "u1"})
    inactive = await call(server, "POST", "/api/v1/apis/http-chained-calls-api", {"userId": "u2"})

    assert created[0] == 200 and created[1]["status"] == 201 and created[1]["ok"] is True
    assert created[1]["body"] == {"accountId": "acc-1", "ownerId": "u1", "email": "ada@example.test"}
    assert inactive[0] == 500 and inactive[1]["type"] == "USER_INACTIVE"  # no mapping: the problem's 500
    assert [path for _, path, _ in downstream.seen] == ["/users/u1", "/accounts", "/users/u2"]


@needs_shared_examples
async def test_the_poll_status_api_example_polls_until_done(
    start_server: Callable[..., Any], sqlite_url: str, downstream: Downstream, tmp_path: Path
) -> None:
    def edit(document: dict[str, Any]) -> None:
        # The example names an API it never declares (operationRef jobs.getStatus) and a policy it never defines.
        task = document["spec"]["states"]["poll"]["task"]
        del task["operationRef"], task["params"], task["resiliencePolicyRef"]
        task.update(method="GET", url="https://api.example.com/jobs/${context.jobId}/status")

    server = await serve(start_server, sqlite_url, downstream, _example(tmp_path, "poll-status-api", edit))
    downstream.job_states = ["RUNNING", "COMPLETED"]

    done = await call(server, "POST", "/api/v1/apis/poll-status-api", {"jobId": "j-7"})
    still_running = await call(server, "POST", "/api/v1/apis/poll-status-api", {"jobId": "j-8"})

    assert done[0] == 200 and done[1]["body"] == {"jobId": "j-7", "state": "COMPLETED"}
    assert still_running[0] == 200 and still_running[1]["body"]["state"] == "RUNNING"  # maxPolls reached
    assert [path for _, path, _ in downstream.seen].count("/jobs/j-8/status") == 3


async def test_a_reload_serves_the_new_apis(
    start_server: Callable[..., Any], sqlite_url: str, downstream: Downstream, tmp_path: Path
) -> None:
    (tmp_path / "user-lookup.journey.yaml").write_text(USER_LOOKUP.read_text())
    server = await serve(start_server, sqlite_url, downstream, tmp_path)
    renamed = USER_LOOKUP.read_text().replace("path: /apis/users-lookup", "path: /apis/people")

    (tmp_path / "user-lookup.journey.yaml").write_text(renamed)
    reloaded = await call(server, "POST", "/api/v1/definitions/reload")
    tenant = {"X-Tenant-Id": "acme"}
    old_route = await call(server, "POST", "/api/v1/apis/users-lookup", {"userId": "u1"}, tenant)
    new_route = await call(server, "POST", "/api/v1/apis/people", {"userId": "u1"}, tenant)

    assert reloaded[0] == 200
    assert (old_route[0], new_route[0]) == (404, 200)
    async with server.http.get(server.url("/api/v1/openapi.json")) as response:
        assert "/apis/people" in (await response.json())["paths"]


CALL_ONCE = """
apiVersion: v1
kind: Api
metadata: { name: call-once, version: "1" }
spec:
  %s
  start: call
  states:
    call:
      type: task
      task: { kind: httpCall:v1, method: %s, url: "https://api.example.com/%s", resultVar: result }
      next: done
    done: { type: succeed, outputVar: result }
"""


async def test_a_retried_call_waits_its_backoff_inside_the_request(
    start_server: Callable[..., Any], sqlite_url: str, downstream: Downstream, tmp_path: Path
) -> None:
    policy = (
        "policies: { httpResilience: { default: quick, definitions: { quick: "
        "{ maxAttempts: 3, backoff: { kind: fixed, baseDelayMs: 50, jitter: none } } } } }"
    )
    (tmp_path / "call-once.journey.yaml").write_text(CALL_ONCE % (policy, "POST", "flaky"))
    server = await serve(start_server, sqlite_url, downstream, tmp_path)
    downstream.failures_left = 2

    status, body, _ = await call(server, "POST", "/api/v1/apis/call-once", {})

    assert (status, body["status"], body["attempts"]) == (200, 200, 3)
    keys = {headers["Idempotency-Key"] for _, path, headers in downstream.seen if path == "/flaky"}
    assert len(keys) == 1  # every attempt is the same call to the service


async def test_an_api_out_of_time_fails_as_spec_execution_says(
    start_server: Callable[..., Any], sqlite_url: str, downstream: Downstream, tmp_path: Path
) -> None:
    execution = "execution: { maxDurationSec: 1, onTimeout: { errorCode: TOO_SLOW, reason: Gave up } }"
    (tmp_path / "call-once.journey.yaml").write_text(CALL_ONCE % (execution, "GET", "slow"))
    server = await serve(start_server, sqlite_url, downstream, tmp_path)

    status, problem, _ = await call(server, "POST", "/api/v1/apis/call-once", {})

    assert (status, problem["type"], problem["detail"]) == (500, "TOO_SLOW", "Gave up")
