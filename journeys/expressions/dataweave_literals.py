"""Literal tokens of the DataWeave dialect, decoded once at compile time, and the compile-time error.

The compiler folds literals into constants (`x == "PAID"` compares against a decoded string, `items[0]`
indexes with an int) and checks literal builtin arguments before any evaluation, so decoding lives beside it but
apart from the tree walk: it is about the text of tokens (escapes, number forms), not about scopes and slots.
"""

from __future__ import annotations

import re
from typing import Any

from lark import Token, Tree

from journeys.expressions.errors import ExpressionSyntaxError

_SIMPLE_ESCAPES = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "b": "\b",
    "f": "\f",
    '"': '"',
    "'": "'",
    "\\": "\\",
    "/": "/",
    "$": "$",
}
_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|.)")

# What `constant_of` answers for a node that is not a scalar literal (None is the literal null).
NO_CONSTANT = object()


def syntax_error(message: str, where: Tree[Token] | Token) -> ExpressionSyntaxError:
    if isinstance(where, Token):
        return ExpressionSyntaxError(message, where.line, where.column)
    meta = where.meta
    return ExpressionSyntaxError(message, getattr(meta, "line", None), getattr(meta, "column", None))


def constant_of(node: Tree[Token]) -> Any:
    """The literal value of `node` if it is a scalar literal, else `NO_CONSTANT`."""
    kind = node.data
    if kind == "number":
        return parse_number(node.children[0])
    if kind == "string":
        return decode_string(node.children[0])
    if kind in ("true", "false", "null"):
        return {"true": True, "false": False, "null": None}[kind]
    if kind == "negate" and node.children[1].data == "number":
        return -parse_number(node.children[1].children[0])
    return NO_CONSTANT


def parse_number(token: Token) -> int | float:
    """Integers stay ints so counters and HTTP statuses round-trip exactly."""
    text = token.value
    if text.isdigit():
        return int(text)
    return float(text)


def decode_string(token: Token) -> str:
    return decode_escapes(token.value[1:-1], token)


def decode_escapes(body: str, token: Token) -> str:
    """Replace the escapes of raw literal text (`body` is part of `token`, which positions errors)."""
    if "\\" not in body:
        return body

    def replace(match: re.Match[str]) -> str:
        escape = match.group(1)
        if len(escape) == 5:
            return chr(int(escape[1:], 16))
        if escape in _SIMPLE_ESCAPES:
            return _SIMPLE_ESCAPES[escape]
        raise syntax_error(f"invalid escape sequence '\\{escape}' in string", token)

    return _ESCAPE.sub(replace, body)


def key_text(token: Token) -> str:
    return decode_string(token) if token.type == "STRING" else token.value
