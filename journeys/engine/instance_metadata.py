"""Instance tags and attributes (DSL 2.8, ADR-0011), bound once from the start request and indexed.

Both live in the search-key index (`journey_search_key`) the listing already filters by, written with the start's
insert in its transaction: an attribute is a row named after it (`GET /journeys?key.orderId=ORD-1`), a tag a row
named `tag:<tag>` (`GET /journeys?tag=kyc`; the `:` cannot occur in a search key's name, so the two never collide).
They are write-once: only the start writes them, and later advances only upsert the definition's own search keys.

Every instance carries its definition's `metadata.tags`, then the bound tags (duplicates once). A bound value that
does not fit the index (a tag over 40 characters, an attribute value over 200, more than 16 tags) refuses the start
instead of being cut: a truncated correlation id would find the wrong journey.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

import orjson

from journeys.definitions.metadata_bindings import MAX_INSTANCE_TAGS, MAX_TAG_LENGTH, MetadataSource
from journeys.definitions.model import JourneyDefinition
from journeys.engine.errors import EngineError

TAG_KEY_PREFIX = "tag:"
MAX_ATTRIBUTE_VALUE_LENGTH = 200


class MetadataLimitExceeded(EngineError):
    """A start request's bound tags or attributes do not fit the metadata limits: nothing was started."""


def instance_metadata(
    definition: JourneyDefinition, body: Any, headers: Mapping[str, str]
) -> tuple[tuple[str, ...], dict[str, str]]:
    """The instance's tags and attributes for a start with this body and these headers."""
    bindings = definition.metadata_bindings
    if bindings is None:
        return definition.tags, {}
    lowered = {name.lower(): value for name, value in headers.items()}
    baggage = _baggage(lowered.get("baggage", ""))
    tags = list(definition.tags)
    for source in bindings.tags:
        value = _value(source, body, lowered, baggage)
        if value and value not in tags:
            tags.append(value)
    attributes = {}
    for name, source in bindings.attributes:
        value = _value(source, body, lowered, baggage)
        if value is not None:
            attributes[name] = value
    _check_limits(tags, attributes)
    return tuple(tags), attributes


def index_rows(tags: tuple[str, ...], attributes: Mapping[str, str]) -> dict[str, str]:
    """The search-key rows that make the instance findable by its tags and attributes."""
    return {**{f"{TAG_KEY_PREFIX}{tag}": tag for tag in tags}, **attributes}


def tag_filters(tags: list[str]) -> dict[str, str]:
    """`tag=a&tag=b` as search-key filters: every tag must be present."""
    return {f"{TAG_KEY_PREFIX}{tag}": tag for tag in tags}


def _value(source: MetadataSource, body: Any, headers: Mapping[str, str], baggage: Mapping[str, str]) -> str | None:
    if source.kind == "header":
        return headers.get(source.name) or None
    if source.kind == "baggage":
        return baggage.get(source.name) or None
    value = body
    for part in source.name.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if isinstance(value, str):
        return value or None
    if isinstance(value, bool | int | float):
        return orjson.dumps(value).decode()
    return None  # absent, null, or an object/array: nothing a key can hold


def _baggage(header: str) -> dict[str, str]:
    """W3C Baggage: `key=value;property, key2=value2`, values percent-encoded; malformed members are skipped."""
    entries = {}
    for member in header.split(","):
        pair = member.split(";", 1)[0]
        key, separator, value = pair.partition("=")
        if separator and key.strip():
            entries[key.strip()] = unquote(value.strip())
    return entries


def _check_limits(tags: list[str], attributes: Mapping[str, str]) -> None:
    if len(tags) > MAX_INSTANCE_TAGS:
        raise MetadataLimitExceeded(f"the start would give the journey {len(tags)} tags; at most {MAX_INSTANCE_TAGS}")
    for tag in tags:
        if len(tag) > MAX_TAG_LENGTH:
            raise MetadataLimitExceeded(f"tag '{tag[:40]}...' is longer than {MAX_TAG_LENGTH} characters")
    for name, value in attributes.items():
        if len(value) > MAX_ATTRIBUTE_VALUE_LENGTH:
            raise MetadataLimitExceeded(
                f"attribute '{name}' would be {len(value)} characters long; at most {MAX_ATTRIBUTE_VALUE_LENGTH}"
            )


def carries_metadata(definition: JourneyDefinition | None) -> bool:
    """Whether instances of `definition` have tags or attributes to show (else no read is spent on them)."""
    if definition is None:
        return False
    bindings = definition.metadata_bindings
    return bool(definition.tags or (bindings is not None and (bindings.tags or bindings.attributes)))


def metadata_fields(definition: JourneyDefinition, rows: Mapping[str, str]) -> dict[str, Any]:
    """`tags` and `attributes` of an instance, picked from its search-key rows (which also hold its search keys)."""
    bindings = definition.metadata_bindings
    names = {name for name, _ in bindings.attributes} if bindings is not None else set()
    return {
        "tags": sorted(value for name, value in rows.items() if name.startswith(TAG_KEY_PREFIX)),
        "attributes": {name: value for name, value in rows.items() if name in names},
    }
