"""Resolution of a `lang` id to its expression engine, done once per expression at load time.

Unknown ids fail definition loading with the list of supported engines (ADR-0027: a spec that
names an unregistered engine must be rejected up front, not when the state first runs).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from journeys.expressions.dataweave import compile_dataweave
from journeys.expressions.errors import ExpressionSyntaxError, UnknownLanguageError
from journeys.expressions.jq_engine import compile_jq
from journeys.expressions.jsonata_engine import compile_jsonata


class CompiledExpression(Protocol):
    """What every engine returns: the source it was compiled from and a pure `evaluate`."""

    lang: str
    source: str

    def evaluate(self, context: Any, payload: Any = None, platform: Any = None) -> Any: ...


_ENGINES: dict[str, Callable[[str], CompiledExpression]] = {
    "dataweave": compile_dataweave,
    "jsonata": compile_jsonata,
    "jq": compile_jq,
}

SUPPORTED_LANGS: tuple[str, ...] = tuple(_ENGINES)


def compile_expression(lang: str, source: str) -> CompiledExpression:
    """Compile `source` with the engine named by `lang`.

    Raises UnknownLanguageError for an unsupported `lang` and ExpressionSyntaxError when the
    source does not compile (including a non-string source, e.g. a YAML number).
    """
    engine = _ENGINES.get(lang)
    if engine is None:
        raise UnknownLanguageError(f"unsupported expression language {lang!r}; supported: {', '.join(SUPPORTED_LANGS)}")
    if not isinstance(source, str):
        raise ExpressionSyntaxError(f"expression source must be a string, got {type(source).__name__}")
    return engine(source)
