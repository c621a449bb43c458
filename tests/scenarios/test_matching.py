"""Expected-vs-actual matching: subsets, matchers and paths, with the place of each difference."""

from __future__ import annotations

from typing import Any

import pytest

from journeys.scenarios.matching import lookup, matcher_error, parse_path, path_mismatches, subset_mismatches


@pytest.mark.parametrize(
    ("expected", "actual"),
    [
        ({"a": 1}, {"a": 1.0, "b": 2}),
        ({"a": {"b": [1, {"c": "x"}]}}, {"a": {"b": [1, {"c": "x", "d": 0}], "e": 1}}),
        ({"at": {"$regex": "^2026-03"}}, {"at": "2026-03-04T08:00:00Z"}),
        ({"n": {"$type": "integer"}, "s": {"$type": "string"}}, {"n": 3, "s": ""}),
        ({"gone": {"$absent": True}}, {"other": 1}),
        ({"x": None}, {"x": None}),
    ],
)
def test_matches(expected: Any, actual: Any) -> None:
    assert subset_mismatches(expected, actual, "output") == []


@pytest.mark.parametrize(
    ("expected", "actual", "report"),
    [
        ({"a": 1}, {"b": 1}, "output.a: expected 1, got (absent)"),
        ({"a": [1]}, {"a": [1, 2]}, "output.a: expected [1], got [1, 2]"),
        ({"a": True}, {"a": 1}, "output.a: expected true, got 1"),
        ({"a": {"$type": "integer"}}, {"a": True}, 'output.a: expected {"$type": "integer"}, got true'),
        ({"a": {"$regex": "^b"}}, {"a": "abc"}, 'output.a: expected {"$regex": "^b"}, got \'abc\''),
        ({"a": {"$absent": True}}, {"a": None}, 'output.a: expected {"$absent": true}, got null'),
        ({"a": [{"b": 1}]}, {"a": [{"b": 2}]}, "output.a[0].b: expected 1, got 2"),
    ],
)
def test_mismatches_say_where_what_was_expected_and_what_came(expected: Any, actual: Any, report: str) -> None:
    assert [str(m) for m in subset_mismatches(expected, actual, "output")] == [report]


def test_paths() -> None:
    output = {"body": {"items": [{"id": "i-1"}]}}
    assert parse_path("$.body.items[0].id") == ["body", "items", 0, "id"]
    assert lookup(output, "body.items[0].id") == "i-1"
    assert [str(m) for m in path_mismatches({"body.items[1].id": "x"}, output, "output")] == [
        "output[body.items[1].id]: expected 'x', got (absent)"
    ]
    for broken in ("a..b", "", "a[x]"):
        with pytest.raises(ValueError, match="is not a path"):
            parse_path(broken)


def test_malformed_matchers_are_named() -> None:
    assert matcher_error({"$type": "text"}) == (
        "$type must be one of ['array', 'boolean', 'integer', 'null', 'number', 'object', 'string'], got 'text'"
    )
    assert "is not a regular expression" in (matcher_error({"$regex": "("}) or "")
    assert matcher_error({"$absent": False}) is not None
    assert matcher_error({"$regex": "a", "other": 1}) is None  # two keys: a plain mapping, not a matcher
