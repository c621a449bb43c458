"""Parsing of DataWeave-dialect sources into lark trees, with errors mapped to our own type.

The LALR tables are built once per process, on first use, from `dataweave_grammar.lark`
(shipped as package data). Every lark error is turned into ExpressionSyntaxError carrying a
1-based line/column, so definition loading can point authors at the exact spot. String literals that
interpolate (`"id-$(context.x)"`) come back already expanded into `interpolation` nodes.
"""

from __future__ import annotations

from functools import cache

from lark import Lark, Token, Tree, UnexpectedCharacters, UnexpectedInput, UnexpectedToken
from lark.lexer import PatternStr

from journeys.expressions.dataweave_interpolation import expand
from journeys.expressions.errors import ExpressionSyntaxError

_MAX_EXPECTED_SHOWN = 8


@cache
def _parser() -> Lark:
    return Lark.open_from_package(
        "journeys.expressions",
        "dataweave_grammar.lark",
        parser="lalr",
        lexer="contextual",
        propagate_positions=True,
        maybe_placeholders=True,
    )


def parse(source: str) -> Tree[Token]:
    """Parse `source`; raises ExpressionSyntaxError describing the first offending token."""
    parser = _parser()
    try:
        tree = parser.parse(source)
    except UnexpectedInput as error:
        line, column = _position(source, error)
        raise ExpressionSyntaxError(_describe(parser, error), line, column) from None
    return expand(tree, parse)


def _position(source: str, error: UnexpectedInput) -> tuple[int, int]:
    """lark reports end-of-input without a position; point just past the last character then."""
    if error.line > 0 and error.column > 0:
        return error.line, error.column
    lines = source.split("\n")
    return len(lines), len(lines[-1]) + 1


def _describe(parser: Lark, error: UnexpectedInput) -> str:
    if isinstance(error, UnexpectedCharacters):
        if error.char in "\"'":
            return "unterminated string literal"
        return f"unexpected character {error.char!r}"
    if isinstance(error, UnexpectedToken):
        found = "end of expression" if error.token.type == "$END" else repr(str(error.token))
        expected = sorted(_display(parser, name) for name in error.accepts or error.expected)
        if len(expected) > _MAX_EXPECTED_SHOWN:
            return f"unexpected {found}"
        return f"unexpected {found}, expected one of: {', '.join(expected)}"
    return "unexpected end of expression"


def _display(parser: Lark, terminal_name: str) -> str:
    """Show keywords and punctuation as written (`')'`, `'else'`) and the rest by kind."""
    if terminal_name == "$END":
        return "end of expression"
    pattern = parser.get_terminal(terminal_name).pattern
    if isinstance(pattern, PatternStr):
        return repr(pattern.value)
    return {"NAME": "name", "NUMBER": "number", "STRING": "string", "LAMBDA_OPEN": "'('"}.get(
        terminal_name, terminal_name.lower()
    )
