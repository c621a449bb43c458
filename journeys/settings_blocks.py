"""Reading one block of the server config (`cache:`, `resultPush:`, a JWT or certificate profile): a mapping whose
keys are all known, or a ValueError naming the block and the keys at fault. Below the engine and the server, which
both read such blocks."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any


def known_keys(value: object, where: str, known: Collection[str]) -> Mapping[str, Any]:
    """`value`, checked to be a mapping of `known` keys only."""
    if not isinstance(value, Mapping):
        raise ValueError(f"{where} must be a mapping with any of the keys {sorted(known)}")
    unknown = sorted(set(value) - set(known))
    if unknown:
        raise ValueError(f"{where}: unknown keys {unknown}; known: {sorted(known)}")
    return value
