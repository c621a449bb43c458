"""Inline JSON Schema 2020-12 blocks compiled once at load into fast validators.

The DSL embeds schemas for journey input/output and step payloads. They are checked against the 2020-12
meta-schema at load (a typo such as `type: strnig` must fail the definition, not every request), then
compiled with `jsonschema_rs`. On the request path `JsonSchema.errors` costs one `is_valid` call for a
valid instance; messages are only built for the rare invalid one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import jsonschema_rs

META_SCHEMA_2020_12 = "https://json-schema.org/draft/2020-12/schema"
MAX_ERRORS = 10

# Remote `$ref`s are never fetched: a definition must be self-contained and loading must not do network I/O.
_META_VALIDATOR = jsonschema_rs.Draft202012Validator({"$ref": META_SCHEMA_2020_12}, offline=True)

Location = tuple[str | int, ...]


class InvalidSchemaError(ValueError):
    """The document is not a usable JSON Schema; `problems` pairs a location inside it with a message."""

    def __init__(self, problems: list[tuple[Location, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{pointer(loc)}: {msg}" for loc, msg in problems))


@dataclass(frozen=True, slots=True, eq=False)
class JsonSchema:
    """A compiled schema satisfying `journeys.definitions.model.CompiledSchema`."""

    raw: Mapping[str, Any]
    _validator: jsonschema_rs.Validator

    def errors(self, instance: Any) -> list[str]:
        """Human-readable violations (at most MAX_ERRORS), each prefixed with the JSON pointer it concerns."""
        if self._validator.is_valid(instance):
            return []
        messages: list[str] = []
        for error in self._validator.iter_errors(instance):
            if len(messages) == MAX_ERRORS:
                messages.append("... more errors omitted")
                break
            messages.append(f"{pointer(error.instance_path)}: {error.message}")
        return messages


def pointer(location: Iterable[str | int]) -> str:
    """RFC 6901 JSON pointer for a path; the document root is `/`."""
    parts = [str(part).replace("~", "~0").replace("/", "~1") for part in location]
    return "/" + "/".join(parts) if parts else "/"


def compile_schema(raw: Mapping[str, Any]) -> JsonSchema:
    """Meta-validate `raw` as JSON Schema 2020-12 and compile it; raise InvalidSchemaError otherwise."""
    problems: list[tuple[Location, str]] = [
        (tuple(error.instance_path), _explain(tuple(error.instance_path), error.message))
        for error in _META_VALIDATOR.iter_errors(raw)
    ]
    if problems:
        raise InvalidSchemaError(problems[:MAX_ERRORS])
    try:
        validator = jsonschema_rs.Draft202012Validator(raw, offline=True)
    except jsonschema_rs.ValidationError as error:
        # Meta-valid but still unusable, e.g. an invalid `pattern` regex or a `$ref` that resolves nowhere.
        raise InvalidSchemaError([(tuple(error.instance_path), error.message)]) from None
    except jsonschema_rs.ReferencingError as error:
        raise InvalidSchemaError([((), str(error))]) from None
    return JsonSchema(raw=raw, _validator=validator)


_JSON_TYPES = "array, boolean, integer, null, number, object, string"


def _explain(location: Location, message: str) -> str:
    """Replace the meta-schema's generic anyOf message for the most common mistake, a bad `type`."""
    is_type_keyword = location[-1:] == ("type",) and location[-2:-1] != ("properties",)
    if is_type_keyword and "anyOf" in message:
        value = message.split(" is not valid under")[0]
        return f"{value} is not a JSON Schema type (expected one of {_JSON_TYPES}, or a list of them)"
    return message
