"""Every `lang: dataweave` expression in the JourneyForge example journeys must compile.

The examples live outside the project (`/work/shared/journeyforge/examples`) and are read in
place; when they are not present the tests are skipped rather than silently passing.
None is excluded: the dialect supports every construct they use. A few examples are also
evaluated, to check that they mean what their authors intended.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from journeys.expressions import ExpressionEvaluationError, compile_expression

EXAMPLES_DIR = Path("/work/shared/journeyforge/examples")
SKIP_REASON = f"JourneyForge examples not available at {EXAMPLES_DIR}"


def _expression_sites(node: Any, location: str) -> Iterator[tuple[str, Any]]:
    """Yield (location, mapping) for every mapping that has both `lang` and `expr`."""
    if isinstance(node, dict):
        if "lang" in node and "expr" in node:
            yield location, node
        for key, value in node.items():
            yield from _expression_sites(value, f"{location}.{key}" if location else str(key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _expression_sites(value, f"{location}[{index}]")


def _dataweave_expressions() -> dict[str, str]:
    expressions: dict[str, str] = {}
    for path in sorted(EXAMPLES_DIR.glob("*/*.journey.yaml")):
        with path.open(encoding="utf-8") as handle:
            for document in yaml.safe_load_all(handle):
                for location, site in _expression_sites(document, ""):
                    if site["lang"] == "dataweave":
                        expressions[f"{path.name.removesuffix('.journey.yaml')}:{location}"] = site["expr"]
    return expressions


EXPRESSIONS = _dataweave_expressions() if EXAMPLES_DIR.is_dir() else {}
requires_examples = pytest.mark.skipif(not EXAMPLES_DIR.is_dir(), reason=SKIP_REASON)


@requires_examples
def test_examples_contain_dataweave_expressions() -> None:
    assert len(EXPRESSIONS) > 100


EXAMPLE_SITES = sorted(EXPRESSIONS) or [pytest.param("", id="examples-missing", marks=requires_examples)]


@requires_examples
@pytest.mark.parametrize("site", EXAMPLE_SITES, ids=str)  # ids=str keeps long ids readable
def test_example_expression_compiles(site: str) -> None:
    expression = compile_expression("dataweave", EXPRESSIONS[site])
    assert expression.source == EXPRESSIONS[site]


def _example(site: str) -> Any:
    if site not in EXPRESSIONS:
        pytest.skip(f"example expression {site} not found")
    return compile_expression("dataweave", EXPRESSIONS[site])


@requires_examples
def test_sequential_signing_updates_only_the_next_signer() -> None:
    expression = _example(
        "document-signing-multi-signer:"
        "spec.states.signingOrExpiry.parallel.branches[0].states.ingestSubmitSignature.transform.mapper"
    )
    context = {
        "signingMode": "SEQUENTIAL",
        "signers": [
            {"signerId": "s1", "order": 2, "status": "PENDING"},
            {"signerId": "s2", "order": 1, "status": "PENDING"},
        ],
        "payload": {"signerId": "s2", "decision": "SIGNED"},
    }
    result = expression.evaluate(context)
    first, second = result["signers"]
    assert first == {"signerId": "s1", "order": 2, "status": "PENDING"}
    assert second["status"] == "SIGNED"
    assert isinstance(second["signedAt"], str)

    out_of_turn = {**context, "payload": {"signerId": "s1", "decision": "SIGNED"}}
    assert expression.evaluate(out_of_turn)["signers"] == context["signers"]


@requires_examples
def test_subjourney_totals_with_reduce() -> None:
    expression = _example("subjourney-local-reuse:spec.subjourneys.computeTotals.states.calculate.transform.mapper")
    context = {
        "segment": "VIP",
        "cart": {"items": [{"unitPrice": 10.0, "quantity": 2}, {"unitPrice": 5.0, "quantity": 1}]},
    }
    assert expression.evaluate(context) == {
        "itemCount": 2,
        "subtotal": 25.0,
        "discountRate": 0.1,
        "total": 22.5,
    }


@requires_examples
def test_kyb_callback_merges_ubo_statuses() -> None:
    expression = _example("customer-onboarding-kyc-kyb:spec.states.ingestWaitForKybAndRisk.transform.mapper")
    context = {
        "ubos": [{"uboId": "u1", "status": "REFERRED"}, {"uboId": "u2", "status": "REFERRED"}],
        "payload": {
            "kybStatus": "APPROVED",
            "kybUboStatuses": [{"uboId": "u2", "status": "APPROVED"}],
        },
    }
    result = expression.evaluate(context)
    assert result["ubos"] == [
        {"uboId": "u1", "status": "REFERRED"},
        {"uboId": "u2", "status": "APPROVED", "reasons": []},
    ]
    assert result["kybResult"] == {"status": "APPROVED"}


@requires_examples
def test_scope_predicate_uses_default_and_contains() -> None:
    expression = _example("auth-jwt-scopes:spec.states.checkScopes.choices[0].when.predicate")
    assert expression.evaluate({"auth": {"jwt": {"claims": {"scope": "openid admin"}}}}) is True
    assert expression.evaluate({"auth": {}}) is False


@requires_examples
def test_referral_expiry_duration_relies_on_as_binding_loosely() -> None:
    """This example multiplies before `as String` without parentheses.

    With DataWeave's precedence (`as` binds tighter than `*`) it multiplies a number by a string,
    which the dialect reports instead of coercing implicitly; the example needs parentheses.
    """
    expression = _example(
        "healthcare-appointment-referral:"
        "spec.states.referralOrExpiry.parallel.branches[1].states.referralExpiryTimer.timer.duration.mapper"
    )
    with pytest.raises(ExpressionEvaluationError, match="operator '\\*'"):
        expression.evaluate({"referralExpiryDays": 2})
