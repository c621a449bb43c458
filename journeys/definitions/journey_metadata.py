"""`spec.metadata`: what operators find a journey by (`searchKeys`) and what its history must not show (`redact`).

```yaml
spec:
  metadata:
    searchKeys:                      # indexed after every advance: GET /journeys?key.orderId=ORD-1
      orderId: "${context.orderId}"
    redact: [card.number, customer.email]   # in request bodies, the context and its payload, wherever shown
```

`bindings` (instance tags and attributes lifted from the start request) are parsed by `metadata_bindings`. Bound
attributes are indexed beside the search keys (one index, one `key.<name>` filter), so a name may not be both.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from journeys.definitions.fields import Block, template_at
from journeys.definitions.metadata_bindings import MetadataBindings, parse_metadata_bindings
from journeys.definitions.model import CompiledTemplate

KEY_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")
MAX_SEARCH_KEYS = 16
_PATH = re.compile(r"[^.\s]+(\.[^.\s]+)*")


@dataclass(frozen=True, slots=True)
class JourneyMetadata:
    search_keys: Mapping[str, CompiledTemplate] = field(default_factory=dict)
    redact: tuple[str, ...] = ()
    bindings: MetadataBindings = field(default_factory=MetadataBindings)


def parse_journey_metadata(spec: Block) -> JourneyMetadata:
    metadata = spec.block("metadata")
    if metadata is None:
        return JourneyMetadata()
    metadata.allow("searchKeys", "redact", "bindings")
    search_keys = _search_keys(metadata)
    bindings = parse_metadata_bindings(metadata)
    for name in sorted({name for name, _ in bindings.attributes} & set(search_keys)):
        metadata.report("bindings", f"'{name}' is both a search key and a bound attribute: they share one index")
    return JourneyMetadata(search_keys=search_keys, redact=_redact(metadata), bindings=bindings)


def _search_keys(metadata: Block) -> Mapping[str, CompiledTemplate]:
    keys = metadata.block("searchKeys")
    if keys is None:
        return MappingProxyType({})
    compiled: dict[str, CompiledTemplate] = {}
    if len(keys.data) > MAX_SEARCH_KEYS:
        metadata.report("searchKeys", f"at most {MAX_SEARCH_KEYS} search keys, not {len(keys.data)}")
    for name in keys.data:
        if not isinstance(name, str) or not KEY_NAME.fullmatch(name):
            keys.report(name, "a search key's name is a letter then letters, digits or _ (at most 64), e.g. orderId")
            continue
        source = keys.string(name, required=True)
        template = None if source is None else template_at(keys, name, source)
        if template is not None and not template.placeholders:
            keys.report(name, "must read the journey, e.g. '${context.orderId}': a constant finds every journey")
        elif template is not None:
            compiled[name] = template
    return MappingProxyType(compiled)


def _redact(metadata: Block) -> tuple[str, ...]:
    value = metadata.data.get("redact", [])
    if not isinstance(value, list) or not all(isinstance(item, str) and _PATH.fullmatch(item) for item in value):
        metadata.report("redact", "must be a list of dotted paths, e.g. [card.number, customer.email]")
        return ()
    return tuple(value)
