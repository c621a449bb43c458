"""A layered layout for a small directed graph, drawn top to bottom, without graphviz.

The steps are Sugiyama's, kept simple and deterministic (same graph, same coordinates):

1. Back edges are found by a depth-first walk from the root, links in the given order; the rest is acyclic.
2. Layers by longest path from the root: every forward edge points down at least one layer.
3. Between two node layers sits a rank for edges. Each edge gets a dummy item on every rank it crosses, and its
   label is the dummy on the rank next to the edge's source (a back edge's source is its lower end), so labels
   take room like nodes do and never sit on a node or on another label (graphviz places labels the same way).
   An edge that spans more than LANE_SPAN layers gets dummies only next to its ends and runs in a lane beside
   the drawing: a timeout that leads to a fail state far below does not weave between the states it skips,
   and a long journey does not carry a dummy per edge per rank (the cost of the next steps is per item).
4. Crossings reduced and x coordinates assigned rank by rank (`diagram_ranks`).
5. Routes: vertical through the dummies, S-curves between ranks, drawn upwards for back edges, each link
   meeting its nodes at its own port so that links leaving one node do not cross there.

A self-loop takes room on its node's right, where it is drawn with its label.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from journeys.contracts.diagram_ranks import Item, connect, order, place, straighten

MARGIN = 28.0
DUMMY_WIDTH = 8.0
LABEL_INSET = 6.0  # from an edge's line to the start of its label
RANK_GAP = 18.0  # vertical room between two ranks, where edges bend
LINK_RANK = 16.0  # height of a rank that carries edges without labels
LOOP_REACH = 26.0  # how far a self-loop bulges right of its node
ARROW = 8.0
LANE_SPAN = 8  # layers: a link that spans more runs in a lane beside the drawing, not between the states
LANE_GAP = 12.0  # between two lanes, and between the drawing and its first lane
CORNER = 6.0  # radius of a lane's corners
STRAIGHT_ENOUGH = 1.0  # a link that shifts less than this between two ranks is drawn as a straight line


@dataclass(frozen=True, slots=True)
class Size:
    width: float
    height: float


@dataclass(frozen=True, slots=True)
class Link:
    """A directed edge between two node indexes, with the size of its label block (0 x 0 for none)."""

    source: int
    target: int
    label: Size


@dataclass(frozen=True, slots=True)
class Box:
    x: float
    y: float
    width: float
    height: float

    @property
    def right(self) -> float:
        return self.x + self.width

    @property
    def bottom(self) -> float:
        return self.y + self.height

    @property
    def cx(self) -> float:
        return self.x + self.width / 2

    @property
    def cy(self) -> float:
        return self.y + self.height / 2


Point = tuple[float, float, bool]
"""A point on a route, and whether the route turns a corner there (into or out of a lane)."""


@dataclass(frozen=True, slots=True)
class Route:
    """How one link is drawn: SVG path data, an arrowhead polygon and the top-left corner of its label."""

    path: str
    arrow: str
    label: tuple[float, float]


@dataclass(frozen=True, slots=True)
class Layout:
    width: float
    height: float
    boxes: tuple[Box, ...]
    routes: tuple[Route, ...]


def layout(sizes: Sequence[Size], links: Sequence[Link], root: int = 0) -> Layout:
    """Place nodes of the given sizes and route `links` between them; `root` goes on top."""
    back, preorder, topological = _orient(len(sizes), links, root)
    layer = _layers(len(sizes), links, back, topological)
    loop_room = [0.0] * len(sizes)
    for link in links:
        if link.source == link.target:
            loop_room[link.source] = max(loop_room[link.source], LOOP_REACH + LABEL_INSET + link.label.width)
    nodes = [
        Item(2 * layer[i], size.width + loop_room[i], size.width / 2, size.height, True, (preorder[i], 0, 0))
        for i, size in enumerate(sizes)
    ]
    ranks: list[list[Item]] = [[] for _ in range(2 * max(layer, default=0) + 1)]
    for item in nodes:
        ranks[item.rank].append(item)
    chains: list[list[Item] | None] = []
    lanes = [abs(layer[link.source] - layer[link.target]) > LANE_SPAN for link in links]
    for e, link in enumerate(links):
        key = (preorder[link.source], 1, e)
        chains.append(None if link.source == link.target else _chain(nodes, link, back[e], lanes[e], key, ranks))
    order(ranks)
    place(ranks)
    for e in sorted(range(len(links)), key=lambda e: -len(chains[e] or ())):  # longest first
        chain = chains[e]
        if chain and not lanes[e]:
            straighten(chain[1:-1], ranks)
    return _draw(sizes, links, back, lanes, nodes, chains, ranks)


def _orient(count: int, links: Sequence[Link], root: int) -> tuple[list[bool], list[int], list[int]]:
    """Depth-first from `root` (then any node not reached): which links are back edges, each node's preorder
    number, and a topological order of the graph without its back edges (reverse postorder)."""
    out: list[list[int]] = [[] for _ in range(count)]
    for e, link in enumerate(links):
        if link.source != link.target:
            out[link.source].append(e)
    colour = [0] * count  # 0 unseen, 1 on the walk's stack, 2 done
    back = [False] * len(links)
    preorder = [0] * count
    seen = 0
    postorder: list[int] = []
    for first in (root, *range(count)):
        if colour[first]:
            continue
        colour[first], preorder[first], seen = 1, seen, seen + 1
        stack = [(first, 0)]
        while stack:
            node, i = stack[-1]
            if i == len(out[node]):
                colour[node] = 2
                postorder.append(node)
                stack.pop()
                continue
            stack[-1] = (node, i + 1)
            e = out[node][i]
            target = links[e].target
            if colour[target] == 1:
                back[e] = True
            elif colour[target] == 0:
                colour[target], preorder[target], seen = 1, seen, seen + 1
                stack.append((target, 0))
    return back, preorder, postorder[::-1]


def _layers(count: int, links: Sequence[Link], back: list[bool], topological: list[int]) -> list[int]:
    """Longest path from the sources of the acyclic graph: a node sits one layer below its lowest predecessor."""
    incoming: list[list[int]] = [[] for _ in range(count)]
    for e, link in enumerate(links):
        if not back[e] and link.source != link.target:
            incoming[link.target].append(link.source)
    layer = [0] * count
    for node in topological:
        layer[node] = max((layer[source] + 1 for source in incoming[node]), default=0)
    return layer


def _chain(
    nodes: list[Item], link: Link, back: bool, lane: bool, key: tuple[int, ...], ranks: list[list[Item]]
) -> list[Item]:
    """The items a link passes, top to bottom: its upper node, one dummy per rank between, its lower node. A link
    that runs in a lane has dummies only on the ranks next to its ends, not linked to each other."""
    upper, lower = (nodes[link.target], nodes[link.source]) if back else (nodes[link.source], nodes[link.target])
    label_rank = lower.rank - 1 if back else upper.rank + 1
    chain = [upper]
    for rank in (upper.rank + 1, lower.rank - 1) if lane else range(upper.rank + 1, lower.rank):
        if rank == label_rank:
            width = DUMMY_WIDTH / 2 + (LABEL_INSET + link.label.width if link.label.width else DUMMY_WIDTH / 2)
            dummy = Item(rank, width, DUMMY_WIDTH / 2, link.label.height, False, key)
        else:
            dummy = Item(rank, DUMMY_WIDTH, DUMMY_WIDTH / 2, 0.0, False, key)
        ranks[rank].append(dummy)
        chain.append(dummy)
    chain.append(lower)
    if lane:
        connect(chain[:2])
        connect(chain[2:])
    else:
        connect(chain)
    return chain


def _draw(
    sizes: Sequence[Size],
    links: Sequence[Link],
    back: list[bool],
    lanes: list[bool],
    nodes: list[Item],
    chains: list[list[Item] | None],
    ranks: list[list[Item]],
) -> Layout:
    left = min(item.x - item.anchor for rank in ranks for item in rank)
    right = max(item.x - item.anchor + item.width for rank in ranks for item in rank)
    lane_x = _lanes(chains, lanes, left, right)
    left, right = min([left, *lane_x.values()]), max([right, *lane_x.values()])
    shift = MARGIN - left
    tops, heights = [], []
    y = MARGIN
    for rank in ranks:
        height = max((item.height for item in rank), default=0.0)
        height = height if rank and rank[0].rank % 2 == 0 else max(height, LINK_RANK)
        tops.append(y)
        heights.append(height)
        y += height + RANK_GAP
    boxes = tuple(
        Box(item.x - item.anchor + shift, tops[item.rank] + (heights[item.rank] - size.height) / 2, *_wh(size))
        for item, size in zip(nodes, sizes, strict=True)
    )
    index = {id(item): i for i, item in enumerate(nodes)}
    ports = _ports(boxes, index, chains, shift)
    routes = []
    for e, link in enumerate(links):
        chain = chains[e]
        if chain is None:
            routes.append(_loop(boxes[link.source], link.label))
            continue
        points: list[Point] = [(ports[(e, "bottom")], boxes[index[id(chain[0])]].bottom, False)]
        label = (0.0, 0.0)
        for dummy in chain[1:-1]:
            x, top, bottom = dummy.x + shift, tops[dummy.rank], tops[dummy.rank] + heights[dummy.rank]
            if e in lane_x and len(points) > 1:  # across the gap above this rank, along the lane, and back
                lane, above, below = lane_x[e] + shift, points[-1][1] + RANK_GAP / 2, top - RANK_GAP / 2
                points += [(points[-1][0], above, True), (lane, above, True), (lane, below, True), (x, below, True)]
            if len(points) > 1 and not points[-1][2] and abs(points[-1][0] - x) < STRAIGHT_ENOUGH:
                points[-1] = (points[-1][0], bottom, False)  # the line goes on straight down
            else:
                points += [(x, top, False), (x, bottom, False)]  # straight through the rank, clear of what is on it
            if dummy.height:
                label = (x + LABEL_INSET, top + (heights[dummy.rank] - dummy.height) / 2)
        points.append((ports[(e, "top")], boxes[index[id(chain[-1])]].y, False))
        routes.append(_route(points[::-1] if back[e] else points, label))
    return Layout(right - left + 2 * MARGIN, y - RANK_GAP + MARGIN, boxes, tuple(routes))


def _lanes(chains: list[list[Item] | None], lanes: list[bool], left: float, right: float) -> dict[int, float]:
    """The x of each lane: on the side of the drawing its link's ends are nearer to, the first link innermost."""
    lane_x: dict[int, float] = {}
    for e, chain in enumerate(chains):
        if chain and lanes[e]:
            if chain[1].x + chain[2].x < left + right:
                lane_x[e] = left - LANE_GAP * (1 + sum(x < left for x in lane_x.values()))
            else:
                lane_x[e] = right + LANE_GAP * (1 + sum(x > right for x in lane_x.values()))
    return lane_x


