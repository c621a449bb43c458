"""Consistency between the grammar's keywords and the builtin tables the compiler consults."""

from __future__ import annotations

import re
from importlib.resources import files

from journeys.expressions.dataweave_builtins import BUILTINS
from journeys.expressions.dataweave_higher_order import HIGHER_ORDER


def _grammar_infix_names() -> set[str]:
    grammar = files("journeys.expressions").joinpath("dataweave_grammar.lark").read_text(encoding="utf-8")
    rule = re.search(r"^!infix_name:(.*?)(?:\n\n|\n[?a-z])", grammar, re.S | re.M)
    assert rule is not None
    return set(re.findall(r'"(\w+)"', rule.group(1)))


def test_every_infix_keyword_is_a_two_argument_function() -> None:
    names = _grammar_infix_names()
    assert {"contains", "map", "filter", "reduce", "orderBy", "any", "all"} <= names
    for name in names:
        assert name in HIGHER_ORDER or (name in BUILTINS and BUILTINS[name].max_args == 2), name


def test_builtins_take_at_most_three_arguments() -> None:
    assert all(builtin.max_args <= 3 for builtin in BUILTINS.values())  # the compiler specialises 0-3


def test_no_name_is_both_plain_and_higher_order() -> None:
    assert not BUILTINS.keys() & HIGHER_ORDER.keys()
