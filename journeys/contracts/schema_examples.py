"""Example values generated from JSON Schemas, for the request bodies of exported workflows.

The value is deterministic (a committed export must not change between runs) and aims to be valid:
`const`, then `examples`, then `default`, then the first `enum` member, then a placeholder that respects
the type's constraints (string length, `format`, a simple `pattern`, numeric bounds, `minItems`). The
caller validates the result; a schema this cannot satisfy yields a best-effort value, never an error.
"""

from __future__ import annotations

import math
import re
import re._constants as sre  # type: ignore[import-not-found]
import re._parser as sre_parse  # type: ignore[import-not-found]
from collections.abc import Mapping
from typing import Any

MAX_DEPTH = 8
_STRING_FORMATS = {
    "date-time": "2026-01-01T00:00:00Z",
    "date": "2026-01-01",
    "time": "00:00:00Z",
    "duration": "PT1M",
    "email": "user@example.com",
    "idn-email": "user@example.com",
    "hostname": "example.com",
    "idn-hostname": "example.com",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
    "uri": "https://example.com/",
    "iri": "https://example.com/",
    "uri-reference": "https://example.com/",
    "iri-reference": "https://example.com/",
    "uuid": "00000000-0000-4000-8000-000000000000",
}


def example_value(schema: Any, root: Mapping[str, Any] | None = None) -> Any:
    """A value for `schema`; `root` resolves local `$ref`s (`#/$defs/...`) and defaults to `schema`."""
    return _example(schema, root if root is not None else schema, 0)


def resolve(schema: Any, root: Mapping[str, Any]) -> Any:
    """Follow a local `$ref` (one hop); anything else, or a reference that does not resolve, is returned as is."""
    if not isinstance(schema, Mapping) or not isinstance(schema.get("$ref"), str):
        return schema
    reference = schema["$ref"]
    if not reference.startswith("#"):
        return schema
    target: Any = root
    for part in filter(None, reference[1:].split("/")):
        key = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(target, Mapping) or key not in target:
            return schema
        target = target[key]
    return target


