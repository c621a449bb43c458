"""Expression engines for journey definitions: compile once at load, evaluate purely per run.

`compile_expression(lang, source)` selects an engine by the DSL's `lang` id (dataweave, jsonata,
jq); `compile_template(source)` handles `${...}` string interpolation. Compilation errors are
ExpressionSyntaxError (or UnknownLanguageError for a bad `lang`); evaluation only ever raises
ExpressionEvaluationError.
"""

from journeys.expressions.errors import (
    ExpressionEvaluationError,
    ExpressionSyntaxError,
    UnknownLanguageError,
)
from journeys.expressions.registry import SUPPORTED_LANGS, compile_expression
from journeys.expressions.templates import compile_template

__all__ = [
    "SUPPORTED_LANGS",
    "ExpressionEvaluationError",
    "ExpressionSyntaxError",
    "UnknownLanguageError",
    "compile_expression",
    "compile_template",
]
