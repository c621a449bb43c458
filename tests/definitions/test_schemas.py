"""Compiled JSON Schemas: meta-validation at load, precise and bounded messages at run time."""

from __future__ import annotations

import pytest

from journeys.definitions.schemas import MAX_ERRORS, InvalidSchemaError, compile_schema, pointer


def test_valid_instance_has_no_errors() -> None:
    schema = compile_schema({"type": "object", "properties": {"id": {"type": "string"}}})

    assert schema.errors({"id": "a"}) == []
    assert schema.raw == {"type": "object", "properties": {"id": {"type": "string"}}}


def test_errors_name_the_failing_location() -> None:
    schema = compile_schema(
        {
            "type": "object",
            "required": ["id"],
            "properties": {"items": {"type": "array", "items": {"type": "integer"}}},
        }
    )

    assert schema.errors({"items": [1, "two"]}) == [
        '/: "id" is a required property',
        '/items/1: "two" is not of type "integer"',
    ]


def test_errors_are_capped() -> None:
    schema = compile_schema({"type": "array", "items": {"type": "integer"}})

    errors = schema.errors(["x"] * 50)

    assert len(errors) == MAX_ERRORS + 1
    assert errors[-1] == "... more errors omitted"


def test_schema_violating_the_meta_schema_is_rejected_with_its_location() -> None:
    with pytest.raises(InvalidSchemaError) as raised:
        compile_schema({"type": "object", "properties": {"a": {"type": "strnig"}}, "required": "a"})

    problems = dict(raised.value.problems)
    assert set(problems) == {("properties", "a", "type"), ("required",)}
    assert "is not a JSON Schema type" in problems[("properties", "a", "type")]


def test_schema_that_cannot_compile_is_rejected() -> None:
    with pytest.raises(InvalidSchemaError, match="regex"):
        compile_schema({"type": "string", "pattern": "(["})


def test_remote_references_are_not_fetched() -> None:
    with pytest.raises(InvalidSchemaError, match="Retrieval is disabled"):
        compile_schema({"$ref": "https://example.com/schemas/order.json"})


def test_pointer_escapes_per_rfc_6901() -> None:
    assert pointer([]) == "/"
    assert pointer(["a/b", "c~d", 0]) == "/a~1b/c~0d/0"
