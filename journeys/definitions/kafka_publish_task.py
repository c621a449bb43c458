"""Parsing `kafkaPublish:v1` tasks (DSL 5.2, ADR-0006): publish one record (topic, key, value, headers).

The record is not sent by the run: it is put in the event outbox with the advance that published it
(`journeys.engine.event_tasks`), so only committed advances publish. The optional `keySchemaRef`/`valueSchemaRef`
JSON Schemas are read and compiled here, relative to the definition file, and the mapped key and value are
validated against them before they enter the outbox.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from journeys.definitions.fields import Block, template_at, templates_at
from journeys.definitions.mappers import mapper_or_ref
from journeys.definitions.model import CompiledExpression, CompiledSchema, CompiledTemplate
from journeys.definitions.schemas import InvalidSchemaError, compile_schema

# Kafka's own rule for topic names (legal characters, at most 249 of them; "." and ".." are reserved).
TOPIC = re.compile(r"[A-Za-z0-9._-]{1,249}")
SECRET_REF_PREFIX = "secret://"
MAX_REF = 512  # the event_outbox connection column


@dataclass(frozen=True, slots=True)
class KafkaPublishTask:
    """`kafkaPublish:v1`: the key is a template or a mapper (or absent), the value always a mapper.

    `connection` is the `connectionSecretRef` (None: the engine's default connection), carried with each record
    so whatever relays the outbox to Kafka knows which cluster it is for.
    """

    topic: str
    value: CompiledExpression
    key_template: CompiledTemplate | None = None
    key_mapper: CompiledExpression | None = None
    headers: Mapping[str, CompiledTemplate] | None = None
    connection: str | None = None
    key_schema: CompiledSchema | None = None
    value_schema: CompiledSchema | None = None
    kind: str = "kafkaPublish:v1"


def _topic(task: Block) -> str | None:
    topic = task.string("topic", required=True)
    if topic is not None and (not TOPIC.fullmatch(topic) or topic in (".", "..")):
        task.report("topic", f"'{topic}' is not a Kafka topic name (1-249 of letters, digits, '.', '_', '-')")
        return None
    return topic


def _key(task: Block) -> tuple[bool, CompiledTemplate | None, CompiledExpression | None]:
    """(ok, template, mapper) of the optional `key`: an interpolated string or a `{mapper}` block."""
    if not task.has("key"):
        return True, None, None
    if isinstance(task.data["key"], Mapping):
        block = task.block("key")
        assert block is not None
        block.allow("mapper", "mapperRef")
        mapper = mapper_or_ref(block)
        return mapper is not None, None, mapper
    template = template_at(task, "key", task.data["key"])
    return template is not None, template, None


def _schema_ref(task: Block, field: str) -> tuple[bool, CompiledSchema | None]:
    """(ok, schema) of `keySchemaRef`/`valueSchemaRef`: a JSON or YAML file, relative to the definition."""
    reference = task.string(field)
    if reference is None:
        return not task.has(field), None
    path = Path(task.ctx.file).parent / reference
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        task.report(field, f"cannot read the JSON Schema '{reference}': {error}")
        return False, None
    if not isinstance(document, Mapping):
        task.report(field, f"'{reference}' does not hold a JSON Schema object")
        return False, None
    try:
        return True, compile_schema(document)
    except InvalidSchemaError as error:
        where = "; ".join(f"{'/'.join(map(str, inner)) or '(root)'}: {message}" for inner, message in error.problems)
        task.report(field, f"'{reference}' is not a valid JSON Schema 2020-12: {where}")
        return False, None


def parse_kafka_publish(task: Block) -> KafkaPublishTask | None:
    forbidden_fields = ("resultVar", "errorMapping", "resiliencePolicyRef")
    task.allow(
        "kind", "connectionSecretRef", "topic", "key", "value", "headers", "keySchemaRef", "valueSchemaRef",
        reported=forbidden_fields,
    )  # fmt: skip
    for forbidden in forbidden_fields:
        if task.has(forbidden):  # reported here with the reason, not as an unknown field
            task.report(forbidden, f"a Kafka publish has no result to keep, map or retry on; remove '{forbidden}'")
    topic = _topic(task)
    key_ok, key_template, key_mapper = _key(task)
    value_block = task.block("value", required=True)
    value = None
    if value_block is not None:
        value_block.allow("mapper", "mapperRef")
        value = mapper_or_ref(value_block)
    headers = templates_at(task.block("headers"))
    connection = task.string("connectionSecretRef")
    if connection is not None and (not connection.startswith(SECRET_REF_PREFIX) or len(connection) > MAX_REF):
        task.report("connectionSecretRef", f"must be a secret reference ('{SECRET_REF_PREFIX}...', at most {MAX_REF} "
                    f"characters), not '{connection}'")  # fmt: skip
        return None
    key_schema_ok, key_schema = _schema_ref(task, "keySchemaRef")
    value_schema_ok, value_schema = _schema_ref(task, "valueSchemaRef")
    if topic is None or value is None or headers is None or not (key_ok and key_schema_ok and value_schema_ok):
        return None
    return KafkaPublishTask(
        topic, value, key_template, key_mapper, headers or None, connection, key_schema, value_schema
    )
