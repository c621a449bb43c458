"""Instance tags and attributes (`metadata.tags`, `spec.metadata.bindings`): bound at start, found by the listing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from journeys.definitions import DefinitionErrors, load_definition_text
from tests.server.helpers import call
from tests.support import LiveServer

JOURNEY = """\
apiVersion: v1
kind: Journey
metadata: { name: kyc-check, version: "1", tags: [kyc, self-service] }
spec:
  metadata:
    searchKeys:
      status: "${context.status}"
    bindings:
      tags:
        fromPayload: [{ path: channel }]
        fromHeaders: [{ header: X-Journey-Tag }]
        fromBaggage: [{ key: journey_tag }]
      attributes:
        fromPayload:
          orderId: { path: order.id }
          amount: { path: order.amount }
        fromHeaders:
          tenantId: { header: X-Tenant-Id }
        fromBaggage:
          correlationId: { key: correlation_id }
  start: review
  states:
    review:
      type: transform
      transform:
        mapper: { lang: dataweave, expr: 'context ++ { status: "REVIEWED", order: { id: "changed" } }' }
      next: done
    done: { type: succeed }
"""


@pytest.fixture
async def kyc(start_server: Callable[..., Any], database_url: str, tmp_path: Path) -> LiveServer:
    (tmp_path / "kyc-check.journey.yaml").write_text(JOURNEY)
    return await start_server(database_url, definitions=(tmp_path,))  # type: ignore[no-any-return]


async def _start(server: LiveServer, body: dict[str, Any], headers: dict[str, str] | None = None) -> str:
    status, outcome, _ = await call(server, "POST", "/api/v1/journeys/kyc-check/start", body, headers)
    assert status == 200 and outcome["phase"] == "Succeeded", outcome
    return str(outcome["journeyId"])


async def _found(server: LiveServer, query: str) -> set[str]:
    status, page, _ = await call(server, "GET", f"/api/v1/journeys?{query}")
    assert status == 200, page
    return {item["journeyId"] for item in page["items"]}


async def test_tags_and_attributes_come_from_the_start_request_and_are_listed(kyc: LiveServer) -> None:
    headers = {"X-Tenant-Id": "acme", "X-Journey-Tag": "vip", "baggage": "correlation_id=c%2F1;p=1, journey_tag=beta"}
    first = await _start(kyc, {"channel": "web", "order": {"id": "ORD-1", "amount": 42}}, headers)
    second = await _start(kyc, {"channel": "mobile", "order": {"id": "ORD-2"}})

    assert await _found(kyc, "tag=kyc") == {second, first}  # definition tags: every instance
    assert await _found(kyc, "tag=kyc&tag=web") == {first}  # several tags: all of them
    assert await _found(kyc, "tag=vip") == await _found(kyc, "tag=beta") == {first}  # header, baggage
    assert await _found(kyc, "tag=mobile") == {second}
    assert await _found(kyc, "key.orderId=ORD-1") == {first}  # from the start body, not the changed context
    assert await _found(kyc, "key.orderId=changed") == set()
    assert await _found(kyc, "key.amount=42&key.tenantId=acme&key.correlationId=c/1") == {first}
    assert await _found(kyc, "key.status=REVIEWED&tag=self-service") == {second, first}  # with the search keys
    expected = {
        "tags": ["beta", "kyc", "self-service", "vip", "web"],
        "attributes": {"orderId": "ORD-1", "amount": "42", "tenantId": "acme", "correlationId": "c/1"},
    }
    for path in (f"/api/v1/journeys/{first}", f"/api/v1/journeys/{first}/result"):
        status, body, _ = await call(kyc, "GET", path)
        assert status == 200 and {k: body[k] for k in expected} == expected, body


async def test_a_bound_value_over_the_limits_refuses_the_start(kyc: LiveServer) -> None:
    status, problem, content_type = await call(
        kyc, "POST", "/api/v1/journeys/kyc-check/start", {"channel": "x" * 41, "order": {"id": "ORD-3"}}
    )
    assert status == 400 and content_type == "application/problem+json"
    assert problem["type"].endswith("metadata-limit-exceeded") and "longer than 40" in problem["detail"]
    assert await _found(kyc, "key.orderId=ORD-3") == set()  # nothing was started


@pytest.mark.parametrize(
    ("bindings", "field", "fragment"),
    [
        (
            "tags: { fromPayload: [{ header: X }] }",
            "spec.metadata.bindings.tags.fromPayload[0].header",
            "unknown field",
        ),
        (
            "attributes: { fromHeaders: { '1x': { header: X } } }",
            "spec.metadata.bindings.attributes.fromHeaders.1x",
            "attribute name",
        ),
        (
            "attributes: { orderId: { path: a, header: X } }",
            "spec.metadata.bindings.attributes.orderId",
            "expected fromPayload",
        ),
        ("attributes: { status: { path: s } }", "spec.metadata.bindings", "both a search key and a bound attribute"),
        (
            "attributes: { fromPayload: { a: { path: x } }, a: { path: y } }",
            "spec.metadata.bindings.attributes",
            "bound twice",
        ),
        ("subjects: {}", "spec.metadata.bindings.subjects", "unknown field"),
    ],
)
def test_malformed_bindings_are_refused_at_load(bindings: str, field: str, fragment: str) -> None:
    start = JOURNEY.index("    bindings:")
    end = JOURNEY.index("  start: review")
    text = JOURNEY[:start] + "    bindings: { " + bindings + " }\n" + JOURNEY[end:]
    with pytest.raises(DefinitionErrors) as refused:
        load_definition_text(text, "kyc-check.journey.yaml")
    assert any(e.field == field and fragment in e.message for e in refused.value.errors), str(refused.value)


def test_the_flat_attribute_shape_of_the_journeyforge_examples_loads() -> None:
    text = JOURNEY.replace(
        """        fromPayload:
          orderId: { path: order.id }
          amount: { path: order.amount }
""",
        """        orderId: { path: order.id }
        amount: { path: order.amount }
""",
    )
    bindings = load_definition_text(text, "kyc-check.journey.yaml").metadata_bindings
    assert bindings is not None
    assert [(name, source.kind, source.name) for name, source in bindings.attributes] == [
        ("orderId", "payload", "order.id"),
        ("amount", "payload", "order.amount"),
        ("tenantId", "header", "x-tenant-id"),
        ("correlationId", "baggage", "correlation_id"),
    ]


def test_too_many_or_too_long_definition_tags_are_refused() -> None:
    text = JOURNEY.replace("tags: [kyc, self-service]", "tags: [" + ", ".join(f"t{i}" for i in range(11)) + "]")
    with pytest.raises(DefinitionErrors, match="at most 10 tags"):
        load_definition_text(text, "kyc-check.journey.yaml")
