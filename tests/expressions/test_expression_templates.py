"""`${...}` template interpolation: rendering, escapes, missing values and malformed placeholders."""

from __future__ import annotations

from typing import Any

import pytest

from journeys.expressions import ExpressionEvaluationError, ExpressionSyntaxError, compile_template

CONTEXT = {
    "paymentId": "p-1",
    "amount": 250,
    "rate": 0.5,
    "ok": True,
    "nothing": None,
    "auth": {"token": "t0k"},
    "filter": {"a": 1, "b": [1, 2], "name": "é"},
    "tags": ["x", "y"],
    "x-request-id": "rid",
}
PAYLOAD = {"itemId": "i-9"}
PLATFORM = {"run": {"id": "r-1"}}

RENDER_ROWS = [
    ("${context.paymentId}", "p-1"),
    ("Bearer ${context.auth.token}", "Bearer t0k"),
    ("/payments/${context.paymentId}/items/${payload.itemId}", "/payments/p-1/items/i-9"),
    ("run=${platform.run.id}", "run=r-1"),
    ("${ context.paymentId }", "p-1"),
    ("${context.amount}", "250"),
    ("${context.rate}", "0.5"),
    ("${context.ok}", "true"),
    ("${context.filter}", '{"a":1,"b":[1,2],"name":"é"}'),
    ("${context.tags}", '["x","y"]'),
    ("${context.x-request-id}", "rid"),
    ("no placeholders", "no placeholders"),
    ("", ""),
    ("cost: $5 and $", "cost: $5 and $"),
    ("$${context.paymentId}", "${context.paymentId}"),
    ("literal $${ and value ${context.paymentId}", "literal ${ and value p-1"),
    ("${context.paymentId}${context.paymentId}", "p-1p-1"),
    ('{ "id": "${context.paymentId}" }', '{ "id": "p-1" }'),
]


@pytest.mark.parametrize(("source", "expected"), RENDER_ROWS, ids=[row[0] or "<empty>" for row in RENDER_ROWS])
def test_render_table(source: str, expected: str) -> None:
    template = compile_template(source)
    assert template.render(CONTEXT, PAYLOAD, PLATFORM) == expected
    assert template.source == source


@pytest.mark.parametrize(
    ("source", "placeholders"),
    [
        ("plain", ()),
        ("${context.a}-${payload.b.c}", ("context.a", "payload.b.c")),
        ("$${context.escaped} ${ platform.run.id }", ("platform.run.id",)),
    ],
)
def test_placeholders(source: str, placeholders: tuple[str, ...]) -> None:
    assert compile_template(source).placeholders == placeholders


@pytest.mark.parametrize(
    ("source", "context", "path"),
    [
        ("${context.missing}", CONTEXT, "context.missing"),
        ("a/${context.auth.missing}/b", CONTEXT, "context.auth.missing"),
        ("${context.paymentId.deep}", CONTEXT, "context.paymentId.deep"),
        ("${context.nothing}", CONTEXT, "context.nothing"),
        ("${payload.itemId}", CONTEXT, "payload.itemId"),
        ("${context.paymentId}", None, "context.paymentId"),
    ],
)
def test_missing_values_raise_naming_the_path(source: str, context: Any, path: str) -> None:
    template = compile_template(source)
    with pytest.raises(ExpressionEvaluationError, match=f"'{path}'"):
        template.render(context)


@pytest.mark.parametrize(
    ("source", "line", "column", "fragment"),
    [
        ("${context.paymentId", 1, 1, "unclosed"),
        ("abc ${", 1, 5, "unclosed"),
        ("${}", 1, 1, "empty"),
        ("x ${   }", 1, 3, "empty"),
        ("${foo.bar}", 1, 1, "must start with one of: context, payload, platform"),
        ("${paymentId}", 1, 1, "must start with one of"),
        ("${context..a}", 1, 1, "not a dot path"),
        ("${context.a[0]}", 1, 1, "not a dot path"),
        ("${context.}", 1, 1, "not a dot path"),
        ("line one\n  ${nope.x}", 2, 3, "must start with one of"),
    ],
)
def test_malformed_placeholders(source: str, line: int, column: int, fragment: str) -> None:
    with pytest.raises(ExpressionSyntaxError) as raised:
        compile_template(source)
    assert (raised.value.line, raised.value.column) == (line, column)
    assert fragment in str(raised.value)
