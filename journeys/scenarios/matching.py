"""Comparing what a journey did with what a scenario expects, and saying where they differ.

Matching is by subset: an expected mapping names only the fields it cares about (a journey's output may carry
more); lists match element by element and must be as long; anything else must be equal (1 and 1.0 are equal,
True and 1 are not). Two matchers stand for values a scenario cannot know exactly: `{$regex: PATTERN}` (a string
that contains a match) and `{$type: string|number|integer|boolean|object|array|null}`; `{$absent: true}` says a
field must not be there. Each difference is reported with its path (`output.body.items[0].id`), expected and
actual.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

_MISSING = object()
_PATH_PART = re.compile(r"\.?([^.\[\]]+)|\[(\d+)\]")


@dataclass(frozen=True, slots=True)
class Mismatch:
    where: str
    expected: Any
    actual: Any

    def __str__(self) -> str:
        actual = "(absent)" if self.actual is _MISSING else show(self.actual)
        return f"{self.where}: expected {show(self.expected)}, got {actual}"


def show(value: Any) -> str:
    """A value as JSON-ish text, short enough for one line of a report."""
    text = repr(value) if isinstance(value, str) else _json(value)
    return text if len(text) <= 300 else text[:297] + "..."


def _json(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    except (TypeError, ValueError):
        return repr(value)


def _equal(expected: Any, actual: Any) -> bool:
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(expected) is type(actual) and expected == actual
    return bool(expected == actual)


_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "number": (int, float),
    "integer": (int,),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
    "null": (type(None),),
}
MATCHERS = ("$regex", "$type", "$absent")


def matcher_error(expected: Any) -> str | None:
    """Why `expected`, a matcher, is malformed (None: it is fine, or no matcher)."""
    if not is_matcher(expected):
        return None
    ((name, argument),) = expected.items()
    if name == "$type" and argument not in _TYPES:
        return f"$type must be one of {sorted(_TYPES)}, got {argument!r}"
    if name == "$absent" and argument is not True:
        return "$absent takes true: {$absent: true} says the field must not be there"
    if name == "$regex":
        try:
            re.compile(str(argument))
        except re.error as error:
            return f"$regex {argument!r} is not a regular expression: {error}"
    return None


def is_matcher(expected: Any) -> bool:
    return isinstance(expected, dict) and len(expected) == 1 and next(iter(expected)) in MATCHERS


def _matches(matcher: dict[str, Any], actual: Any) -> bool:
    ((name, argument),) = matcher.items()
    if name == "$absent":  # met by a mapping without the key (see subset_mismatches); any value is "there"
        return actual is _MISSING
    if name == "$regex":
        return isinstance(actual, str) and re.search(str(argument), actual) is not None
    kinds = _TYPES[str(argument)]
    return isinstance(actual, kinds) and (bool in kinds or not isinstance(actual, bool))


def subset_mismatches(expected: Any, actual: Any, where: str) -> list[Mismatch]:
    """Every place `actual` does not contain `expected` (empty: it matches)."""
    if is_matcher(expected):
        return [] if _matches(expected, actual) else [Mismatch(where, expected, actual)]
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [Mismatch(where, expected, actual)]
        found: list[Mismatch] = []
        for key, value in expected.items():
            inner = f"{where}.{key}" if where else str(key)
            if is_matcher(value) and "$absent" in value:
                if key in actual:
                    found.append(Mismatch(inner, value, actual[key]))
            elif key not in actual:
                found.append(Mismatch(inner, value, _MISSING))
            else:
                found += subset_mismatches(value, actual[key], inner)
        return found
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [Mismatch(where, expected, actual)]
        return [
            m
            for index, item in enumerate(expected)
            for m in subset_mismatches(item, actual[index], f"{where}[{index}]")
        ]
    return [] if _equal(expected, actual) else [Mismatch(where, expected, actual)]


def parse_path(path: str) -> list[str | int]:
    """`body.items[0].id` (with or without a leading `$.`) as keys and indexes; ValueError when it is no path."""
    text = path[2:] if path.startswith("$.") else path.lstrip("$")
    parts: list[str | int] = []
    position = 0
    for found in _PATH_PART.finditer(text):
        if found.start() != position:
            break
        position = found.end()
        parts.append(int(found.group(2)) if found.group(2) is not None else found.group(1))
    if position != len(text) or not parts:
        raise ValueError(f"'{path}' is not a path like body.items[0].id")
    return parts


def lookup(value: Any, path: str) -> Any:
    """The value at `path` (see `parse_path`), or a marker when absent."""
    for part in parse_path(path):
        if isinstance(part, int):
            if not isinstance(value, list) or part >= len(value):
                return _MISSING
            value = value[part]
        elif isinstance(value, dict) and part in value:
            value = value[part]
        else:
            return _MISSING
    return value


def path_mismatches(expected: dict[str, Any], actual: Any, where: str) -> list[Mismatch]:
    """Each `path: value` of `expected` checked (as a subset) against the value at that path of `actual`."""
    found: list[Mismatch] = []
    for path, value in expected.items():
        at = lookup(actual, path)
        label = f"{where}[{path}]"
        found += [Mismatch(label, value, at)] if at is _MISSING else subset_mismatches(value, at, label)
    return found
