"""String interpolation in DataWeave string literals: `"id-$(context.x)"` and `"Hi $name"`.

DataWeave evaluates `$(expr)` and `$identifier` inside a string literal and splices the value into the text. The
lexer keeps such a literal one STRING token (its pattern lets `$( ... )` contain nested strings and one level of
parentheses), and `expand` then rewrites every interpolating `string` node of the parse tree into an
`interpolation` node whose children are the decoded literal pieces (plain `str`) and the parse trees of the
embedded expressions. Doing it on the tree, before compilation, means the compiler and the context-read analysis
(`dataweave_names`) see embedded expressions exactly like any other sub-expression, with their scoping.

Each embedded expression is re-parsed from the token text padded with whitespace to its original position, so
syntax errors and reported read lines point into the original source. `\\$` is a literal dollar sign, and a `$`
not followed by `(` or a name is kept as text (`"cost: $5"`). Interpolation in object keys and quoted selectors
(`{"k-$(x)": 1}`) would make keys dynamic, which the dialect does not support: it is rejected at compile time.
"""

from __future__ import annotations

from collections.abc import Callable

from lark import Token, Tree

from journeys.expressions.dataweave_literals import decode_escapes, syntax_error

_NAME_START = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")
_NAME_PART = _NAME_START | frozenset("0123456789")

_LITERAL_KEY_NODES = frozenset(("pair", "select_field"))

Parse = Callable[[str], Tree[Token]]


def interpolates(token: Token) -> bool:
    """Whether a STRING token contains `$(` or `$name` outside an escape."""
    return any(isinstance(piece, tuple) for piece in _pieces(token))


def interpolates_key(token: Token) -> bool:
    return token.type == "STRING" and interpolates(token)


def expand(tree: Tree[Token], parse: Parse) -> Tree[Token]:
    """Rewrite interpolating `string` nodes of `tree` in place into `interpolation` nodes; returns `tree`."""
    for node in tree.iter_subtrees():
        for index, child in enumerate(node.children):
            if isinstance(child, Tree) and child.data == "string" and interpolates(child.children[0]):
                node.children[index] = _interpolation(child.children[0], parse)
            elif node.data in _LITERAL_KEY_NODES and isinstance(child, Token) and interpolates_key(child):
                raise syntax_error("string interpolation is not supported in object keys and selectors", child)
    if tree.data == "string" and interpolates(tree.children[0]):
        return _interpolation(tree.children[0], parse)
    return tree


def _interpolation(token: Token, parse: Parse) -> Tree[Token]:
    parts: list[str | Tree[Token]] = []
    for piece in _pieces(token):
        if isinstance(piece, str):
            parts.append(decode_escapes(piece, token))
            continue
        kind, text, offset = piece
        column = (token.column or 1) + offset
        if kind == "name":
            name = Token("NAME", text, line=token.line, column=column)
            parts.append(Tree("name", [name]))
        else:
            parts.append(_embedded(text, token, column, parse))
    return Tree("interpolation", parts)


def _embedded(source: str, token: Token, column: int, parse: Parse) -> Tree[Token]:
    """Parse `$( source )` as an expression placed where it stands in the original text."""
    where = Token("STRING", source, line=token.line, column=column)
    if not source.strip():
        raise syntax_error("empty interpolation '$()' in string", where)
    padded = "\n" * ((token.line or 1) - 1) + " " * (column - 1) + source
    tree = parse(padded)
    *header, body = tree.children
    if header and header[0] is not None:
        raise syntax_error("a '%dw' header is not allowed inside '$(...)'", where)
    return body


def _pieces(token: Token) -> list[str | tuple[str, str, int]]:
    """Split the raw literal into raw text runs and ("expr"|"name", source, offset-in-token) placeholders."""
    raw = token.value
    pieces: list[str | tuple[str, str, int]] = []
    start = index = 1
    end = len(raw) - 1
    while index < end:
        char = raw[index]
        if char == "\\":
            index += 2
            continue
        if char != "$" or index + 1 >= end:
            index += 1
            continue
        following = raw[index + 1]
        if following == "(":
            close = _closing_parenthesis(raw, index + 1, end, token)
            pieces += [raw[start:index], ("expr", raw[index + 2 : close], index + 2)]
            start = index = close + 1
        elif following in _NAME_START:
            stop = index + 1
            while stop < end and raw[stop] in _NAME_PART:
                stop += 1
            pieces += [raw[start:index], ("name", raw[index + 1 : stop], index + 1)]
            start = index = stop
        else:
            index += 1
    pieces.append(raw[start:end])
    return [piece for piece in pieces if piece != ""]


def _closing_parenthesis(raw: str, opening: int, end: int, token: Token) -> int:
    """Index of the `)` matching `raw[opening]`, skipping nested parentheses and string literals."""
    depth = 0
    index = opening
    while index < end:
        char = raw[index]
        if char in "\"'":
            index = _string_end(raw, index, end)
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return index
        index += 1
    where = Token("STRING", raw, line=token.line, column=(token.column or 1) + opening - 1)
    raise syntax_error("unterminated interpolation '$(' in string", where)


def _string_end(raw: str, opening: int, end: int) -> int:
    quote = raw[opening]
    index = opening + 1
    while index < end and raw[index] != quote:
        index += 2 if raw[index] == "\\" else 1
    return index
