"""Where a mapper's result is written: `target: {kind, path}` plus `resultVar`.

Shared by the `transform` state and the `errorMapping` of HTTP tasks, which the DSL defines with the
same rules: kind `context` writes `context.<path>` (the whole context when the path is empty), kind
`var` writes `context.<resultVar>`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from journeys.definitions.fields import Block, describe

PATH_SEGMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


@dataclass(frozen=True, slots=True)
class WriteTarget:
    kind: Literal["context", "var"]
    path: tuple[str, ...]
    result_var: str | None


def dot_path(block: Block, key: str) -> tuple[str, ...] | None:
    """A context dot-path such as `data.enriched`; absent or `''` is the whole context."""
    value = block.data.get(key, "")
    if not isinstance(value, str):
        block.report(key, f"must be a dot-path string, not {describe(value)}")
        return None
    segments = tuple(value.split(".")) if value else ()
    if not all(PATH_SEGMENT.fullmatch(segment) for segment in segments):
        block.report(key, f"'{value}' is not a dot-path of names like a.b.c (array indexes are not supported)")
        return None
    return segments


def parse_write_target(owner: Block, result_var_holder: Block) -> WriteTarget | None:
    """Read `owner.target` and the `resultVar` of `result_var_holder`; None (with errors reported) if invalid."""
    target = owner.block("target")
    kind: str | None = "context"
    path: tuple[str, ...] | None = ()
    if target is not None:
        target.allow("kind", "path")
        kind = target.one_of("kind", ("context", "var", "attributes"), default="context")
        if kind == "attributes":
            target.report("kind", "target.kind 'attributes' is not supported by this engine", unsupported=True)
        elif kind == "var" and target.has("path"):
            target.report("path", "is only used with target.kind context; kind var writes context.<resultVar>")
        elif kind == "context":
            path = dot_path(target, "path")
    result_var = None
    if kind == "var":
        result_var = result_var_holder.identifier("resultVar", required=True)
        if result_var is None:
            return None
    elif kind == "context" and result_var_holder.has("resultVar"):
        result_var_holder.report("resultVar", "is only used with target.kind var; kind context writes target.path")
    if path is None or kind not in ("context", "var"):
        return None
    return WriteTarget("var" if kind == "var" else "context", path, result_var)
