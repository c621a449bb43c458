"""Reading a rendered state diagram back (as the console's browser tests would see it): nodes by state, edges by
(from, to), their classes, labels and titles, and the boxes the nodes occupy."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

SVG = "{http://www.w3.org/2000/svg}"


@dataclass(frozen=True)
class Shown:
    """One <g> of the diagram: its classes, its tooltip and the texts it shows."""

    element: ET.Element

    @property
    def classes(self) -> set[str]:
        return set(self.element.get("class", "").split())

    @property
    def title(self) -> str:
        title = self.element.find(f"{SVG}title")
        assert title is not None and title.text, "every node and edge has a <title>"
        return title.text

    @property
    def texts(self) -> list[str]:
        return [text.text or "" for text in self.element.iter(f"{SVG}text")]

    @property
    def taken(self) -> int:
        return int(self.element.get("data-taken", "0"))


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    width: float
    height: float

    def contains(self, x: float, y: float) -> bool:
        return self.x <= x <= self.x + self.width and self.y <= y <= self.y + self.height

    def overlaps(self, other: Box) -> bool:
        return not (
            self.x + self.width <= other.x
            or other.x + other.width <= self.x
            or self.y + self.height <= other.y
            or other.y + other.height <= self.y
        )


class Diagram:
    def __init__(self, svg: str) -> None:
        self.root = ET.fromstring(svg)  # fails on anything that is not well-formed XML
        assert self.root.tag == f"{SVG}svg"
        groups = list(self.root.iter(f"{SVG}g"))
        self.nodes: dict[str, Shown] = {}
        self.edges: dict[tuple[str, str], Shown] = {}
        self.jumps: dict[tuple[str, str], Shown] = {}
        for group in groups:
            classes = group.get("class", "").split()
            if "node" in classes:
                state = group.get("data-state")
                assert state is not None and state not in self.nodes, f"one node per state, not two for {state!r}"
                self.nodes[state] = Shown(group)
            elif "edge" in classes:
                pair = (group.get("data-from", ""), group.get("data-to", ""))
                found = self.jumps if "jump" in classes else self.edges
                assert pair not in found, f"one edge per pair of states, not two for {pair}"
                found[pair] = Shown(group)

    @property
    def size(self) -> tuple[float, float]:
        return float(self.root.get("width", "0")), float(self.root.get("height", "0"))

    def box(self, state: str) -> Box:
        """The box the state's shape occupies (a rect, or the hexagon's bounding box)."""
        shape = next(element for element in self.nodes[state].element if "shape" in element.get("class", "").split())
        if shape.tag == f"{SVG}rect":
            return Box(*(float(shape.get(name, "0")) for name in ("x", "y", "width", "height")))
        points = [tuple(map(float, point.split(","))) for point in shape.get("points", "").split()]
        xs, ys = [x for x, _ in points], [y for _, y in points]
        return Box(min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))

    def label_starts(self) -> list[tuple[str, float, float]]:
        """Every edge label line: its text and where it starts (its baseline's left end)."""
        return [
            (text.text or "", float(text.get("x", "0")), float(text.get("y", "0")))
            for shown in self.edges.values()
            for text in shown.element.iter(f"{SVG}text")
        ]
