"""`${...}` interpolation for "interpolated" DSL strings (HTTP url, header values, string bodies).

A placeholder is a dot path rooted at `context`, `payload` or `platform`, e.g.
`"Bearer ${context.auth.token}"`; `$${` renders a literal `${`. Templates are parsed once at
definition load into literal chunks and path lookups, so rendering is a join.

Rendering rules: strings are inserted as is; other values as compact JSON. A path that does
not resolve, or resolves to null, raises ExpressionEvaluationError naming the path: the DSL
requires missing variables to fail rather than silently render as an empty string, and a
literal "null" in a URL or header is the same bug in disguise.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from journeys.expressions.errors import ExpressionEvaluationError, ExpressionSyntaxError

_ROOTS = ("context", "payload", "platform")
_SEGMENT = re.compile(r"[A-Za-z0-9_-]+")
_MISSING = object()

_Part = Callable[[tuple[Any, Any, Any]], str]


class CompiledTemplate:
    """A parsed template; `render` is pure and raises ExpressionEvaluationError on missing values."""

    __slots__ = ("_parts", "placeholders", "source")

    def __init__(self, source: str, parts: tuple[str | _Part, ...], placeholders: tuple[str, ...]) -> None:
        self.source = source
        self.placeholders = placeholders
        self._parts = parts

    def render(self, context: Any, payload: Any = None, platform: Any = None) -> str:
        roots = (context, payload, platform)
        return "".join(part if type(part) is str else part(roots) for part in self._parts)

    def __repr__(self) -> str:
        return f"CompiledTemplate({self.source!r})"


def compile_template(source: str) -> CompiledTemplate:
    """Parse `source`; raises ExpressionSyntaxError (with line/column) for a malformed placeholder."""
    parts: list[str | _Part] = []
    placeholders: list[str] = []
    literal: list[str] = []
    position = 0
    while True:
        start = source.find("$", position)
        if start < 0:
            literal.append(source[position:])
            break
        if source.startswith("$${", start):
            literal.append(source[position:start] + "${")
            position = start + 3
            continue
        if not source.startswith("${", start):
            literal.append(source[position : start + 1])
            position = start + 1
            continue
        literal.append(source[position:start])
        end = source.find("}", start + 2)
        if end < 0:
            raise _syntax_error("unclosed '${' placeholder", source, start)
        path = source[start + 2 : end].strip()
        parts.append("".join(literal))
        literal = []
        parts.append(_compile_placeholder(path, source, start))
        placeholders.append(path)
        position = end + 1
    parts.append("".join(literal))
    return CompiledTemplate(source, tuple(part for part in parts if part != ""), tuple(placeholders))


def _compile_placeholder(path: str, source: str, offset: int) -> _Part:
    if not path:
        raise _syntax_error("empty '${}' placeholder", source, offset)
    root, *keys = path.split(".")
    if root not in _ROOTS:
        raise _syntax_error(f"placeholder '{path}' must start with one of: {', '.join(_ROOTS)}", source, offset)
    for key in keys:
        if not _SEGMENT.fullmatch(key):
            raise _syntax_error(f"placeholder '{path}' is not a dot path", source, offset)
    root_index = _ROOTS.index(root)

    def render(roots: tuple[Any, Any, Any]) -> str:
        value = roots[root_index]
        for key in keys:
            value = value.get(key, _MISSING) if type(value) is dict else _MISSING
            if value is _MISSING:
                raise ExpressionEvaluationError(f"template placeholder '{path}' does not resolve")
        if value is None:
            raise ExpressionEvaluationError(f"template placeholder '{path}' resolved to null")
        if type(value) is str:
            return value
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)

    return render


def _syntax_error(message: str, source: str, offset: int) -> ExpressionSyntaxError:
    line = source.count("\n", 0, offset) + 1
    column = offset - (source.rfind("\n", 0, offset) + 1) + 1
    return ExpressionSyntaxError(message, line, column)
