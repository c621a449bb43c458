"""`spec.outcomes`: an ended journey is classified by name (`outcomeId`), in its answers and its OpenAPI document."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from journeys.contracts.openapi_export import export_openapi
from journeys.definitions import DefinitionErrors, load_definition_text
from tests.server.helpers import call
from tests.support import LiveServer

JOURNEY = """\
apiVersion: v1
kind: Journey
metadata: { name: graded-order, version: "1" }
spec:
  outcomes:
    BigOrder:
      when:
        phase: SUCCEEDED
        predicate: { lang: dataweave, expr: "amount >= 1000" }
    Approved:
      when: { phase: SUCCEEDED }
    OutOfStock:
      when:
        phase: FAILED
        predicate: { lang: dataweave, expr: 'payload.error.code == "OUT_OF_STOCK"' }
    Broken:
      when:
        phase: FAILED
        predicate: { lang: dataweave, expr: "payload.error.code > 1" }
  start: check
  states:
    check:
      type: choice
      choices:
        - when: { predicate: { lang: dataweave, expr: "stock == 0" } }
          next: outOfStock
        - when: { predicate: { lang: dataweave, expr: "stock < 0" } }
          next: broken
      default: done
    outOfStock: { type: fail, errorCode: OUT_OF_STOCK, reason: "nothing left" }
    broken: { type: fail, errorCode: BROKEN, reason: "negative stock" }
    done: { type: succeed }
"""


@pytest.fixture
async def graded(start_server: Callable[..., Any], sqlite_url: str, tmp_path: Path) -> LiveServer:
    (tmp_path / "graded-order.journey.yaml").write_text(JOURNEY)
    return await start_server(sqlite_url, definitions=(tmp_path,))  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("body", "phase", "outcome_id"),
    [
        ({"amount": 5000, "stock": 3}, "Succeeded", "BigOrder"),  # the first match wins, in the order written
        ({"amount": 10, "stock": 3}, "Succeeded", "Approved"),  # no predicate: every success of that phase
        ({"amount": 10, "stock": 0}, "Failed", "OutOfStock"),  # payload.error is the outcome's error
        ({"amount": 10, "stock": -1}, "Failed", None),  # a failing predicate does not match, nor change the end
    ],
)
async def test_the_first_matching_outcome_names_the_ending(
    graded: LiveServer, body: dict[str, Any], phase: str, outcome_id: str | None
) -> None:
    status, started, _ = await call(graded, "POST", "/api/v1/journeys/graded-order/start", body)
    assert status == 200 and started["phase"] == phase, started
    assert started.get("outcomeId") == outcome_id
    status, result, _ = await call(graded, "GET", f"/api/v1/journeys/{started['journeyId']}/result")
    assert status == 200 and result.get("outcomeId") == outcome_id
    assert result["phase"] == phase and (phase == "Succeeded" or result["error"]["code"] in ("OUT_OF_STOCK", "BROKEN"))


def test_the_openapi_document_lists_the_outcome_ids() -> None:
    document = export_openapi(load_definition_text(JOURNEY, "graded-order.journey.yaml"))
    schemas = document["components"]["schemas"]
    outcome = next(schema for name, schema in schemas.items() if name.endswith("Outcome") and "allOf" in schema)
    assert outcome["allOf"][1]["properties"]["outcomeId"] == {"enum": ["BigOrder", "Approved", "OutOfStock", "Broken"]}
    assert schemas["JourneyOutcome"]["properties"]["outcomeId"]["type"] == "string"


@pytest.mark.parametrize(
    ("outcomes", "field", "fragment"),
    [
        ("X: { when: { phase: DONE } }", "spec.outcomes.X.when.phase", "must be one of SUCCEEDED, FAILED"),
        (
            "X: { when: { phase: FAILED, predicate: { lang: dataweave, expr: '1 +' } } }",
            "spec.outcomes.X.when.predicate.expr",
            "does not parse",
        ),
        ("X: { phase: FAILED }", "spec.outcomes.X.phase", "unknown field"),
        ("'9x': { when: { phase: FAILED } }", "spec.outcomes.9x", "an outcome id is a letter"),
    ],
)
def test_malformed_outcomes_are_refused_at_load(outcomes: str, field: str, fragment: str) -> None:
    text = (
        JOURNEY.split("  outcomes:")[0]
        + "  outcomes:\n    "
        + outcomes
        + "\n  start: check"
        + JOURNEY.split("  start: check")[1]
    )
    with pytest.raises(DefinitionErrors) as refused:
        load_definition_text(text, "graded-order.journey.yaml")
    assert any(error.field == field and fragment in error.message for error in refused.value.errors), str(refused.value)