def schema_types(schema: Any) -> list[str]:
    """The JSON types a schema names in `type`, or the one its keywords imply."""
    if not isinstance(schema, Mapping):
        return []
    declared = schema.get("type")
    if isinstance(declared, str):
        return [declared]
    if isinstance(declared, list):
        return [str(name) for name in declared]
    if "properties" in schema or "required" in schema:
        return ["object"]
    if "items" in schema or "prefixItems" in schema:
        return ["array"]
    if {"pattern", "minLength", "maxLength", "format"} & schema.keys():
        return ["string"]
    if {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"} & schema.keys():
        return ["number"]
    return []


def _example(schema: Any, root: Mapping[str, Any], depth: int) -> Any:
    schema = resolve(schema, root)
    if not isinstance(schema, Mapping) or depth > MAX_DEPTH:
        return None
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("examples"), list) and schema["examples"]:
        return schema["examples"][0]
    if "default" in schema:
        return schema["default"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    if isinstance(schema.get("allOf"), list) and schema["allOf"]:
        return _all_of(schema, root, depth)
    for keyword in ("oneOf", "anyOf"):
        if isinstance(schema.get(keyword), list) and schema[keyword]:
            return _example(schema[keyword][0], root, depth + 1)
    types = [name for name in schema_types(schema) if name != "null"] or schema_types(schema)
    kind = types[0] if types else None
    if kind == "object":
        return _object(schema, root, depth)
    if kind == "array":
        return _array(schema, root, depth)
    if kind == "string":
        return _string(schema)
    if kind in ("number", "integer"):
        return _number(schema, integer=kind == "integer")
    if kind == "boolean":
        return True
    return None


def _all_of(schema: Mapping[str, Any], root: Mapping[str, Any], depth: int) -> Any:
    """Merge the examples of the `allOf` parts (and of the sibling keywords) when they are objects."""
    siblings = {key: value for key, value in schema.items() if key != "allOf"}
    parts = [_example(part, root, depth + 1) for part in schema["allOf"]]
    if siblings:
        parts.insert(0, _example(siblings, root, depth + 1))
    objects = [part for part in parts if isinstance(part, dict)]
    if objects and len(objects) == len(parts):
        return {key: value for part in objects for key, value in part.items()}
    return next((part for part in parts if part is not None), None)


def _object(schema: Mapping[str, Any], root: Mapping[str, Any], depth: int) -> dict[str, Any]:
    # Only required properties: optional ones would make up values the journey does not need.
    properties = schema.get("properties") if isinstance(schema.get("properties"), Mapping) else {}
    required = [name for name in schema.get("required", []) if isinstance(name, str)]
    return {name: _example(properties.get(name, {}), root, depth + 1) for name in required}


def _array(schema: Mapping[str, Any], root: Mapping[str, Any], depth: int) -> list[Any]:
    prefix = schema.get("prefixItems") if isinstance(schema.get("prefixItems"), list) else []
    items = [_example(item, root, depth + 1) for item in prefix]
    count = max(int(schema.get("minItems", 0)), 1)
    if schema.get("maxItems") == 0:
        return []
    item_schema = schema.get("items")
    if isinstance(item_schema, Mapping):
        items.extend(_example(item_schema, root, depth + 1) for _ in range(max(count - len(items), 0)))
    return items


def _string(schema: Mapping[str, Any]) -> str:
    value = _STRING_FORMATS.get(str(schema.get("format")), "example")
    if isinstance(schema.get("pattern"), str):
        value = pattern_example(schema["pattern"]) or value
    minimum, maximum = int(schema.get("minLength", 0)), schema.get("maxLength")
    if len(value) < minimum:
        value += "x" * (minimum - len(value))
    if isinstance(maximum, int) and len(value) > maximum:
        value = value[:maximum]
    return value


def _number(schema: Mapping[str, Any], *, integer: bool) -> int | float:
    value: float = 1
    if isinstance(schema.get("minimum"), int | float):
        value = schema["minimum"]
    if isinstance(schema.get("exclusiveMinimum"), int | float) and value <= schema["exclusiveMinimum"]:
        value = schema["exclusiveMinimum"] + 1
    if isinstance(schema.get("maximum"), int | float) and value > schema["maximum"]:
        value = schema["maximum"]
    if isinstance(schema.get("exclusiveMaximum"), int | float) and value >= schema["exclusiveMaximum"]:
        low = schema.get("exclusiveMinimum", schema.get("minimum", schema["exclusiveMaximum"] - 2))
        value = (low + schema["exclusiveMaximum"]) / 2
    step = schema.get("multipleOf")
    if isinstance(step, int | float) and step > 0:
        value = math.ceil(value / step) * step
    if integer or float(value).is_integer():
        return math.ceil(value)
    return value


# -- patterns --------------------------------------------------------------------------------------------------
# A shortest matching string, built from the regex parse tree of Python's `re` (private but stable across the
# supported versions). Patterns using constructs below that this does not model yield None: the caller falls
# back to a placeholder.


class _Unsupported(Exception):
    pass


_CATEGORY_CHARS = {
    sre.CATEGORY_DIGIT: "0",
    sre.CATEGORY_NOT_DIGIT: "a",
    sre.CATEGORY_WORD: "a",
    sre.CATEGORY_NOT_WORD: "-",
    sre.CATEGORY_SPACE: " ",
    sre.CATEGORY_NOT_SPACE: "a",
}


def pattern_example(pattern: str) -> str | None:
    """A short string matching `pattern` (JSON Schema patterns are unanchored searches), or None."""
    try:
        text = _emit(sre_parse.parse(pattern))
        return text if re.search(pattern, text) else None
    except (re.error, _Unsupported, RecursionError, ValueError):
        return None


def _emit(items: Any) -> str:
    return "".join(_emit_one(op, argument) for op, argument in items)


def _emit_one(op: Any, argument: Any) -> str:
    if op is sre.LITERAL:
        return chr(argument)
    if op is sre.NOT_LITERAL:
        return "b" if chr(argument) == "a" else "a"
    if op is sre.ANY:
        return "a"
    if op is sre.IN:
        return _emit_class(argument)
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
        minimum, _maximum, item = argument
        return _emit(item) * minimum
    if op is sre.SUBPATTERN:
        return _emit(argument[-1])
    if op is sre.ATOMIC_GROUP:
        return _emit(argument)
    if op is sre.BRANCH:
        return _emit(argument[1][0])
    if op in (sre.AT, sre.ASSERT, sre.ASSERT_NOT):
        return ""
    raise _Unsupported(str(op))


def _emit_class(members: Any) -> str:
    op, argument = members[0]
    if op is sre.LITERAL:
        return chr(argument)
    if op is sre.RANGE:
        return chr(argument[0])
    if op is sre.CATEGORY and argument in _CATEGORY_CHARS:
        return _CATEGORY_CHARS[argument]
    raise _Unsupported(str(op))
