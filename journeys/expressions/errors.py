"""Errors raised by expression engines.

Syntax errors surface at definition load (so a bad expression never reaches a running journey);
evaluation errors surface at run time and become a journey failure naming the state.
"""


class ExpressionSyntaxError(ValueError):
    """The expression source does not parse; `line`/`column` are 1-based positions within the source."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        where = f" (line {line}, column {column})" if line is not None else ""
        super().__init__(f"{message}{where}")
        self.line = line
        self.column = column


class ExpressionEvaluationError(RuntimeError):
    """The expression parsed but could not be evaluated against the given bindings."""


class UnknownLanguageError(ValueError):
    """A `lang` names no registered expression engine; raised at definition load, never at run time."""
