"""Writing a laid-out state diagram as one self-contained SVG element.

No external assets: the style sits in the SVG, scoped under `.journey-diagram` because an inline SVG's <style>
applies to the whole HTML page it is placed in. No `id` attributes either (the definitions page shows many
diagrams on one page; ids would collide): arrowheads are polygons, not markers. States are `<g class="node">`
with `data-state`, edges `<g class="edge">` with `data-from`/`data-to`, each with a <title> (the tooltip, read by
screen readers). Every piece of text from the definition is escaped, and characters XML cannot carry at all
(control characters a YAML double-quoted string can hold) are written as `\\xNN`, so the output always parses.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from journeys.contracts.diagram_layout import ARROW, Box, Layout, Link, Route, Size, arrowhead, path_step
from journeys.contracts.diagram_layout import coordinate as _n
from journeys.definitions.model import JourneyDefinition

HALO = 5.0  # the current state's ring, outside its shape
ENTRY = 18.0  # the start marker's distance above the start state
JUMP_BOW = 30.0
STYLE = """
.journey-diagram{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono",monospace}
.journey-diagram .shape{stroke-width:1.5px;fill:#f1f3f4;stroke:#5f6368}
.journey-diagram .type-task .shape{fill:#e8f0fe;stroke:#4b6ea8}
.journey-diagram .type-transform .shape{fill:#f3e8fd;stroke:#8e5bb5}
.journey-diagram .type-choice .shape{fill:#fef7e0;stroke:#b08000}
.journey-diagram .type-wait .shape,.journey-diagram .type-webhook .shape{fill:#feefe3;stroke:#c26401;stroke-width:2px}
.journey-diagram .type-succeed .shape{fill:#e6f4ea;stroke:#188038}
.journey-diagram .type-fail .shape{fill:#fce8e6;stroke:#c5221f}
.journey-diagram .node .marker{font-size:10px;fill:#5f6368;text-anchor:middle}
.journey-diagram .node .id{font-size:12px;font-weight:600;fill:#202124;text-anchor:middle}
.journey-diagram .line{fill:none;stroke:#9aa0a6;stroke-width:1.4px}
.journey-diagram .head,.journey-diagram .entry circle{fill:#9aa0a6}
.journey-diagram .kind-timeout .line{stroke-dasharray:5 3}
.journey-diagram .jump .line{stroke-dasharray:2 3}
.journey-diagram .label{font-size:11px;fill:#5f6368;paint-order:stroke;stroke:#fff;stroke-width:3px}
.journey-diagram .taken .line{stroke:#1a56db;stroke-width:2.6px}
.journey-diagram .taken .head,.journey-diagram .entry.taken circle{fill:#1a56db}
.journey-diagram .edge.taken .label{fill:#1a56db;font-weight:600}
.journey-diagram .node.taken .shape{stroke:#1a56db;stroke-width:2.6px}
.journey-diagram .halo{fill:#fef3e0;stroke:#f29900;stroke-width:4px}
.journey-diagram.has-path .node:not(.taken),.journey-diagram.has-path .edge:not(.taken){opacity:.55}
"""
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_NOT_CLASS = re.compile("[^A-Za-z0-9_-]")


@dataclass(frozen=True, slots=True)
class DrawnNode:
    id: str
    type: str
    marker: str
    shown: str
    title: str
    visits: int
    size: Size


@dataclass(frozen=True, slots=True)
class DrawnEdge:
    source: str
    target: str
    kinds: tuple[str, ...]
    lines: tuple[str, ...]
    titles: tuple[str, ...]
    taken: int
    label: Size

    def link(self, index: Mapping[str, int]) -> Link:
        return Link(index[self.source], index[self.target], self.label)


@dataclass(frozen=True, slots=True)
class Jump:
    """Consecutive states of a path that no edge joins."""

    source: str
    target: str
    taken: int


def svg_document(
    definition: JourneyDefinition,
    nodes: Sequence[DrawnNode],
    edges: Sequence[DrawnEdge],
    jumps: Sequence[Jump],
    placed: Layout,
    current: str | None,
    walked: Sequence[str],
) -> str:
    boxes = {node.id: box for node, box in zip(nodes, placed.boxes, strict=True)}
    width, height = _n(placed.width), _n(placed.height)
    summary = f"State diagram of journey {definition.name} {definition.version}: {len(nodes)} states, {len(edges)} "
    summary += "transitions" + (f"; current state {current}" if current else "")
    summary += f"; the path taken passes {len(set(walked))} of them" if walked else ""
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="journey-diagram{" has-path" if walked else ""}" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" aria-label="{attr(summary)}">',
        f"<title>{text(summary)}</title>",
        f"<style>{STYLE}</style>",
    ]
    if current is not None:  # beneath everything else, so that arrows into the current state stay visible
        parts.append(_halo(boxes[current], _radius(next(node for node in nodes if node.id == current))))
    parts.append(_entry(definition.start, boxes[definition.start], bool(walked) and walked[0] == definition.start))
    drawn = sorted(zip(edges, placed.routes, strict=True), key=lambda pair: pair[0].taken > 0)
    parts += [_edge(edge, route) for edge, route in drawn]
    parts += [_jump(jump, boxes[jump.source], boxes[jump.target]) for jump in jumps]
    parts += [_node(node, boxes[node.id], node.id == current) for node in nodes]
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _node(node: DrawnNode, box: Box, current: bool) -> str:
    classes = f"node type-{node.type} kind-{_NOT_CLASS.sub('-', node.marker)}"
    classes += (" taken" if node.visits else "") + (" current" if current else "")
    title = node.title + ("; current state" if current else "")
    title += f"; entered {node.visits} times" if node.visits > 1 else "; entered" if node.visits else ""
    return (
        f'<g class="{classes}" data-state="{attr(node.id)}" data-type="{attr(node.marker)}">'
        f"<title>{text(title)}</title>{_shape(node.type, box, _radius(node))}"
        f'<text class="marker" x="{_n(box.cx)}" y="{_n(box.y + 15)}">{text(node.marker)}</text>'
        f'<text class="id" x="{_n(box.cx)}" y="{_n(box.y + 31)}">{text(node.shown)}</text></g>'
    )


def _radius(node: DrawnNode) -> float:
    return node.size.height / 2 if node.type in ("succeed", "fail") else 6.0


def _halo(box: Box, radius: float) -> str:
    """The ring around the current state."""
    return (
        f'<rect class="halo" x="{_n(box.x - HALO)}" y="{_n(box.y - HALO)}" width="{_n(box.width + 2 * HALO)}" '
        f'height="{_n(box.height + 2 * HALO)}" rx="{_n(radius + HALO)}"/>'
    )


def _shape(state_type: str, box: Box, radius: float) -> str:
    if state_type == "choice":
        point = min(10.0, box.width / 4)
        corners = [
            (box.x + point, box.y),
            (box.right - point, box.y),
            (box.right, box.cy),
            (box.right - point, box.bottom),
            (box.x + point, box.bottom),
            (box.x, box.cy),
        ]
        return f'<polygon class="shape" points="{" ".join(f"{_n(x)},{_n(y)}" for x, y in corners)}"/>'
    return (
        f'<rect class="shape" x="{_n(box.x)}" y="{_n(box.y)}" width="{_n(box.width)}" height="{_n(box.height)}" '
        f'rx="{_n(radius)}"/>'
    )


def _edge(edge: DrawnEdge, route: Route) -> str:
    classes = "edge " + " ".join(f"kind-{kind}" for kind in edge.kinds) + (" taken" if edge.taken else "")
    title = f"{edge.source} → {edge.target}: " + "; ".join(edge.titles)
    title += f" (taken {edge.taken} times)" if edge.taken > 1 else " (taken)" if edge.taken else ""
    x, y = route.label
    labels = "".join(
        f'<text class="label" x="{_n(x)}" y="{_n(y + 10.5 + 14 * i)}">{text(line)}</text>'
        for i, line in enumerate(edge.lines)
    )
    taken = f' data-taken="{edge.taken}"' if edge.taken else ""
    return (
        f'<g class="{classes}" data-from="{attr(edge.source)}" data-to="{attr(edge.target)}"{taken}>'
        f'<title>{text(title)}</title><path class="line" d="{route.path}"/>'
        f'<polygon class="head" points="{route.arrow}"/>{labels}</g>'
    )


def _jump(jump: Jump, source: Box, target: Box) -> str:
    """A dashed curve on the left of both states, arrow into the target's left side."""
    tip = (target.x, target.cy)
    path = path_step("M", (source.x, source.cy)) + path_step(
        "C", (source.x - JUMP_BOW, source.cy), (target.x - JUMP_BOW, target.cy), (target.x - ARROW + 1, target.cy)
    )
    title = f"{jump.source} ⇢ {jump.target}: moved without a transition of this definition (a retry or a migration)"
    title += f" ({jump.taken} times)" if jump.taken > 1 else ""
    return (
        f'<g class="edge jump taken" data-from="{attr(jump.source)}" data-to="{attr(jump.target)}" '
        f'data-taken="{jump.taken}"><title>{text(title)}</title><path class="line" d="{path}"/>'
        f'<polygon class="head" points="{arrowhead(tip, (1.0, 0.0))}"/></g>'
    )


def _entry(start: str, box: Box, taken: bool) -> str:
    """A dot with an arrow into the start state."""
    x, top = box.cx, box.y - ENTRY
    path = path_step("M", (x, top + 4)) + path_step("L", (x, box.y - ARROW + 1))
    return (
        f'<g class="entry{" taken" if taken else ""}"><title>{text(f"start: {start}")}</title>'
        f'<circle cx="{_n(x)}" cy="{_n(top)}" r="4"/><path class="line" d="{path}"/>'
        f'<polygon class="head" points="{arrowhead((x, box.y), (0.0, 1.0))}"/></g>'
    )


def text(value: str) -> str:
    """`value` as XML character data: markup escaped, characters XML cannot hold written as escapes."""
    value = _NOT_XML.sub(lambda found: f"\\x{ord(found.group()):02x}", value)
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def attr(value: str) -> str:
    """`value` for a double-quoted attribute (white space kept: a parser would fold raw tabs and newlines)."""
    escaped = text(value).replace('"', "&quot;")
    return escaped.replace("\t", "&#9;").replace("\n", "&#10;").replace("\r", "&#13;")
