"""Checks on the state graph: every reference names a state, every state is reachable from `spec.start`.

A dangling `next` would only surface when a journey reaches it, possibly days into a run; an unreachable
state is almost always a wiring mistake. Both are therefore load-time errors.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from difflib import get_close_matches

from journeys.definitions.fields import LoadContext
from journeys.definitions.source import state_of


def unknown_state_message(target: str, state_ids: Collection[str]) -> str:
    """ "no state 'x' in spec.states", with a did-you-mean hint for near misses."""
    close = get_close_matches(target, list(state_ids), n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"no state '{target}' in spec.states{hint}"


def check_graph(ctx: LoadContext, start: str | None, state_ids: Collection[str]) -> None:
    """Report dangling references, then, if the graph is fully known, states unreachable from `start`."""
    edges: defaultdict[str | None, list[str]] = defaultdict(list)
    complete = start in state_ids and not ctx.opaque_states
    for reference in ctx.references:
        if reference.target in state_ids:
            edges[state_of(reference.location)].append(reference.target)
        else:
            ctx.report(reference.location, unknown_state_message(reference.target, state_ids))
            complete = False
    if not complete:
        # A missing edge (dangling or inside an unparsed state) would make reachable states look orphaned.
        return
    # References outside every state (`spec.execution.onTimeout.next`) are entry points as well as `spec.start`.
    reached = {start, *edges[None]}
    pending = list(reached)
    while pending:
        for target in edges[pending.pop()]:
            if target not in reached:
                reached.add(target)
                pending.append(target)
    for state_id in state_ids:
        if state_id not in reached:
            ctx.report(("spec", "states", state_id), f"state is unreachable from spec.start '{start}'")