def _wh(size: Size) -> tuple[float, float]:
    return size.width, size.height


def _ports(
    boxes: tuple[Box, ...], index: dict[int, int], chains: list[list[Item] | None], shift: float
) -> dict[tuple[int, str], float]:
    """Where each link meets its nodes: spread along the node's bottom and top edges, in the order of the next
    point on each link, so that links leaving one node do not cross at it."""
    sides: dict[tuple[int, str], list[tuple[float, int]]] = {}
    for e, chain in enumerate(chains):
        if chain is None:
            continue
        sides.setdefault((index[id(chain[0])], "bottom"), []).append((chain[1].x + shift, e))
        sides.setdefault((index[id(chain[-1])], "top"), []).append((chain[-2].x + shift, e))
    ports = {}
    for (node, side), attached in sides.items():
        box = boxes[node]
        inset = min(14.0, box.width / 4)
        step = (box.width - 2 * inset) / (len(attached) + 1)
        for i, (_, e) in enumerate(sorted(attached)):
            ports[(e, side)] = box.x + inset + step * (i + 1)
    return ports


def _route(points: list[Point], label: tuple[float, float]) -> Route:
    """Straight through each rank, S-curves with vertical tangents between ranks, rounded corners where a lane
    turns, and an arrowhead at the end."""
    (tip_x, tip_y, _), heading = points[-1], 1.0 if points[-1][1] > points[-2][1] else -1.0
    points = [*points[:-1], (tip_x, tip_y - heading * (ARROW - 1), False)]
    steps: list[tuple[str, tuple[tuple[float, float], ...]]] = [("M", (points[0][:2],))]
    for i, ((x0, y0, _), (x1, y1, corner)) in enumerate(pairwise(points), start=1):
        if corner:  # in along one axis, out along the other, with a quarter-circle-like curve between
            x2, y2, _ = points[i + 1]
            ahead = (x1 - CORNER * _sign(x1 - x0), y1 - CORNER * _sign(y1 - y0))
            beyond = (x1 + CORNER * _sign(x2 - x1), y1 + CORNER * _sign(y2 - y1))
            steps += [("L", (ahead,)), ("Q", ((x1, y1), beyond))]
        elif abs(x1 - x0) >= STRAIGHT_ENOUGH and not points[i - 1][2]:
            middle = (y0 + y1) / 2
            steps.append(("C", ((x0, middle), (x1, middle), (x1, y1))))
        elif steps[-1][0] == "L":  # one line down a straight run of dummies, not one per rank
            steps[-1] = ("L", ((x1, y1),))
        else:
            steps.append(("L", ((x1, y1),)))
    path = "".join(path_step(command, *at) for command, at in steps)
    return Route(path, arrowhead((tip_x, tip_y), (0.0, heading)), label)


