"""Which context names a DataWeave-dialect expression reads, and which top-level keys its result can have.

`journeys validate` warns about reads of context names that nothing in a journey writes (a typo such as
`context.amout` evaluates to null, so a predicate built on it is silently always false). The answers must be
exact where they are given, because a wrong "nobody writes this" warning teaches authors to ignore warnings:

* a read is a bare name that no `var` or lambda parameter binds (`amount` reads `context.amount`), a selector
  chain on the `context` root (`context.amount.value` reads `amount`) or a literal key on it (`context["a-b"]`).
  Computed keys (`context[k]`) are not reported: what they read is unknown, and an unknown read cannot be wrong.
* `result_keys` is the set of top-level keys a result object can have beyond those of the context it was
  computed from, or None when that cannot be known (a whole-context transform of `context ++ payload`).

The tree is the one the compiler walks (`dataweave_parser.parse`), with the same scoping rules.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from lark import Token, Tree

from journeys.expressions.dataweave_literals import constant_of, key_text
from journeys.expressions.dataweave_parser import parse

_ROOTS = frozenset(("context", "payload", "platform"))


@dataclass(frozen=True, slots=True)
class ContextRead:
    """`name` (a top-level context key) is read on line `line` of the expression (1-based)."""

    name: str
    line: int


@dataclass(frozen=True, slots=True)
class ContextNames:
    reads: tuple[ContextRead, ...]
    result_keys: frozenset[str] | None


def context_names(source: str) -> ContextNames:
    """Analyse an expression that compiles (a source that does not parse raises ExpressionSyntaxError)."""
    tree = parse(source)
    *header, body = tree.children
    scope: set[str] = set()
    reads = list(_header_reads(header[0], scope)) if header else []
    walker = _Reads([scope])
    reads += walker.walk(body)
    return ContextNames(tuple(reads), _result_keys(body, frozenset(scope)))


def _header_reads(header: Tree[Token], scope: set[str]) -> Iterator[ContextRead]:
    """Header `var`s are declared in order, each after its own value (no self-reference), as the compiler does."""
    for directive in header.children:
        if isinstance(directive, Tree) and directive.data == "var_decl":
            name, value = directive.children
            yield from _Reads([set(scope)]).walk(value)
            scope.add(name.value)


class _Reads:
    """A tree walk that yields the context reads, keeping the lexical scopes of `var`s and lambda parameters."""

    def __init__(self, scopes: list[set[str]]) -> None:
        self.scopes = scopes

    def bound(self, name: str) -> bool:
        return any(name in scope for scope in self.scopes)

    def walk(self, node: Tree[Token] | Token | None) -> Iterator[ContextRead]:
        if not isinstance(node, Tree):
            return
        kind = node.data
        if kind == "name":
            yield from self._name(node.children[0], ())
        elif kind == "select_field":
            yield from self._selection(node)
        elif kind == "select_index":
            yield from self._index(node)
        elif kind == "object":
            for pair in node.children:
                if pair is not None:
                    yield from self.walk(pair.children[1])  # keys are literal text, not reads
        elif kind == "do_block":
            yield from self._do_block(node)
        elif kind == "lambda":
            yield from self._lambda(node)
        elif kind == "call":
            for argument in node.children[1:]:
                yield from self.walk(argument)
        elif kind == "infix_call":
            yield from self.walk(node.children[0])
            yield from self.walk(node.children[2])
        else:
            for child in node.children:
                yield from self.walk(child)

    def _name(self, token: Token, keys: tuple[str, ...]) -> Iterator[ContextRead]:
        name = token.value
        if self.bound(name):
            return
        if name == "context":
            if keys:
                yield ContextRead(keys[0], token.line or 1)
        elif name not in _ROOTS:
            yield ContextRead(name, token.line or 1)

    def _selection(self, node: Tree[Token]) -> Iterator[ContextRead]:
        keys: list[str] = []
        while isinstance(node, Tree) and node.data == "select_field":
            node, key = node.children
            keys.append(key_text(key))
        keys.reverse()
        if node.data == "name":
            yield from self._name(node.children[0], tuple(keys))
        else:
            yield from self.walk(node)

    def _index(self, node: Tree[Token]) -> Iterator[ContextRead]:
        base, index = node.children
        constant = constant_of(index)
        if base.data == "name" and isinstance(constant, str):
            yield from self._name(base.children[0], (constant,))
        elif base.data == "name" and base.children[0].value == "context" and not self.bound("context"):
            pass  # `context[k]`: a computed key reads something unknown
        else:
            yield from self.walk(base)
        yield from self.walk(index)

    def _do_block(self, node: Tree[Token]) -> Iterator[ContextRead]:
        self.scopes.append(set())
        for child in node.children[:-1]:
            if isinstance(child, Tree):  # a var_decl; the optional `---` is a token
                name, value = child.children
                yield from self.walk(value)
                self.scopes[-1].add(name.value)
        yield from self.walk(node.children[-1])
        self.scopes.pop()

    def _lambda(self, node: Tree[Token]) -> Iterator[ContextRead]:
        _open, *parameters, body = node.children
        parameters = [parameter for parameter in parameters if parameter is not None]
        for parameter in parameters:  # defaults are evaluated outside the lambda's scope
            if len(parameter.children) > 1:
                yield from self.walk(parameter.children[1])
        self.scopes.append({parameter.children[0].value for parameter in parameters})
        yield from self.walk(body)
        self.scopes.pop()


def _result_keys(node: Tree[Token], bound: frozenset[str]) -> frozenset[str] | None:
    """The keys `node`'s result object can add to the context it was computed from, None when unknown."""
    kind = node.data
    if kind == "object":
        return frozenset(key_text(pair.children[0]) for pair in node.children if pair is not None)
    if kind == "name" and node.children[0].value == "context" and "context" not in bound:
        return frozenset()
    if constant_of(node) is None:  # `null ++ {...}` is the object
        return frozenset()
    if kind == "binary" and node.children[1].type == "MINUS":  # removing keys adds none
        return _result_keys(node.children[0], bound)
    if kind == "binary" and node.children[1].type == "CONCAT":
        return _union(_result_keys(node.children[0], bound), _result_keys(node.children[2], bound))
    if kind == "default":
        return _union(_result_keys(node.children[0], bound), _result_keys(node.children[1], bound))
    if kind in ("if_paren", "if_then"):
        return _union(_result_keys(node.children[1], bound), _result_keys(node.children[2], bound))
    if kind == "do_block":
        declared = {child.children[0].value for child in node.children[:-1] if isinstance(child, Tree)}
        return _result_keys(node.children[-1], bound | declared)
    return None


def _union(left: frozenset[str] | None, right: frozenset[str] | None) -> frozenset[str] | None:
    return None if left is None or right is None else left | right
