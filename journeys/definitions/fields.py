"""Typed, error-collecting access to the mappings of a definition document.

Every parser reads YAML through a `Block`: a mapping plus its location in the document. Readers never
raise; they record a DefinitionError naming the exact dotted field and return None, so one load reports
every problem in the file. The shared `LoadContext` also collects the state references (`next`,
`default`, `onTimeout`, branch targets) that `graph` checks once all states are parsed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from difflib import get_close_matches
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

from journeys.definitions.api_catalog import ApiOperation
from journeys.definitions.errors import DefinitionError, DefinitionErrors
from journeys.definitions.model import (
    CompiledExpression,
    CompiledSchema,
    CompiledTemplate,
    HttpDefaults,
    RetryPolicy,
)
from journeys.definitions.schemas import InvalidSchemaError, compile_schema
from journeys.definitions.source import Location, SourceDocument, dotted, parse_document, read_document, state_of
from journeys.expressions import ExpressionSyntaxError, compile_template

T = TypeVar("T")

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True, slots=True)
class Reference:
    """A field whose value must name a state in `spec.states`."""

    location: Location
    target: str


@dataclass(slots=True)
class LoadContext:
    """Per-file state shared by all parsers: where errors go and what has been declared so far."""

    file: str
    source: SourceDocument
    errors: list[DefinitionError] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    mappers: dict[str, CompiledExpression | None] = field(default_factory=dict)
    apis: dict[str, dict[str, ApiOperation] | None] = field(default_factory=dict)
    """`spec.apis`: name -> operationId -> operation (None when the document could not be loaded)."""
    resilience: dict[str, RetryPolicy | None] = field(default_factory=dict)
    """`spec.policies.httpResilience.definitions` by id (None when the policy had errors)."""
    default_policy: str | None = None
    http_defaults: HttpDefaults | None = None
    """`spec.defaults.http`, merged into every HTTP task at load."""
    """The policy of HTTP tasks that name none (`spec.defaults.tasks` or `spec.policies.httpResilience.default`)."""
    opaque_states: list[str] = field(default_factory=list)
    """States whose outgoing edges are unknown: of a type this engine cannot parse, or with errors of their own."""

    def report(self, location: Location, message: str, *, unsupported: bool = False, line: int | None = None) -> None:
        """Record a problem at `location`; `line` overrides the location's own line when more precise."""
        self.errors.append(
            DefinitionError(
                file=self.file,
                state=state_of(location),
                field=dotted(location),
                message=message,
                line=line or self.source.line_of(location),
                unsupported=unsupported,
            )
        )


def describe(value: Any) -> str:
    """Name a YAML value's kind for messages like "must be a string, not a list"."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return f"a number ({value})"
    if isinstance(value, str):
        return "an empty string" if not value else f"the string {value!r}"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list" if value else "an empty list"
    return type(value).__name__


def compile_file(path: Path, compile_document: Callable[[LoadContext, Any, Path], T | None]) -> T:
    """Read `path` and compile its document; DefinitionErrors with every problem, in line order, if any."""
    return compile_document_of(read_document(path, str(path)), path, compile_document)


def compile_text(text: str, path: Path, compile_document: Callable[[LoadContext, Any, Path], T | None]) -> T:
    """Compile a document stored elsewhere (a journey version kept in the database) as if read from `path`."""
    return compile_document_of(parse_document(text, str(path)), path, compile_document)


def compile_document_of(
    document: SourceDocument, path: Path, compile_document: Callable[[LoadContext, Any, Path], T | None]
) -> T:
    """Compile a parsed document; DefinitionErrors with every problem, in line order, if any."""
    ctx = LoadContext(file=str(path), source=document, errors=list(document.problems))
    compiled = compile_document(ctx, document.data, path)
    if ctx.errors or compiled is None:
        raise DefinitionErrors(sorted(ctx.errors, key=lambda error: error.line or 0))
    return compiled


def templates_at(block: Block | None) -> Mapping[str, CompiledTemplate] | None:
    """A mapping of names to interpolated strings (headers, query or path parameters); None when one is bad."""
    if block is None:
        return MappingProxyType({})
    compiled: dict[str, CompiledTemplate] = {}
    for name, value in block.data.items():
        template = template_at(block, str(name), value)
        if template is None:
            return None
        compiled[str(name)] = template
    return MappingProxyType(compiled)


def template_at(block: Block, key: str | int, value: Any) -> CompiledTemplate | None:
    """Compile `value` (field `key` of `block`) as a `${...}` interpolated string, reporting problems there."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        block.report(key, f"must be a string (interpolated with ${{...}}), not {describe(value)}")
        return None
    try:
        return compile_template(str(value))
    except ExpressionSyntaxError as error:
        block.report(key, f"interpolation does not parse: {error}")
        return None


