"""Writing to a run's context: a mapper's result to its target (`resultVar`, a dot-path, the whole context), bounded
in depth, and the outcome's business `status`."""

from __future__ import annotations

from typing import Any

import orjson

from journeys.engine.inbound_messages import nests_deeper_than
from journeys.engine.runs import Run
from journeys.engine.state_failure import StateFailure

# orjson writes documents nested at most 254 levels, and a stored outcome holds the output two levels down.
MAX_CONTEXT_DEPTH = 250


def json_copy(value: Any) -> Any:
    """A deep copy of a JSON value (a context, a body) the run goes on changing in place: orjson's round trip, several
    times faster than `copy.deepcopy` on JSON."""
    return orjson.loads(orjson.dumps(value))


def business_status(phase: str, output: Any, error: dict[str, Any] | None) -> str:
    """The outcome's top-level `status`: `output.status` when present, else the error code or the phase."""
    if isinstance(output, dict) and isinstance(output.get("status"), str) and output["status"]:
        return output["status"]
    if error is not None:
        return str(error["code"])
    return phase.upper()


def set_path(target: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for key in path[:-1]:
        child = target.get(key)
        if not isinstance(child, dict):
            child = target[key] = {}
        target = child
    target[path[-1]] = value


def write_result(run: Run, state_id: str, kind: str, path: tuple[str, ...], result_var: str | None, value: Any) -> None:
    """Write a mapper result to `context.<result_var>`, `context.<path>`, or (empty path) the whole context.

    A result that would nest the context deeper than MAX_CONTEXT_DEPTH fails the journey here, instead of
    failing its commit (a mapper can wrap the context in itself on every turn of a loop).
    """
    position = 1 if kind == "var" else len(path)
    if nests_deeper_than(value, MAX_CONTEXT_DEPTH - position):
        raise StateFailure(
            f"CONTEXT_TOO_DEEP:{state_id}",
            f"state '{state_id}': the result would nest the context more than {MAX_CONTEXT_DEPTH} levels deep",
        )
    if kind == "var":
        run.context[result_var] = value  # type: ignore[index]
    elif path:
        set_path(run.context, path, value)
    elif isinstance(value, dict):
        run.context = value
    else:
        raise StateFailure(
            f"EXPRESSION_ERROR:{state_id}",
            f"state '{state_id}': a whole-context write must be an object, got {type(value).__name__}",
        )
