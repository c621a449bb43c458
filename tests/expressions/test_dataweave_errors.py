"""Error tables for `lang: dataweave`: compile-time errors carry positions, run-time errors one type."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest

from journeys.expressions import (
    ExpressionEvaluationError,
    ExpressionSyntaxError,
    compile_expression,
)

SYNTAX_ERRORS = [
    # (source, line, column or None when only the line is pinned, message fragment)
    ("", 1, 1, "end of expression"),
    ("1 +", 1, None, "end of expression"),
    ("{ a: 1", 1, None, "expected one of"),
    ("{ a: 1,, b: 2 }", 1, 8, "unexpected ','"),
    ("[1, 2", 1, None, "end of expression"),
    ("1 2", 1, 3, "unexpected '2'"),
    ("context.", 1, None, "end of expression"),
    ("a ++ ++ b", 1, 6, "unexpected '++'"),
    ("@", 1, 1, "unexpected character '@'"),
    ('"unterminated', 1, 1, "unterminated string"),
    ("context.a ==\n  ==", 2, 3, "unexpected '=='"),
    ("\n\n  )", 3, 3, "unexpected ')'"),
    ("{\n  a: 1,\n  b: [1, 2\n}", 4, 1, "unexpected '}'"),
    ("if (true) 1", 1, None, "'else'"),
    ("if true 1 else 2", 1, 9, "unexpected '1'"),
    ("/* never closed", 1, 1, "unexpected '/'"),
    ("foo(1)", 1, 1, "unknown function 'foo'"),
    ("context ++ {\n  a: log('x', 1)\n}", 2, 6, "unknown function 'log'"),
    ("sizeOf(1, 2)", 1, 1, "sizeOf() takes 1 argument, got 2"),
    ("now(1)", 1, 1, "now() takes 0 arguments"),
    ("x as Integer", 1, 6, "unknown type 'Integer'"),
    ("(x) -> x", 1, 1, "a lambda can only be"),
    ("{ f: (x) -> x }", 1, 6, "a lambda can only be"),
    ("upper((x) -> x)", 1, 7, "a lambda can only be"),
    ("[1] map 5", 1, 5, "map expects an array and a lambda"),
    ("map([1])", 1, 1, "map expects an array and a lambda"),
    ("[1] map (a, b, c) -> a", 1, 9, "must take 1 or 2 parameter(s), got 3"),
    ("[1] reduce (a) -> a", 1, 12, "must take 2 parameter(s)"),
    ("[1] map (a = 1) -> a", 1, 10, "parameter defaults are not meaningful"),
    ("[1] map (a, a) -> a", 1, 13, "'a' is already declared"),
    ("do { var x = 1 var x = 2 --- x }", 1, 20, "'x' is already declared"),
    ('"bad \\q escape"', 1, 1, "invalid escape"),
    ("'\\u12'", 1, 1, "invalid escape"),
    ("%dw 1.0\n---\n1", 1, 5, "unsupported DataWeave version"),
    ("%dw 2.0\noutput application/xml\n---\n1", 2, 8, "unsupported output"),
    ("%dw 2.0\n1", 2, 1, "unexpected '1'"),
    ("do { var x = 1 }", 1, 16, "unexpected '}'"),
]


@pytest.mark.parametrize(("source", "line", "column", "fragment"), SYNTAX_ERRORS, ids=[row[0] for row in SYNTAX_ERRORS])
def test_syntax_error_table(source: str, line: int, column: int | None, fragment: str) -> None:
    with pytest.raises(ExpressionSyntaxError) as raised:
        compile_expression("dataweave", source)
    assert raised.value.line == line
    if column is not None:
        assert raised.value.column == column
    assert fragment in str(raised.value)
    assert f"line {line}" in str(raised.value)


def test_excessive_nesting_is_a_syntax_error() -> None:
    with pytest.raises(ExpressionSyntaxError, match="nested too deeply"):
        compile_expression("dataweave", "1" + " + 1" * 5000)


RUNTIME_ERRORS = [
    # (source, message fragment)
    ('"a" * 2', "operator '*' cannot be applied to string and number"),
    ('"a" < 1', "operator '<' cannot be applied to string and number"),
    ("null < 1", "operator '<' cannot be applied to null and number"),
    ("1 + '1'", "operator '+' cannot be applied to number and string"),
    ("true + 1", "operator '+' cannot be applied to boolean and number"),
    ("'a' - 'b'", "operator '-' cannot be applied to string and string"),
    ("{ a: 1 } - 1", "operator '-' cannot be applied to object and number"),
    ("1 / 0", "division by zero"),
    ("'PT' ++ 5", "operator '++' cannot be applied to string and number"),
    ("{ a: 1 } ++ [1]", "operator '++' cannot be applied to object and array"),
    ("-'x'", "unary '-' cannot be applied to string"),
    ("not 1", "not expects a boolean, got number"),
    ("!context.missing", "not expects a boolean, got null"),
    ("null and true", "'and' expects a boolean, got null"),
    ("true and 'yes'", "'and' expects a boolean, got string"),
    ("false or 0", "'or' expects a boolean, got number"),
    ("if (null) 1 else 2", "if condition expects a boolean, got null"),
    ("if ('yes') 1 else 2", "if condition expects a boolean, got string"),
    ("'abc' as Number", "cannot coerce string 'abc' to Number"),
    ("'' as Number", "cannot coerce string '' to Number"),
    ("true as Number", "cannot coerce boolean to Number"),
    ("[1] as String", "cannot coerce array to String"),
    ("'maybe' as Boolean", "to Boolean"),
    ("'2025-13-45' as DateTime", "is not an RFC 3339 date-time"),
    ("5 as DateTime", "cannot coerce number to DateTime"),
    ("'1' ++ '2' as Number", "operator '++' cannot be applied to string and number"),
    ("[1][0.5]", "cannot index array with number"),
    ("[1]['a']", "cannot index array with string"),
    ("{ a: 1 }[0]", "cannot index object with number"),
    ("sizeOf(5)", "sizeOf() expects a string, array or object, got number"),
    ("upper(5)", "upper() expects a string, got number"),
    ("abs('x')", "abs() expects a number, got string"),
    ("round(null)", "round() expects a number, got null"),
    ("contains('abc', 1)", "contains() expects a string to search for"),
    ("contains(5, 1)", "contains() expects a string or array"),
    ("'a' splitBy 1", "splitBy() expects two strings"),
    ("[[1]] joinBy ','", "joinBy() cannot join a array element"),
    ("[1] joinBy 1", "joinBy() expects a string separator"),
    ("keysOf([1])", "keysOf() expects an object"),
    ("durationBetween('x', '2025-01-01T00:00:00Z')", "is not an RFC 3339 date-time"),
    ("durationBetween(1, 2)", "durationBetween() expects two RFC 3339 date-time strings"),
    ("[1] filter ((x) -> 1)", "filter criteria expects a boolean, got number"),
    ("[1] any ((x) -> null)", "any criteria expects a boolean, got null"),
    ("{ a: 1 } map (x) -> x", "map expects an array on its left, got object"),
    ("'abc' filter ((c) -> true)", "filter expects an array on its left, got string"),
    ("[1, 'a'] orderBy (x) -> x", "operator 'orderBy' cannot be applied to"),
    ("[1, 2] orderBy ((a, b) -> 'x')", "orderBy comparator must return a number"),
    ("ceil(1e308 * 10)", "dataweave evaluation failed"),
    # `as` binds tighter than `*` (as in DataWeave): this is `3 * ("2")`, not `(3 * 2) as String`.
    ("'P' ++ (3 * 2 as String)", "operator '*' cannot be applied to number and string"),
]


@pytest.mark.parametrize(("source", "fragment"), RUNTIME_ERRORS, ids=[row[0] for row in RUNTIME_ERRORS])
def test_runtime_error_table(source: str, fragment: str) -> None:
    expression = compile_expression("dataweave", source)
    with pytest.raises(ExpressionEvaluationError) as raised:
        expression.evaluate({"items": [1]}, {"x": 1}, {})
    assert fragment in str(raised.value)


@pytest.mark.parametrize("context", [None, 1, "text", [1, 2], {"a": {"b": [1]}}, True])
@pytest.mark.parametrize(
    "source",
    [
        "context.a.b[0] == 1",
        "context ++ { x: 1 }",
        "sizeOf(context) > 0",
        "context map (x) -> x",
        "(context default 0) + 1",
    ],
)
def test_only_evaluation_errors_escape(source: str, context: Any) -> None:
    """Whatever the input shape, evaluation either succeeds or raises ExpressionEvaluationError."""
    expression = compile_expression("dataweave", source)
    with contextlib.suppress(ExpressionEvaluationError):
        expression.evaluate(context)
