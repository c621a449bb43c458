"""The state diagram of a journey definition, as a self-contained SVG string: what the operator console shows on a
journey's page (current state highlighted, the path taken drawn over the graph) and on the definitions page.

Drawn from the compiled model, so it shows what the engine runs: every state with its type, every way out of a
state (`journey_paths.exits`: choice branches with their conditions, the default, `next`, `onTimeout`) as a
labelled edge. The model has no error/catch edges: a failed HTTP call continues on `next` with the failure in its
result (or `errorMapping`), so none are drawn. The layout is computed here (`diagram_layout`), not by graphviz,
and is a pure function of its input: the same definition and path give the same bytes.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import pairwise

from journeys.contracts.diagram_layout import Size, layout
from journeys.contracts.diagram_svg import DrawnEdge, DrawnNode, Jump, svg_document
from journeys.contracts.journey_paths import Exit, exits
from journeys.definitions.model import (
    ChoiceState,
    ExternalInputState,
    FailState,
    HttpCallTask,
    JourneyDefinition,
    State,
    SucceedState,
    TaskState,
)

MAX_ID = 32  # characters of a state id shown in its node (the full id is in the node's title)
MAX_LABEL = 36  # characters of an edge label line (the full condition is in the edge's title)
ID_EM, MARKER_EM, LABEL_EM = 12.0, 10.0, 11.0  # font sizes in px (the style in diagram_svg uses the same)
ADVANCE = 0.6  # width of a monospace character, in em
NODE_HEIGHT = 40.0
NODE_PADDING = 12.0
POINTED = 10.0  # how far a choice node's hexagon points reach beyond its text room
LINE_HEIGHT = 14.0
TIMES = "\N{MULTIPLICATION SIGN}"  # between an edge's label and how many times it was taken, when more than once
NEXT_LABELS = {"wait": "on submit", "webhook": "on callback"}


def render_diagram(definition: JourneyDefinition, current_state: str | None = None, path: Sequence[str] = ()) -> str:
    """The SVG of `definition`'s state graph.

    `current_state` gets the `current` class; `path` is the ordered states a journey went through (a state may
    repeat, e.g. a webhook step looping on status updates; see `journeys.engine.trail.states_walked`): its
    states and the edges between consecutive ones get the `taken` class, an edge taken more than once shows how
    many times. Names in `path` that are not states of this definition are ignored; a step between two states
    that no edge joins (an operator's retry, a migration) is drawn as a dashed `jump`.
    """
    states = definition.states
    walked = [state_id for state_id in path if state_id in states]
    visits = Counter(walked)
    steps = Counter(pairwise(walked))
    edges = _edges(states.values())
    drawn_edges = [_drawn_edge(pair, found, states[pair[0]], steps[pair]) for pair, found in edges.items()]
    drawn_nodes = [_drawn_node(state, visits[state.id], state.id == definition.start) for state in states.values()]
    jumps = [Jump(a, b, count) for (a, b), count in steps.items() if a != b and (a, b) not in edges]
    index = {state_id: i for i, state_id in enumerate(states)}
    placed = layout(
        [node.size for node in drawn_nodes],
        [edge.link(index) for edge in drawn_edges],
        root=index[definition.start],
    )
    return svg_document(
        definition,
        drawn_nodes,
        drawn_edges,
        jumps,
        placed,
        current_state if current_state in states else None,
        walked,
    )


def _edges(states: Iterable[State]) -> dict[tuple[str, str], list[Exit]]:
    """One edge per (source, target) pair, in definition order: a branch and the default that lead to the same
    state are one arrow with two label lines, not two arrows drawn on top of each other."""
    grouped: dict[tuple[str, str], list[Exit]] = {}
    for state in states:
        for exit in exits(state):
            grouped.setdefault((state.id, exit.target), []).append(exit)
    return grouped


def _drawn_edge(pair: tuple[str, str], found: list[Exit], source: State, taken: int) -> DrawnEdge:
    lines, titles = [], []
    for exit in found:
        short, full = _exit_text(exit, source)
        lines.append(short)
        titles.append(full)
    if taken > 1:
        lines[0] = f"{lines[0]} {TIMES}{taken}"
    width = max(text_width(line, LABEL_EM) for line in lines)
    return DrawnEdge(
        source=pair[0],
        target=pair[1],
        kinds=tuple(dict.fromkeys(exit.on for exit in found)),
        lines=tuple(lines),
        titles=tuple(titles),
        taken=taken,
        label=Size(width, LINE_HEIGHT * len(lines)),
    )


def _exit_text(exit: Exit, source: State) -> tuple[str, str]:
    """The label line of one way out of `source`, and its full text for the tooltip."""
    if exit.on == "choice" and exit.predicate is not None:
        condition = " ".join(exit.predicate.source.split())
        return truncate(condition, MAX_LABEL), f"when {condition} ({exit.predicate.lang})"
    if exit.on == "default":
        return "default", "default: when no condition holds"
    if exit.on == "timeout" and isinstance(source, ExternalInputState):
        seconds = source.timeout_sec or 0
        return f"onTimeout {_duration(seconds)}", f"onTimeout: no submission within {seconds} s"
    label = NEXT_LABELS.get(source.type, "next")
    return label, label if label == "next" else f"next, {label}"


def _drawn_node(state: State, visits: int, is_start: bool) -> DrawnNode:
    marker = state.task.kind.split(":")[0] if isinstance(state, TaskState) else state.type
    shown = truncate(state.id, MAX_ID)
    width = max(text_width(shown, ID_EM), text_width(marker, MARKER_EM)) + 2 * NODE_PADDING
    width += 2 * POINTED if isinstance(state, ChoiceState) else 0.0
    return DrawnNode(
        id=state.id,
        type=state.type,
        marker=marker,
        shown=shown,
        title=_node_title(state, marker, is_start),
        visits=visits,
        size=Size(max(width, 84.0), NODE_HEIGHT),
    )


def _node_title(state: State, marker: str, is_start: bool) -> str:
    """What a state is and does, in one line (the node's tooltip)."""
    if isinstance(state, TaskState):
        task = state.task
        what = f"task {task.kind}"
        if isinstance(task, HttpCallTask):
            what += f" {task.method} {task.operation or task.url.source}"
    elif isinstance(state, ExternalInputState):
        what = f"{state.type} step"
        if state.source:
            what += f" fed by inbound source {state.source}"
        if state.timeout_sec:
            what += f", times out after {state.timeout_sec} s"
    elif isinstance(state, FailState):
        what = f"fail with {state.error_code}" + (f": {state.reason}" if state.reason else "")
    elif isinstance(state, SucceedState):
        what = "succeed" + (f" with context.{state.output_var}" if state.output_var else "")
    else:
        what = marker
    return f"{state.id}: {what}" + (" (start)" if is_start else "")


def _duration(seconds: int) -> str:
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def text_width(text: str, em: float) -> float:
    """The width of `text` in the diagram's monospace font; wide (East Asian) characters take two cells."""
    cells = len(text) if text.isascii() else sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return cells * em * ADVANCE