def _sign(value: float) -> float:
    return 0.0 if abs(value) < 0.05 else 1.0 if value > 0 else -1.0


def _loop(box: Box, label: Size) -> Route:
    """A self-loop bulging out of the node's right side, its arrow pointing back into the node."""
    x, top, bottom = box.right, box.cy - 6, box.cy + 6
    bulge = x + LOOP_REACH
    path = path_step("M", (x, top)) + path_step("C", (bulge, top - 18), (bulge, bottom + 18), (x + ARROW - 1, bottom))
    return Route(path, arrowhead((x, bottom), (-1.0, 0.0)), (bulge + LABEL_INSET, box.cy - label.height / 2))


def arrowhead(tip: tuple[float, float], heading: tuple[float, float]) -> str:
    """The polygon points of an arrowhead with its point at `tip`, facing along the unit vector `heading`."""
    (x, y), (dx, dy) = tip, heading
    base_x, base_y = x - dx * ARROW, y - dy * ARROW
    half = ARROW / 2
    corners = ((base_x - dy * half, base_y + dx * half), (base_x + dy * half, base_y - dx * half), tip)
    return " ".join(f"{coordinate(cx)},{coordinate(cy)}" for cx, cy in corners)


def path_step(command: str, *points: tuple[float, float]) -> str:
    """One SVG path command with its points, e.g. `C1 2 3 4 5 6`."""
    return command + " ".join(f"{coordinate(x)} {coordinate(y)}" for x, y in points)


def coordinate(value: float) -> str:
    """A coordinate with one decimal, without a trailing `.0`: short, and the same bytes on every run."""
    text = f"{value:.1f}".removesuffix(".0")
    return "0" if text == "-0" else text
