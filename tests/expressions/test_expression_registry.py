"""The public surface of `journeys.expressions` and engine selection by `lang`."""

from __future__ import annotations

import pytest

import journeys.expressions as expressions
from journeys.expressions import (
    SUPPORTED_LANGS,
    ExpressionEvaluationError,
    ExpressionSyntaxError,
    UnknownLanguageError,
    compile_expression,
)


def test_public_api_is_exactly_the_documented_names() -> None:
    assert sorted(expressions.__all__) == sorted(
        [
            "compile_expression",
            "compile_template",
            "SUPPORTED_LANGS",
            "ExpressionSyntaxError",
            "ExpressionEvaluationError",
            "UnknownLanguageError",
        ]
    )


def test_supported_langs() -> None:
    assert SUPPORTED_LANGS == ("dataweave", "jsonata", "jq")


@pytest.mark.parametrize(
    ("lang", "source"),
    [("dataweave", "context.amount < 100"), ("jsonata", "context.amount < 100"), ("jq", ".context.amount < 100")],
)
def test_every_engine_compiles_to_the_same_contract(lang: str, source: str) -> None:
    expression = compile_expression(lang, source)
    assert (expression.lang, expression.source) == (lang, source)
    assert expression.evaluate({"amount": 5}) is True
    assert expression.evaluate({"amount": 500}, payload=None, platform={}) is False


@pytest.mark.parametrize("lang", ["jolt", "DataWeave", "", "python"])
def test_unknown_language_lists_supported_ones(lang: str) -> None:
    with pytest.raises(UnknownLanguageError) as raised:
        compile_expression(lang, "1")
    assert isinstance(raised.value, ValueError)
    for supported in SUPPORTED_LANGS:
        assert supported in str(raised.value)


@pytest.mark.parametrize("source", [5, None, ["context"]])
def test_non_string_source_is_a_syntax_error(source: object) -> None:
    with pytest.raises(ExpressionSyntaxError, match="must be a string"):
        compile_expression("dataweave", source)  # type: ignore[arg-type]


def test_error_types() -> None:
    assert issubclass(ExpressionSyntaxError, ValueError)
    assert issubclass(UnknownLanguageError, ValueError)
    assert not issubclass(ExpressionEvaluationError, ValueError)
