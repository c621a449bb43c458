"""DataWeave string interpolation: `"id-$(expr)"` and `"$name"` splice values into string literals."""

from __future__ import annotations

from typing import Any

import pytest

from journeys.expressions import ExpressionEvaluationError, ExpressionSyntaxError, compile_expression
from journeys.expressions.dataweave_names import context_names

CONTEXT: dict[str, Any] = {
    "paymentId": "p-1",
    "amount": 250,
    "rate": 0.5,
    "ok": True,
    "user": {"name": "Ada"},
    "items": [{"sku": "x"}, {"sku": "y"}],
}
PAYLOAD = {"orderId": "o-9"}
PLATFORM = {"environment": "dev"}


def evaluate(source: str) -> Any:
    return compile_expression("dataweave", source).evaluate(CONTEXT, PAYLOAD, PLATFORM)


ROWS = [
    ('"id-$(context.paymentId)"', "id-p-1"),
    ("'id-$(paymentId)'", "id-p-1"),
    ('"$(payload.orderId)@$(platform.environment)"', "o-9@dev"),
    ('"Hi $paymentId!"', "Hi p-1!"),
    ('"$paymentId$amount"', "p-1250"),
    ('"total: $(amount * 2) at $(rate), ok=$(ok)"', "total: 500 at 0.5, ok=true"),
    ('"name: $(upper(user.name))"', "name: ADA"),
    ('"quoted: $(user.name ++ "!")"', "quoted: Ada!"),
    ("'nested: $(\"a-$(paymentId)\")'", "nested: a-p-1"),
    ('"grouped: $((amount + 1) * 2)"', "grouped: 502"),
    ('"missing: [$(context.nothing)]"', "missing: []"),
    ('"literal: \\$(paymentId) and \\$paymentId"', "literal: $(paymentId) and $paymentId"),
    ('"cost: $5, $ alone, $"', "cost: $5, $ alone, $"),
    ('"tab:\\t$(paymentId)"', "tab:\tp-1"),
    ('items map (item) -> "sku-$(item.sku)"', ["sku-x", "sku-y"]),
    ('%dw 2.0\nvar prefix = "pre"\n---\n"$(prefix)-$paymentId"', "pre-p-1"),
    ('do { var n = 3 --- "n=$n" }', "n=3"),
    ('"id-$(paymentId)" == "id-p-1"', True),
    ('{ key: "v-$(amount)" }', {"key": "v-250"}),
]


@pytest.mark.parametrize(("source", "expected"), ROWS, ids=[row[0] for row in ROWS])
def test_interpolation_splices_values(source: str, expected: Any) -> None:
    assert evaluate(source) == expected


@pytest.mark.parametrize(
    ("source", "line", "column", "fragment"),
    [
        ('"a $(amount +) b"', 1, None, "unexpected"),
        ('\n  "ab $(x ++ ++ y)"', 2, 14, "unexpected '++'"),
        ('"$()"', 1, 4, "empty interpolation"),
        ('"$(amount"', 1, 2, "unterminated interpolation"),
        ('{"k-$(amount)": 1}', 1, 2, "not supported in object keys"),
        ('user."k$(amount)"', 1, 6, "not supported in object keys"),
        ('"$(%dw 2.0 --- 1)"', 1, 4, "'%dw' header is not allowed"),
        ('"$(nope(1))"', 1, 4, "unknown function 'nope'"),
    ],
)
def test_malformed_interpolation_is_a_positioned_syntax_error(
    source: str, line: int, column: int | None, fragment: str
) -> None:
    with pytest.raises(ExpressionSyntaxError) as raised:
        compile_expression("dataweave", source)
    assert fragment in str(raised.value)
    assert raised.value.line == line
    if column is not None:
        assert raised.value.column == column


@pytest.mark.parametrize("source", ['"$(user)"', '"$(items)"'])
def test_interpolating_an_object_or_array_fails_evaluation(source: str) -> None:
    with pytest.raises(ExpressionEvaluationError, match="cannot interpolate"):
        evaluate(source)


def test_reads_inside_interpolations_are_reported_with_their_lines() -> None:
    names = context_names('"a $(amount) $paymentId"\n  ++ "$(context.user.name)"')
    assert [(read.name, read.line) for read in names.reads] == [("amount", 1), ("paymentId", 1), ("user", 2)]


def test_names_bound_locally_are_not_context_reads() -> None:
    names = context_names('items map (item) -> "sku-$(item.sku)-$item"')
    assert [read.name for read in names.reads] == ["items"]
