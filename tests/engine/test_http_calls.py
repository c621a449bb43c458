"""Rendering `httpCall:v1` requests and shaping their results, without a network."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from journeys.definitions import load_definition
from journeys.definitions.model import HttpCallTask, TaskState
from journeys.engine.http_calls import call_result, prepare_call
from journeys.engine.outbound import OutboundError, OutboundResponse
from journeys.expressions import ExpressionEvaluationError

JOURNEY = """
apiVersion: v1
kind: Journey
metadata: {{name: calls, version: "1"}}
spec:
  start: call
  states:
    call:
      type: task
      task:
        kind: httpCall:v1
        method: {method}
        url: "{url}"
        headers: {{ X-Order: "${{context.order.id}}" }}
{body}
        resultVar: api
      next: done
    done: {{type: succeed}}
"""


def _task(
    tmp_path: Path, method: str = "POST", url: str = "https://svc.test/orders/${context.order.id}", body: str = ""
) -> TaskState:
    path = tmp_path / "calls.journey.yaml"
    path.write_text(JOURNEY.format(method=method, url=url, body=body))
    state = load_definition(path).states["call"]
    assert isinstance(state, TaskState) and isinstance(state.task, HttpCallTask)
    return state


CONTEXT = {"order": {"id": "o-1", "total": 3}}


def test_literal_json_body_gets_content_type_and_idempotency_key(tmp_path: Path) -> None:
    state = _task(tmp_path, body="        body: { kind: ORDER, n: 1 }")
    call = prepare_call(state, state.task, CONTEXT, {}, "j:1:2")  # type: ignore[arg-type]
    request = call.request
    assert (request.method, request.url) == ("POST", "https://svc.test/orders/o-1")
    assert request.headers["X-Order"] == "o-1" and request.headers["Accept"] == "application/json"
    assert request.headers["Content-Type"] == "application/json" and request.headers["Idempotency-Key"] == "j:1:2"
    assert orjson.loads(request.body or b"") == {"kind": "ORDER", "n": 1}
    assert call.next == "done" and not call.notify


def test_mapper_body_and_string_template_body(tmp_path: Path) -> None:
    mapper = "        body:\n          mapper: { lang: dataweave, expr: '{ total: context.order.total * 2 }' }"
    state = _task(tmp_path, body=mapper)
    assert orjson.loads(prepare_call(state, state.task, CONTEXT, {}, "k").request.body or b"") == {"total": 6}  # type: ignore[arg-type]
    state = _task(tmp_path, body='        body: "order=${context.order.id}"')
    request = prepare_call(state, state.task, CONTEXT, {}, "k").request  # type: ignore[arg-type]
    assert request.body == b"order=o-1" and request.headers["Content-Type"].startswith("text/plain")


def test_get_has_no_idempotency_key_and_bad_urls_are_refused(tmp_path: Path) -> None:
    state = _task(tmp_path, method="GET")
    assert "Idempotency-Key" not in prepare_call(state, state.task, CONTEXT, {}, "k").request.headers  # type: ignore[arg-type]
    state = _task(tmp_path, method="GET", url="${context.base}/x")
    with pytest.raises(ValueError, match="not an absolute"):
        prepare_call(state, state.task, {**CONTEXT, "base": "ftp://nope"}, {}, "k")  # type: ignore[arg-type]
    with pytest.raises(ExpressionEvaluationError):
        prepare_call(state, state.task, CONTEXT, {}, "k")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [
        (
            OutboundResponse(201, {"Content-Type": "application/json"}, b'{"id": 7}'),
            {"ok": True, "status": 201, "body": {"id": 7}},
        ),
        (
            OutboundResponse(404, {"Content-Type": "text/plain"}, b"missing"),
            {"ok": False, "status": 404, "body": "missing"},
        ),
        (OutboundResponse(204, {}, b""), {"ok": True, "status": 204, "body": None}),
        (OutboundResponse(200, {"content-type": "application/json"}, b"{broken"), {"ok": True, "body": "{broken"}),
        (
            OutboundError("TIMEOUT", "no response"),
            {"ok": False, "error": {"type": "TIMEOUT", "message": "no response"}},
        ),
    ],
)
def test_results_follow_the_dsl_shape(outcome: OutboundResponse | OutboundError, expected: dict[str, object]) -> None:
    result = call_result(outcome)
    assert {key: result[key] for key in expected} == expected
