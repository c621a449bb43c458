"""Definition data as plain JSON data, for documents that are dumped as YAML or JSON."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def plain(value: Any) -> Any:
    """A deep copy made of dicts and lists only: definitions hold read-only mappings and tuples, and a YAML
    dump would turn an object shared by two places of a document into an anchor and an alias."""
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value
