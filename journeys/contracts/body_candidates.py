"""The request bodies `steering` tries, in order, to take a journey where a path says.

Simulating a body is cheap but not free (MAX_ATTEMPTS per request), so the order matters: the schema example
first, then the example with one or two fields changed to values that can flip a choice: the field schema's
`const`/`enum`/`examples`/`default`, `true`/`false`, the literals written in the choice predicates (and their
neighbours, for `<`/`>`), and the values already in the journey's context (for `payload.id == id`). Fields the
predicates read that the schema does not declare are tried too, where the schema lets a body carry them. Kept
apart from `steering`, which runs the bodies through the interpreter: this module only proposes them.
"""

from __future__ import annotations

import copy
import itertools
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from journeys.contracts.schema_examples import example_value, resolve, schema_types
from journeys.definitions.model import ChoiceState, CompiledSchema, JourneyDefinition

MAX_FIELD_DEPTH = 3

_STRING_LITERAL = re.compile(r"'([^'\\]*)'|\"([^\"\\]*)\"")
_NUMBER_LITERAL = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w.])")
_BOOLEAN_LITERAL = re.compile(r"\b(true|false)\b")


class Candidates:
    """The bodies worth trying for the requests of one definition, given what its choice predicates read."""

    def __init__(self, definition: JourneyDefinition) -> None:
        self._literals = _predicate_literals(definition)
        self._payload_paths = _predicate_payload_paths(definition)

    def __call__(
        self, raw: Mapping[str, Any], base: Any, context: Mapping[str, Any], schema: CompiledSchema | None
    ) -> Iterator[Any]:
        """The base body, then bodies with one, then two fields changed; only those the schema accepts."""
        seen: set[str] = set()

        def fresh(body: Any) -> bool:
            key = json.dumps(body, sort_keys=True, default=str)
            if key in seen or (schema is not None and schema.errors(body)):
                return False
            seen.add(key)
            return True

        if fresh(base):
            yield base
        if not isinstance(base, dict):
            return
        scalars = list(_context_scalars(context))
        scalars += _numeric_neighbours(scalars)
        declared = list(_fields(raw, raw, (), 0))
        options = [(path, list(_field_values(leaf, self._literals, scalars))) for path, leaf in declared]
        # Fields the choices read that the schema does not declare (inside a free-form object).
        for path in self._payload_paths:
            # A declared field, or an object holding some: already among the options.
            covered = any(field[: len(path)] == path for field, _ in declared)
            if not covered and may_hold(raw, path):
                options.append((path, list(_field_values({}, self._literals, scalars))))
        for count in (1, 2):
            for chosen in itertools.combinations(options, count):
                for values in itertools.product(*(values for _, values in chosen)):
                    body = copy.deepcopy(base)
                    for (path, _), value in zip(chosen, values, strict=True):
                        _put(body, path, value)
                    if fresh(body):
                        yield body


def _predicate_literals(definition: JourneyDefinition) -> list[Any]:
    """Literals written in the choice predicates, numbers with their neighbours (to cross `<` and `>`)."""
    values: list[Any] = []
    for state in definition.states.values():
        if not isinstance(state, ChoiceState):
            continue
        for branch in state.branches:
            source = branch.predicate.source
            values.extend(single or double for single, double in _STRING_LITERAL.findall(source))
            stripped = _STRING_LITERAL.sub("''", source)
            for number in _NUMBER_LITERAL.findall(stripped):
                value = float(number) if "." in number else int(number)
                values.extend((value, value + 1, value - 1))
            values.extend(word == "true" for word in _BOOLEAN_LITERAL.findall(stripped))
    return values


PAYLOAD_PATH = re.compile(r"\bpayload((?:\.[A-Za-z_]\w*)+)")
_NUMERIC_TEXT = re.compile(r"-?\d+(?:\.(\d+))?")


def _predicate_payload_paths(definition: JourneyDefinition) -> list[tuple[str, ...]]:
    """The body fields the choice predicates read (`payload.data.object.amount`), as paths, each once."""
    paths: dict[tuple[str, ...], None] = {}
    for state in definition.states.values():
        if isinstance(state, ChoiceState):
            for branch in state.branches:
                for match in PAYLOAD_PATH.finditer(_STRING_LITERAL.sub("''", branch.predicate.source)):
                    paths.setdefault(tuple(match[1].lstrip(".").split(".")))
    return list(paths)


