"""Evaluation tables for the `lang: dataweave` dialect: one row per behaviour worth pinning down."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from journeys.expressions import compile_expression

CONTEXT: dict[str, Any] = {
    "paymentId": "p-1",
    "amount": 250,
    "rate": 0.5,
    "status": "PENDING",
    "flag": False,
    "nothing": None,
    "tags": ["a", "b"],
    "scope": "read:users admin",
    "createdAt": "2025-03-04T05:06:07.089Z",
    "user": {"id": "u1", "email": "ada@example.com", "address": {"city": "Paris"}},
    "items": [{"sku": "x", "qty": 2, "price": 1.5}, {"sku": "y", "qty": 1, "price": 10}],
    "payload": {"decision": "from-context"},
}
PAYLOAD = {"x": 1, "decision": "approved"}
PLATFORM = {"environment": "dev", "run": {"id": "r-1"}}


def evaluate(source: str, context: Any = CONTEXT) -> Any:
    return compile_expression("dataweave", source).evaluate(context, PAYLOAD, PLATFORM)


def assert_same(actual: Any, expected: Any) -> None:
    """Equality that also pins JSON types: 2 must not come back as 2.0, nor 1 as True."""
    assert actual == expected
    assert type(actual) is type(expected), f"{actual!r} is {type(actual).__name__}"
    if isinstance(expected, dict):
        for key, value in expected.items():
            assert_same(actual[key], value)
    elif isinstance(expected, list):
        for actual_item, expected_item in zip(actual, expected, strict=True):
            assert_same(actual_item, expected_item)


LITERALS = [
    ("42", 42),
    ("4.50", 4.5),
    ("1e3", 1000.0),
    ("-7", -7),
    ("true", True),
    ("false", False),
    ("null", None),
    ('"double"', "double"),
    ("'single'", "single"),
    (r'"quote \" and \\ backslash"', 'quote " and \\ backslash'),
    (r"'it\'s'", "it's"),
    (r'"tab\tnew\nline"', "tab\tnew\nline"),
    (r'"\u00e9t\u00e9"', "été"),
    ('"// not a comment"', "// not a comment"),
    ("[1, 'two', null, [3]]", [1, "two", None, [3]]),
    ("[1, 2,]", [1, 2]),
    ("[]", []),
    ("{}", {}),
    ("{ a: 1, 'b-c': 2, \"d e\": 3 }", {"a": 1, "b-c": 2, "d e": 3}),
    ("{ a: 1, b: { c: [true] }, }", {"a": 1, "b": {"c": [True]}}),
    ("{ default: 1, map: 2, if: 3, output: 4 }", {"default": 1, "map": 2, "if": 3, "output": 4}),
    ("{ a: 1, a: 2 }", {"a": 2}),
]

COMMENTS_AND_HEADER = [
    ("// leading comment\n1 + /* inline */ 2", 3),
    ("{\n  a: 1, // trailing comment\n  b: 2 /* block\n spanning lines */\n}", {"a": 1, "b": 2}),
    ("%dw 2.0\noutput application/json\n---\n{ a: 1 }", {"a": 1}),
    ("%dw 2.0\n---\ncontext.amount", 250),
    ("%dw 2.0\nvar factor = 2\nvar base = context.amount\n---\nbase * factor", 500),
]

SELECTORS_AND_BINDINGS = [
    ("context.user.id", "u1"),
    ("context.user.address.city", "Paris"),
    ("context.user.missing.deep.deeper", None),
    ("context.nothing.x", None),
    ("context.amount.x", None),
    ("context.tags.x", None),
    ("context.items[0].sku", "x"),
    ("context.items[-1].sku", "y"),
    ("context.items[5]", None),
    ("context.items[5].sku", None),
    ('context.user["email"]', "ada@example.com"),
    ('context["user"].id', "u1"),
    ('context.user."id"', "u1"),
    ("context.missing[0]", None),
    ("'abc'[1]", "b"),
    ("[10, 20][1 + 0]", 20),
    ("({ a: { b: 2 } }).a.b", 2),
    ("({ a: 1 } ++ { b: 2 }).b", 2),
    ("context.user.default", None),
    ("paymentId", "p-1"),
    ("user.address.city", "Paris"),
    ("items[1].price", 10),
    ("unknownName", None),
    ("unknownName.deep", None),
    ("payload.decision", "approved"),
    ("context.payload.decision", "from-context"),
    ("platform.environment", "dev"),
    ("platform.run.id", "r-1"),
    ("context.createdAt.year", 2025),
    ("context.createdAt.month", 3),
    ("context.createdAt.day", 4),
    ("context.createdAt.hour", 5),
    ("context.createdAt.minutes", 6),
    ("context.createdAt.seconds", 7),
    ("context.createdAt.milliseconds", 89),
    ("context.createdAt.dayOfWeek", 2),
    ("context.createdAt.dayOfYear", 63),
    ("'not a date'.hour", None),
]

CONCAT_AND_MINUS = [
    ("{ a: 1, b: 2 } ++ { b: 3 }", {"a": 1, "b": 3}),
    ("{ a: { x: 1 } } ++ { a: { y: 2 } }", {"a": {"y": 2}}),
    ("{ a: 1 } ++ { b: 2 } ++ { a: 3 }", {"a": 3, "b": 2}),
    ("context.user ++ { id: 'u2' }", {**CONTEXT["user"], "id": "u2"}),
    ("context ++ { status: 'DONE' }", {**CONTEXT, "status": "DONE"}),
    ("'ab' ++ 'cd'", "abcd"),
    ("[1] ++ [2, 3]", [1, 2, 3]),
    ("null ++ { a: 1 }", {"a": 1}),
    ("{ a: 1 } ++ null", {"a": 1}),
    ("'x' ++ null", "x"),
    ("context.nothing ++ [1]", [1]),
    ("null ++ null", None),
    ("'PT' ++ (5 as String) ++ 'S'", "PT5S"),
    ("{ a: 1, b: 2 } - 'a'", {"b": 2}),
    ("{ a: 1, b: 2, c: 3 } - ['a', 'c']", {"b": 2}),
    ("{ a: 1 } - 'missing'", {"a": 1}),
    ("[1, 2, 1, 3] - 1", [2, 3]),
    ("[{ a: 1 }, { a: 2 }] - { a: 1.0 }", [{"a": 2}]),
    ("context - 'payload'", {k: v for k, v in CONTEXT.items() if k != "payload"}),
    (
        "(context - ['items', 'user', 'tags', 'payload', 'createdAt']) ++ { amount: 1 }",
        {
            "paymentId": "p-1",
            "amount": 1,
            "rate": 0.5,
            "status": "PENDING",
            "flag": False,
            "nothing": None,
            "scope": "read:users admin",
        },
    ),
]

EQUALITY_AND_COMPARISON = [
    ("1 == 1.0", True),
    ("1 == true", False),
    ("0 == false", False),
    ("'1' == 1", False),
    ("null == null", True),
    ("false == null", False),
    ("context.nothing == null", True),
    ("context.missing == null", True),
    ("context.status == 'PENDING'", True),
    ("'PENDING' == context.status", True),
    ("context.status != 'DONE'", True),
    ("context.amount == 250.0", True),
    ("context.amount != 250", False),
    ("context.flag == false", True),
    ("context.flag != true", True),
    ("{ a: [1, { b: 2 }] } == { a: [1.0, { b: 2.0 }] }", True),
    ("{ a: 1 } == { a: 1, b: 2 }", False),
    ("{ a: 1, b: 2 } == { b: 2, a: 1 }", True),
    ("[1, 2] == [2, 1]", False),
    ("[] == []", True),
    ("context.user == context.user", True),
    ("context.tags == ['a', 'b']", True),
    ("2 < 3", True),
    ("2.5 >= 2", True),
    ("3 <= 3", True),
    ("4 > 5", False),
    ("'apple' < 'banana'", True),
    ("'2025-01-02T00:00:00Z' > '2025-01-01T23:59:59Z'", True),
    ("1 <=> 2", -1),
    ("'b' <=> 'a'", 1),
    ("2 <=> 2.0", 0),
]

LOGIC = [
    ("true and false", False),
    ("true and true", True),
    ("false or true", True),
    ("false or false", False),
    ("not true", False),
    ("!false", True),
    ("not not true", True),
    ("false and (1 / 0 == 1)", False),
    ("true or context.missing", True),
    ("context.amount < 1000 and context.status == 'PENDING'", True),
]

ARITHMETIC = [
    ("1 + 2", 3),
    ("10 - 2 - 3", 5),
    ("7 / 2", 3.5),
    ("6 / 3", 2),
    ("6.0 / 3", 2.0),
    ("2 * 0.5", 1.0),
    ("-2 * -3", 6),
    ("-(1 + 2)", -3),
    ("1 - -1", 2),
    ("-context.amount", -250),
    ("context.amount * context.rate", 125.0),
    ("context.amount + 1", 251),
]

PRECEDENCE = [
    ("1 + 2 * 3", 7),
    ("(1 + 2) * 3", 9),
    ("2 * 3 + 4 * 5", 26),
    ("8 / 2 / 2", 2),
    ("true or false and false", True),
    ("(true or false) and false", False),
    ("not true or true", True),
    ("not 1 == 2", True),
    ("!true == false", True),
    ("not false and false", False),
    ("1 < 2 == true", True),
    ("1 + 2 == 3 and 2 > 1 or false", True),
    ("'PT' ++ 5 as String ++ 'S'", "PT5S"),
    ("-1 as String", "-1"),
    ("context.amount default 0 + 1", 250),
    ("context.missing default 0 + 1", 1),
    ("context.missing default 1 == 1", True),
    ("context.missing default 2 > 1", True),
    ("context.scope default '' contains 'admin'", True),
    ("'abc' contains 'b' and true", True),
    ("[1, 2] contains 1 == true", False),
    ("context.missing default context.nothing default 3", 3),
    ("[1, 2, 3] filter ((n) -> n > 1) map (n) -> n * 10", [20, 30]),
    ("if (false) 1 else 2 + 3", 5),
]

DEFAULT = [
    ("context.missing default 'x'", "x"),
    ("context.status default 'x'", "PENDING"),
    ("context.nothing default 'x'", "x"),
    ("context.flag default true", False),
    ("context.api.status default: 500", 500),
    (
        "{ status: context.api.status default: 500, detail: context.user.id default: 'none' }",
        {
            "status": 500,
            "detail": "u1",
        },
    ),
    ("(context.approvalAttempts default: 0) + 1", 1),
    ("context.missing default []", []),
    ("context.missing default {}", {}),
]

CONDITIONALS = [
    ("if (true) 1 else 2", 1),
    ("if (false) 1 else if (true) 2 else 3", 2),
    ("if (false) 1 else if (false) 2 else 3", 3),
    ("if (context.amount > 100) 'big' else 'small'", "big"),
    ("if (context.amount > 100) then 'big' else 'small'", "big"),
    ("if context.amount > 100 then 'big' else 'small'", "big"),
    ("if (context.missing default 0) > 0 then 1 else 2", 2),
    ("if ((context.missing default 0) > 0) then 1 else 2", 2),
    ("if (context.flag default true) 'y' else 'n'", "n"),
    ("if (true) -1 else 1", -1),
    ("if (true) [1] else []", [1]),
    ("if (false) 1 else if (true) then 2 else 3", 2),
    ("{ a: if (true) 'x' else 'y', b: 2 }", {"a": "x", "b": 2}),
    ("{ a: if (false) 'x' else 'y' }.a", "y"),
]

COERCIONS = [
    ("42 as String", "42"),
    ("4.5 as String", "4.5"),
    ("1e20 as String", "100000000000000000000"),
    ("true as String", "true"),
    ("'text' as String", "text"),
    ("'12' as Number", 12),
    ("'-1.5' as Number", -1.5),
    ("' 7 ' as Number", 7),
    ("'1e2' as Number", 100.0),
    ("3 as Number", 3),
    ("'true' as Boolean", True),
    ("'FALSE' as Boolean", False),
    ("false as Boolean", False),
    ("null as String", None),
    ("context.missing as Number", None),
    ("'2025-01-01T00:00:00Z' as DateTime", "2025-01-01T00:00:00Z"),
    ("context.createdAt as DateTime", "2025-03-04T05:06:07.089Z"),
    ("(context.approvalAttempts default: 0) as Number", 0),
    ("(context.amount as String) ++ '!'", "250!"),
]

BUILTINS = [
    ("sizeOf('abc')", 3),
    ("sizeOf([1, 2])", 2),
    ("sizeOf({ a: 1 })", 1),
    ("sizeOf(null)", 0),
    ("sizeOf(context.missing)", 0),
    ("contains('abc', 'bc')", True),
    ("contains([1, { a: 1 }], { a: 1.0 })", True),
    ("contains(null, 'x')", False),
    ("context.scope contains 'admin'", True),
    ("context.tags contains 'c'", False),
    ("upper('abc')", "ABC"),
    ("lower('ABC')", "abc"),
    ("trim('  a b  ')", "a b"),
    ("upper(null)", None),
    ("isEmpty('')", True),
    ("isEmpty([])", True),
    ("isEmpty({})", True),
    ("isEmpty(null)", True),
    ("isEmpty([0])", False),
    ("isBlank('  ')", True),
    ("isBlank(null)", True),
    ("isBlank(' x ')", False),
    ("keysOf({ a: 1, b: 2 })", ["a", "b"]),
    ("valuesOf({ a: 1, b: 2 })", [1, 2]),
    ("keysOf(null)", None),
    ("'a,b,c' splitBy ','", ["a", "b", "c"]),
    ("splitBy('a-b', '-')", ["a", "b"]),
    ("'' splitBy ','", []),
    ("['a', 1, true, 1.5] joinBy '-'", "a-1-true-1.5"),
    ("joinBy([], ',')", ""),
    ("'journey' startsWith 'jour'", True),
    ("endsWith('journey', 'ney')", True),
    ("context.missing startsWith 'x'", False),
    ("abs(-3)", 3),
    ("abs(-2.5)", 2.5),
    ("round(2.5)", 3),
    ("round(-2.5)", -3),
    ("round(2.4)", 2),
    ("floor(2.7)", 2),
    ("ceil(2.1)", 3),
    ("floor(-2.5)", -3),
    ("durationBetween('2025-01-01T00:00:00Z', '2025-01-01T01:30:00Z').seconds", 5400),
    ("durationBetween('2025-01-01T00:00:00Z', '2025-01-01T01:30:00Z').minutes", 90),
    ("durationBetween('2025-01-01T00:00:00+01:00', '2025-01-01T00:00:00Z').hours", 1),
    ("durationBetween('2025-01-03T00:00:00Z', '2025-01-01T00:00:00Z').days", -2),
]

HIGHER_ORDER = [
    ("[1, 2, 3] map (x) -> x * 2", [2, 4, 6]),
    ("map([1, 2], (x, i) -> i)", [0, 1]),
    ("context.items map (item) -> item.sku", ["x", "y"]),
    ("context.missing map (x) -> x", None),
    ("[] map (x) -> x", []),
    ("[1, 2, 3, 4] filter ((n) -> n > 2)", [3, 4]),
    ("[5, 6] filter (v, i) -> i == 1", [6]),
    ("filter([1, 2], (n) -> n == 2)", [2]),
    ("[1, 2, 3] reduce (n, acc = 0) -> acc + n", 6),
    ("[1, 2, 3] reduce (n, acc) -> acc + n", 6),
    ("[] reduce (n, acc) -> acc + n", None),
    ("[] reduce (n, acc = 'empty') -> acc", "empty"),
    ("context.items reduce (item, acc = 0.0) -> acc + item.price * item.qty", 13.0),
    ("[3, 1, 2] orderBy (n) -> n", [1, 2, 3]),
    ("(context.items orderBy (i) -> -i.price) map (i) -> i.sku", ["y", "x"]),
    ("[{ o: 2 }, { o: 1 }, { o: 3 }] orderBy ((a, b) -> a.o <=> b.o)", [{"o": 1}, {"o": 2}, {"o": 3}]),
    ("[1, 3, 2] orderBy ((a, b) -> b - a)", [3, 2, 1]),
    ("[1, 2] any ((n) -> n > 1)", True),
    ("[] any ((n) -> true)", False),
    ("[1, 2] all ((n) -> n > 1)", False),
    ("[] all ((n) -> false)", True),
    ("context.missing all ((n) -> false)", True),
    ("[1, 2] map (x) -> ([10, 20] map (y) -> x + y)", [[11, 21], [12, 22]]),
    ("[{ a: 1 }] map (context) -> context.a", [1]),
    ("[1, 2] map (amount) -> amount + context.amount", [251, 252]),
    (
        "context.items map (item, index) -> item ++ { index: index }",
        [
            {"sku": "x", "qty": 2, "price": 1.5, "index": 0},
            {"sku": "y", "qty": 1, "price": 10, "index": 1},
        ],
    ),
]

LAMBDA_LEXING = [
    ('("x)->" ++ "y")', "x)->y"),
    ("((1))", 1),
    ("['a', 'b'] reduce (item, acc = \"(\") -> acc ++ item", "(ab"),
    ("[1, 2] reduce (i, acc = sizeOf([1])) -> acc + i", 4),
    ("[[1]] map (x) -> (x map (y) -> y + 1)", [[2]]),
    ("[1] map (s /* comment */) -> s", [1]),
]

DO_BLOCKS = [
    ("do { var a = 2 var b = a * 3 --- b + 1 }", 7),
    ("do { var a = 1 context.amount + a }", 251),
    ("do { var x = 1 --- do { var x = 2 --- x } + x }", 3),
    ("do { var paymentId = 'local' --- paymentId }", "local"),
    ("do { --- 5 }", 5),
    ("[1, 2] map (n) -> do { var twice = n * 2 --- twice + 1 }", [3, 5]),
]

ALL_ROWS = (
    LITERALS
    + COMMENTS_AND_HEADER
    + SELECTORS_AND_BINDINGS
    + CONCAT_AND_MINUS
    + EQUALITY_AND_COMPARISON
    + LOGIC
    + ARITHMETIC
    + PRECEDENCE
    + DEFAULT
    + CONDITIONALS
    + COERCIONS
    + BUILTINS
    + HIGHER_ORDER
    + LAMBDA_LEXING
    + DO_BLOCKS
)


@pytest.mark.parametrize(("source", "expected"), ALL_ROWS, ids=[row[0] for row in ALL_ROWS])
def test_evaluation_table(source: str, expected: Any) -> None:
    assert_same(evaluate(source), expected)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("context.a", None),
        ("paymentId", None),
        ("context ++ { a: 1 }", {"a": 1}),
        ("payload.decision", "approved"),
    ],
)
def test_null_context_is_null_safe(source: str, expected: Any) -> None:
    assert evaluate(source, context=None) == expected


def test_bindings_default_to_null() -> None:
    expression = compile_expression("dataweave", "[payload, platform]")
    assert expression.evaluate({}) == [None, None]


def test_evaluation_does_not_mutate_inputs() -> None:
    context = copy.deepcopy(CONTEXT)
    for source in ("context ++ { status: 'X' }", "context - 'user'", "context.items orderBy (i) -> i.price"):
        evaluate(source, context)
    assert context == CONTEXT


def test_compiled_expression_is_reusable_across_contexts() -> None:
    expression = compile_expression("dataweave", "[1, 2] map (n) -> n + (context.base default 0)")
    assert expression.evaluate({"base": 10}) == [11, 12]
    assert expression.evaluate({}) == [1, 2]
    assert expression.lang == "dataweave"
    assert expression.source == "[1, 2] map (n) -> n + (context.base default 0)"


def test_now_is_rfc3339_utc() -> None:
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", evaluate("now()"))
    assert 0 <= evaluate("now().hour") <= 23


def test_uuid_is_random_v4() -> None:
    first, second = evaluate("[uuid(), uuid()]")
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", first)
    assert first != second
