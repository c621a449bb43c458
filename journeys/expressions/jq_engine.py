"""`lang: jq`, backed by the `jq` package (libjq bindings).

The input document is `{"context": ..., "payload": ..., "platform": ...}` (so `.context.id`).
A jq program yields a stream; an expression site needs one value, so the first output is the
result and an empty stream (e.g. `empty`, `select(false)`) evaluates to null.
"""

from __future__ import annotations

import re
from typing import Any

import jq

from journeys.expressions.errors import ExpressionEvaluationError, ExpressionSyntaxError

_POSITION = re.compile(r"line (\d+), column (\d+)")


class JqExpression:
    """A compiled `lang: jq` expression."""

    __slots__ = ("_program", "lang", "source")

    def __init__(self, source: str, program: Any) -> None:
        self.lang = "jq"
        self.source = source
        self._program = program

    def evaluate(self, context: Any, payload: Any = None, platform: Any = None) -> Any:
        """Evaluate against the bindings and return the first output, or None if there is none."""
        document = {"context": context, "payload": payload, "platform": platform}
        try:
            return next(iter(self._program.input_value(document)), None)
        except Exception as error:
            raise ExpressionEvaluationError(f"jq evaluation failed: {error}") from error

    def __repr__(self) -> str:
        return f"JqExpression({self.source!r})"


def compile_jq(source: str) -> JqExpression:
    """Compile once; libjq reports compile errors as ValueError text with a line and column."""
    try:
        program = jq.compile(source)
    except ValueError as error:
        message = str(error).strip()
        position = _POSITION.search(message)
        if position is None:
            raise ExpressionSyntaxError(message.splitlines()[0]) from None
        first_line = message.splitlines()[0].split(" at <top-level>")[0]
        raise ExpressionSyntaxError(first_line, int(position.group(1)), int(position.group(2))) from None
    return JqExpression(source, program)
