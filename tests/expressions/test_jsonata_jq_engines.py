"""Tables for the `jsonata` and `jq` engines: bindings layout, result shapes and error mapping."""

from __future__ import annotations

import time
from typing import Any

import pytest

from journeys.expressions import ExpressionEvaluationError, ExpressionSyntaxError, compile_expression

CONTEXT = {
    "id": 7,
    "amount": 50,
    "status": "PENDING",
    "cart": {"total": 12.5},
    "items": [{"price": 2}, {"price": 3}],
}
PAYLOAD = {"x": 1}
PLATFORM = {"environment": "dev"}

JSONATA_ROWS = [
    ("context.amount < 100 and context.status = 'PENDING'", True),
    ("context.amount > 100", False),
    ("context.id", 7),
    ("context.missing", None),
    ("$sum(context.items.price)", 5),
    ("context.items.price", [2, 3]),
    ("{ 'id': context.id, 'prices': context.items.price }", {"id": 7, "prices": [2, 3]}),
    ("payload.x + 1", 2),
    ("platform.environment", "dev"),
    ("$map(context.items, function($i) { $i.price * 2 })", [4, 6]),
]

JQ_ROWS = [
    (".context.id", 7),
    ("{ id: .context.id, total: .context.cart.total }", {"id": 7, "total": 12.5}),
    ('.context.amount < 100 and .context.status == "PENDING"', True),
    (".context.missing", None),
    ("[.context.items[].price] | add", 5),
    (".payload.x", 1),
    (".platform.environment", "dev"),
    ("empty", None),
    (".context.items[].price", 2),
]


def _plain(value: Any) -> None:
    """Results must be plain JSON types (no library-specific list subclasses)."""
    assert value is None or type(value) in (dict, list, str, int, float, bool)
    if type(value) is dict:
        for item in value.values():
            _plain(item)
    elif type(value) is list:
        for item in value:
            _plain(item)


@pytest.mark.parametrize(("source", "expected"), JSONATA_ROWS, ids=[row[0] for row in JSONATA_ROWS])
def test_jsonata_table(source: str, expected: Any) -> None:
    expression = compile_expression("jsonata", source)
    result = expression.evaluate(CONTEXT, PAYLOAD, PLATFORM)
    assert result == expected
    _plain(result)
    assert expression.lang == "jsonata"
    assert expression.source == source


@pytest.mark.parametrize(("source", "expected"), JQ_ROWS, ids=[row[0] for row in JQ_ROWS])
def test_jq_table(source: str, expected: Any) -> None:
    expression = compile_expression("jq", source)
    assert expression.evaluate(CONTEXT, PAYLOAD, PLATFORM) == expected
    assert expression.lang == "jq"
    assert expression.source == source


@pytest.mark.parametrize(
    ("lang", "source", "line", "column"),
    [
        ("jsonata", "context.amount <", 1, 17),
        ("jsonata", "context.items[\n  0", 2, 4),
        ("jq", ".context.id |", 1, 13),
        ("jq", "\n\n .a |", 3, 5),
        ("jq", "undefined_function(1)", 1, None),
    ],
)
def test_syntax_errors_carry_positions(lang: str, source: str, line: int, column: int | None) -> None:
    with pytest.raises(ExpressionSyntaxError) as raised:
        compile_expression(lang, source)
    assert raised.value.line == line
    if column is not None:
        assert raised.value.column == column


@pytest.mark.parametrize(
    ("lang", "source", "context"),
    [
        ("jsonata", "1 + 'a'", {}),
        ("jsonata", "$number(context.text)", {"text": "abc"}),
        ("jsonata", "function($x) { $x }", {}),
        ("jq", ".context.id", 3),
        ("jq", 'error("boom")', {}),
        ("jq", ".context.a + 1", {"a": "text"}),
    ],
)
def test_runtime_errors_are_evaluation_errors(lang: str, source: str, context: Any) -> None:
    expression = compile_expression(lang, source)
    with pytest.raises(ExpressionEvaluationError):
        expression.evaluate(context)


def test_jsonata_now_is_fresh_for_each_evaluation() -> None:
    """jsonata-python reads `$millis()` from the last *constructed* expression unless we fix it."""
    clock = compile_expression("jsonata", "$millis()")
    compile_expression("jsonata", "1")  # becomes the library's "current" instance
    first = clock.evaluate({})
    time.sleep(0.02)
    second = clock.evaluate({})
    assert second - first >= 15
