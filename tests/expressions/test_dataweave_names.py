"""What a DataWeave expression reads from the context, and which keys its result can add, as `validate` needs it.

Each answer must match what evaluation does: a name reported as a context read must really read the context (or
`journeys validate` warns about a correct journey), and one that reads the context must be reported.
"""

from __future__ import annotations

import pytest

from journeys.expressions import ExpressionEvaluationError, compile_expression
from journeys.expressions.dataweave_names import context_names


def _reads(source: str) -> list[tuple[str, int]]:
    return [(read.name, read.line) for read in context_names(source).reads]


@pytest.mark.parametrize(
    ("source", "reads"),
    [
        ("amount > 100", ["amount"]),
        ("context.amount.value", ["amount"]),
        ('context["order-id"] ++ context.items[0].sku', ["order-id", "items"]),
        ("payload.status == platform.environment", []),
        ('{ amount: 1, "status": "x" }', []),  # keys are text
        ("upper(name) contains 'A'", ["name"]),  # function names are not
        ("context[key]", ["key"]),  # the computed key is unknown, the name in it is a read
        ("items map (item, index) -> item.price * index", ["items"]),
        ("items reduce (line, sum = start) -> sum + line", ["items", "start"]),  # defaults are outside the lambda
        ("%dw 2.0\nvar rate = base\nvar total = rate * 2\n---\ntotal + rate", ["base"]),
        ("%dw 2.0\nvar a = a\n---\na", ["a"]),  # a var cannot see itself
        ("do { var x = 1 --- x + y }", ["y"]),
        ("do { var context = { a: 1 } --- context.a }", []),  # a var named context hides the binding
        ("(do { var x = 1 --- x }) + x", ["x"]),  # scopes end with their block
    ],
)
def test_reads(source: str, reads: list[str]) -> None:
    assert [name for name, _ in _reads(source)] == reads


def test_reported_reads_are_exactly_what_evaluation_reads() -> None:
    source = "%dw 2.0\nvar rate = base\n---\n{ total: (items map (i) -> i * rate) reduce (i, s = 0) -> s + i }"
    expression = compile_expression("dataweave", source)
    context = {"base": 2, "items": [1, 2], "unrelated": 5}

    def outcome(without: str) -> object:
        try:
            return expression.evaluate({key: value for key, value in context.items() if key != without})
        except ExpressionEvaluationError:
            return "error"

    assert {name for name, _ in _reads(source)} == {"base", "items"}
    assert outcome("unrelated") == {"total": 6}
    assert outcome("base") != {"total": 6}  # each reported name is a real read
    assert outcome("items") != {"total": 6}


def test_each_read_carries_its_line() -> None:
    assert _reads("orderId != null\n  and\n  context.amount > 1") == [("orderId", 1), ("amount", 3)]


@pytest.mark.parametrize(
    ("source", "keys"),
    [
        ("{ a: 1, b: { c: 2 } }", {"a", "b"}),
        ("context ++ { a: 1 }", {"a"}),
        ('context - "a" ++ { b: 1 }', {"b"}),
        ("if (x) { a: 1 } else { b: 2 }", {"a", "b"}),
        ("null ++ { a: 1 }", {"a"}),
        ("{ a: 1 } default { b: 2 }", {"a", "b"}),
        ("do { var x = 1 --- context ++ { a: x } }", {"a"}),
        ("context", set()),
        ("context ++ payload", None),
        ("payload", None),
        ("do { var context = payload --- context }", None),
        ("%dw 2.0\nvar base = { a: 1 }\n---\nbase ++ { b: 2 }", None),
    ],
)
def test_result_keys(source: str, keys: set[str] | None) -> None:
    result = context_names(source).result_keys
    assert (None if result is None else set(result)) == keys
