"""`spec.metadata.bindings` (DSL 2.8.4, ADR-0011): instance tags and attributes lifted from the start request.

```yaml
spec:
  metadata:
    bindings:
      tags:
        fromPayload: [{ path: channel }]
        fromHeaders: [{ header: X-Journey-Tag }]
        fromBaggage: [{ key: journey_tag }]
      attributes:
        fromPayload: { orderId: { path: order.id } }
        fromHeaders: { tenantId: { header: X-Tenant-Id } }
        fromBaggage: { correlationId: { key: correlation_id } }
```

Evaluated once, at the start, against the start body and headers (never the context). The attribute map may also be
written flat, `attributes: {orderId: {path: order.id}}`, the shape the JourneyForge examples use: each entry then
names its source by its one field (`path`, `header` or `key`). The engine side is `journeys.engine.instance_metadata`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from journeys.definitions.fields import Block, describe

SourceKind = Literal["payload", "header", "baggage"]
MAX_INSTANCE_TAGS = 16
MAX_TAG_LENGTH = 40
MAX_DEFINITION_TAGS = 10
MAX_ATTRIBUTES = 16
ATTRIBUTE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,31}")
_PATH = re.compile(r"[^.\s]+(\.[^.\s]+)*")
_SECTIONS: dict[str, tuple[SourceKind, str]] = {
    "fromPayload": ("payload", "path"),
    "fromHeaders": ("header", "header"),
    "fromBaggage": ("baggage", "key"),
}
_FIELDS: dict[str, SourceKind] = {field: kind for kind, field in _SECTIONS.values()}


@dataclass(frozen=True, slots=True)
class MetadataSource:
    """Where a bound value comes from: a dot path of the start body, a request header or a W3C baggage key."""

    kind: SourceKind
    name: str


@dataclass(frozen=True, slots=True)
class MetadataBindings:
    tags: tuple[MetadataSource, ...] = ()
    attributes: tuple[tuple[str, MetadataSource], ...] = ()
    """(attribute name, source), in the order written."""


def parse_metadata_bindings(metadata: Block) -> MetadataBindings:
    bindings = metadata.block("bindings")
    if bindings is None:
        return MetadataBindings()
    bindings.allow("tags", "attributes")
    tags = _tags(bindings.block("tags"))
    attributes = _attributes(bindings.block("attributes"))
    return MetadataBindings(tags, attributes)


def _source(entry: Block, kind: SourceKind, field: str) -> MetadataSource | None:
    entry.allow(field)
    value = entry.string(field, required=True)
    if value is None:
        return None
    if kind == "payload" and not _PATH.fullmatch(value):
        entry.report(field, f"must be a dot path into the start body, e.g. order.id, not {describe(value)}")
        return None
    return MetadataSource(kind, value.lower() if kind == "header" else value)


def _tags(block: Block | None) -> tuple[MetadataSource, ...]:
    if block is None:
        return ()
    block.allow(*_SECTIONS)
    sources = []
    for section, (kind, field) in _SECTIONS.items():
        for entry in block.blocks(section) or []:
            source = _source(entry, kind, field)
            if source is not None:
                sources.append(source)
    return tuple(sources)


def _attributes(block: Block | None) -> tuple[tuple[str, MetadataSource], ...]:
    if block is None:
        return ()
    entries: list[tuple[str, MetadataSource]] = []
    for key in block.data:
        section = _SECTIONS.get(key) if isinstance(key, str) else None
        if section is not None:
            named = block.block(key)
            for name in named.data if named is not None else ():
                entries += _attribute(named, name, *section)  # type: ignore[union-attr]
        else:
            entries += _attribute(block, key, None, None)
    if len(entries) > MAX_ATTRIBUTES:
        block.report(None, f"at most {MAX_ATTRIBUTES} attributes, not {len(entries)}")
    names = [name for name, _ in entries]
    for name in sorted({name for name in names if names.count(name) > 1}):
        block.report(None, f"attribute '{name}' is bound twice (attributes are write-once)")
    return tuple(entries)


def _attribute(
    block: Block, name: object, kind: SourceKind | None, field: str | None
) -> list[tuple[str, MetadataSource]]:
    """One `name: {path|header|key: ...}` entry; `kind` None is the flat shape, whose field names the source."""
    if not isinstance(name, str) or not ATTRIBUTE_NAME.fullmatch(name):
        block.report(
            name, f"an attribute name is a letter then letters, digits or _ (at most 32), not {describe(name)}"
        )
        return []
    entry = block.block(name)
    if entry is None:
        return []
    if kind is None:
        present = [f for f in _FIELDS if f in entry.data]
        if len(present) != 1:
            hint = "fromPayload, fromHeaders, fromBaggage, or an attribute with one of path, header, key"
            entry.report(None, f"expected {hint}")
            return []
        field = present[0]
        kind = _FIELDS[field]
    source = _source(entry, kind, field)  # type: ignore[arg-type]
    return [] if source is None else [(name, source)]


def check_definition_tags(metadata: Block) -> tuple[str, ...]:
    """`metadata.tags` (already checked to be non-empty strings by the loader), within the limits."""
    tags = metadata.data.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(tag, str) and tag for tag in tags):
        return ()
    if len(tags) > MAX_DEFINITION_TAGS:
        metadata.report("tags", f"at most {MAX_DEFINITION_TAGS} tags, not {len(tags)}")
    for tag in tags:
        if len(tag) > MAX_TAG_LENGTH:
            metadata.report("tags", f"tag '{tag[:20]}...' is longer than {MAX_TAG_LENGTH} characters")
    return tuple(dict.fromkeys(tags))