class Block:
    """A mapping in the document together with its location."""

    __slots__ = ("allowed", "ctx", "data", "location")

    def __init__(self, ctx: LoadContext, location: Location, data: Mapping[Any, Any]) -> None:
        self.ctx = ctx
        self.location = location
        self.data = data
        self.allowed: frozenset[str] | None = None
        """The field names `allow` accepted, once it has run."""

    def at(self, key: str | int) -> Location:
        return (*self.location, key)

    def report(self, key: str | int | None, message: str, *, unsupported: bool = False) -> None:
        """Record a problem about field `key` of this block (or the block itself when `key` is None)."""
        self.ctx.report(self.location if key is None else self.at(key), message, unsupported=unsupported)

    def allow(self, *keys: str, reported: Collection[str] = ()) -> None:
        """Report every field of this block that is not one of `keys` (nor one of `reported`, which the caller
        reports itself), suggesting the closest allowed name."""
        self.allowed = frozenset((*keys, *reported))
        for key in self.data:
            if not isinstance(key, str):
                self.report(None, f"field names must be strings, not {describe(key)}")
            elif key not in self.allowed:
                close = get_close_matches(key, sorted(keys), n=1)
                hint = f"; did you mean '{close[0]}'?" if close else ""
                self.report(key, f"unknown field '{key}'{hint} (allowed here: {', '.join(sorted(keys))})")

    def missing(self, key: str, detail: str = "") -> None:
        """Report the required field `key` as missing, unless an unknown field of this block is a misspelling of
        it: that field's own error already says "did you mean", and a second one would send the author after a
        field that is there. Before `allow` has run the unknown fields are not known, so the error names the
        likely misspelling instead."""
        misspelt = self.misspelling_of(key)
        if misspelt is not None and self.allowed is not None:
            return
        hint = f" (is '{misspelt}' a misspelling of it?)" if misspelt else ""
        self.report(key, f"missing required field{detail}{hint}")

    def misspelling_of(self, key: str) -> str | None:
        """The field of this block, not an allowed one, that looks like a misspelling of `key`, if any."""
        candidates = [k for k in self.data if isinstance(k, str) and k not in (self.allowed or ())]
        close = get_close_matches(key, candidates, n=1)
        return close[0] if close else None

    def has(self, key: str) -> bool:
        return key in self.data

    def _value(self, key: str, required: bool) -> tuple[bool, Any]:
        if key in self.data:
            return True, self.data[key]
        if required:
            self.missing(key)
        return False, None

    def string(self, key: str, *, required: bool = False, default: str | None = None) -> str | None:
        present, value = self._value(key, required)
        if not present:
            return default
        if isinstance(value, str) and value:
            return value
        self.report(key, f"must be a non-empty string, not {describe(value)}")
        return None

    def identifier(self, key: str, *, required: bool = False, default: str | None = None) -> str | None:
        value = self.string(key, required=required, default=default)
        if value is None or IDENTIFIER.fullmatch(value):
            return value
        self.report(key, f"'{value}' is not an identifier (expected [A-Za-z_][A-Za-z0-9_]*)")
        return None

    def one_of(
        self, key: str, options: Collection[str], *, required: bool = False, default: str | None = None
    ) -> str | None:
        present, value = self._value(key, required)
        if not present:
            return default
        if isinstance(value, str) and value in options:
            return value
        self.report(key, f"must be one of {', '.join(options)}; got {describe(value)}")
        return None

    def boolean(self, key: str, *, default: bool) -> bool:
        present, value = self._value(key, False)
        if not present:
            return default
        if isinstance(value, bool):
            return value
        self.report(key, f"must be true or false, not {describe(value)}")
        return default

    def positive_int(self, key: str) -> int | None:
        present, value = self._value(key, False)
        if not present:
            return None
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
        self.report(key, f"must be a positive integer, not {describe(value)}")
        return None

    def block(self, key: str, *, required: bool = False) -> Block | None:
        present, value = self._value(key, required)
        if not present:
            return None
        if isinstance(value, Mapping):
            return Block(self.ctx, self.at(key), value)
        self.report(key, f"must be a mapping, not {describe(value)}")
        return None

    def blocks(self, key: str, *, required: bool = False) -> list[Block] | None:
        """A non-empty list of mappings, e.g. `choices`."""
        present, value = self._value(key, required)
        if not present:
            return None
        if not isinstance(value, list):
            self.report(key, f"must be a non-empty list, not {describe(value)}")
            return None
        if not value:
            self.report(key, "must be a non-empty list")
            return None
        items: list[Block] = []
        for index, item in enumerate(value):
            if isinstance(item, Mapping):
                items.append(Block(self.ctx, (*self.at(key), index), item))
            else:
                self.ctx.report((*self.at(key), index), f"must be a mapping, not {describe(item)}")
        return items

    def state_ref(self, key: str, *, required: bool = False) -> str | None:
        """A state id; recorded so `graph` can report it if no such state exists."""
        target = self.string(key, required=required)
        if target is not None:
            self.ctx.references.append(Reference(self.at(key), target))
        return target

    def schema(self, key: str, *, required: bool = False) -> CompiledSchema | None:
        """An inline JSON Schema 2020-12 object, compiled."""
        present, value = self._value(key, required)
        if not present:
            return None
        if not isinstance(value, Mapping):
            self.report(key, f"must be a JSON Schema object, not {describe(value)}")
            return None
        try:
            return compile_schema(value)
        except InvalidSchemaError as error:
            for inner, message in error.problems:
                self.ctx.report((*self.at(key), *inner), f"invalid JSON Schema 2020-12: {message}")
            return None