def may_hold(raw: Mapping[str, Any], path: tuple[str, ...]) -> bool:
    """Whether a body valid for `raw` may carry the undeclared field `path` (no `additionalProperties: false`
    and no other type on the way)."""
    schema: Any = raw
    for key in path:
        schema = resolve(schema, raw)
        if not isinstance(schema, Mapping) or "object" not in (schema_types(schema) or ["object"]):
            return False
        properties = schema.get("properties") if isinstance(schema.get("properties"), Mapping) else {}
        if key not in properties:
            return schema.get("additionalProperties") is not False
        schema = properties[key]
    return False


def _numeric_neighbours(scalars: Sequence[Any]) -> list[str]:
    """For numbers written as text in the context (`"10000.00"`): the next one up, in the same form, so that a
    body can differ from them (an amount that does not match)."""
    neighbours = []
    for value in scalars:
        match = _NUMERIC_TEXT.fullmatch(value) if isinstance(value, str) else None
        if match is None:
            continue
        decimals = len(match[1] or "")
        neighbours.append(f"{float(value) + 1:.{decimals}f}")
    return neighbours


def _fields(
    schema: Any, root: Mapping[str, Any], prefix: tuple[str, ...], depth: int
) -> Iterator[tuple[tuple[str, ...], Mapping[str, Any]]]:
    """(path, schema) of every declared scalar-ish field, nested objects included up to MAX_FIELD_DEPTH."""
    schema = resolve(schema, root)
    properties = schema.get("properties") if isinstance(schema, Mapping) else None
    if not isinstance(properties, Mapping):
        return
    for name, field_schema in properties.items():
        field_schema = resolve(field_schema, root)
        if not isinstance(field_schema, Mapping):
            continue
        if isinstance(field_schema.get("properties"), Mapping) and depth < MAX_FIELD_DEPTH:
            yield from _fields(field_schema, root, (*prefix, name), depth + 1)
        else:
            yield (*prefix, name), field_schema


def _field_values(schema: Mapping[str, Any], literals: Sequence[Any], scalars: Sequence[Any]) -> Iterator[Any]:
    """Values worth trying in one field, schema values first, deduplicated, of a type the field accepts."""
    types = set(schema_types(schema))
    candidates: list[Any] = []
    for keyword in ("const", "default"):
        if keyword in schema:
            candidates.append(schema[keyword])
    for keyword in ("enum", "examples"):
        if isinstance(schema.get(keyword), list):
            candidates.extend(schema[keyword])
    if "boolean" in types:
        candidates.extend((True, False))
    candidates.append(example_value(schema))
    candidates.extend(literals)
    candidates.extend(scalars)
    seen: set[str] = set()
    for value in candidates:
        key = json.dumps(value, sort_keys=True, default=str)
        if key not in seen and (not types or _json_type(value) in types or _is_integral(value, types)):
            seen.add(key)
            yield value


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _is_integral(value: Any, types: set[str]) -> bool:
    return "integer" in types and _json_type(value) == "number" and float(value).is_integer()


def _context_scalars(context: Mapping[str, Any], depth: int = 0) -> Iterator[Any]:
    for key, value in context.items():
        if isinstance(value, Mapping) and depth < MAX_FIELD_DEPTH and key != "payload":
            yield from _context_scalars(value, depth + 1)
        elif isinstance(value, str | int | float) and not isinstance(value, bool):
            yield value


def correlated(base: Any, raw: Mapping[str, Any], context: Mapping[str, Any], schema: CompiledSchema | None) -> Any:
    """`base` with fields set from same-named context values (`order_id` is `orderId`: a gateway's snake case
    for the journey's camel case), when the schema still accepts it."""
    if not isinstance(base, dict) or not context:
        return base
    by_name = {_same(key): value for key, value in context.items() if isinstance(value, str | int | float)}
    body = copy.deepcopy(base)
    for path, field_schema in _fields(raw, raw, (), 0):
        value = by_name.get(_same(path[-1]))
        if value is not None and _present(body, path) and _json_type(value) in schema_types(field_schema):
            _put(body, path, value)
    return body if schema is None or not schema.errors(body) else base


def _same(name: str) -> str:
    return name.replace("_", "").replace("-", "").lower()


def _present(body: Mapping[str, Any], path: tuple[str, ...]) -> bool:
    target: Any = body
    for key in path:
        if not isinstance(target, Mapping) or key not in target:
            return False
        target = target[key]
    return True


def _put(body: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    target = body
    for key in path[:-1]:
        child = target.get(key)
        if not isinstance(child, dict):
            child = target[key] = {}
        target = child
    target[path[-1]] = copy.deepcopy(value)
