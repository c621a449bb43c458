"""`lang: jsonata`, backed by the jsonata-python package.

The input document is `{"context": ..., "payload": ..., "platform": ...}`, so expressions read
`context.amount` exactly as in the DSL docs. Two quirks of the library are handled here:

* it returns its own list subclass and may return function objects, so results are converted to
  plain JSON values (a function result is an evaluation error);
* `$now()` and higher-order functions consult a per-thread "current" Jsonata instance that the
  library only sets when an expression is *constructed*, so with many expressions compiled at
  load time `$now()` would return another expression's stale timestamp. Each evaluation makes
  its own instance current first.
"""

from __future__ import annotations

from typing import Any

import jsonata

from journeys.expressions.errors import ExpressionEvaluationError, ExpressionSyntaxError


class JsonataExpression:
    """A compiled `lang: jsonata` expression."""

    __slots__ = ("_program", "lang", "source")

    def __init__(self, source: str, program: jsonata.Jsonata) -> None:
        self.lang = "jsonata"
        self.source = source
        self._program = program

    def evaluate(self, context: Any, payload: Any = None, platform: Any = None) -> Any:
        """Evaluate against the bindings; `undefined` results are returned as None."""
        document = {"context": context, "payload": payload, "platform": platform}
        jsonata.Jsonata.CURRENT.jsonata = self._program
        try:
            # Passing (empty) bindings gives each call its own frame instead of binding `$`
            # into the shared compiled environment.
            result = self._program.evaluate(document, {})
        except Exception as error:
            raise ExpressionEvaluationError(f"jsonata evaluation failed: {error}") from error
        return _to_json(result)

    def __repr__(self) -> str:
        return f"JsonataExpression({self.source!r})"


def compile_jsonata(source: str) -> JsonataExpression:
    """Parse once; syntax errors carry the line/column of the library's character offset."""
    try:
        program = jsonata.Jsonata(source)
    except jsonata.JException as error:
        line, column = _line_column(source, getattr(error, "location", -1))
        raise ExpressionSyntaxError(f"jsonata: {error}", line, column) from None
    return JsonataExpression(source, program)


def _line_column(source: str, offset: int) -> tuple[int | None, int | None]:
    if offset < 0:
        return None, None
    offset = min(offset, len(source))
    line = source.count("\n", 0, offset) + 1
    return line, offset - (source.rfind("\n", 0, offset) + 1) + 1


def _to_json(value: Any) -> Any:
    if value is None or type(value) in (str, int, float, bool):
        return value
    if isinstance(value, dict):
        return {key: _to_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_to_json(item) for item in value]
    raise ExpressionEvaluationError(f"jsonata expression produced a non-JSON value ({type(value).__name__})")
