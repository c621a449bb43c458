"""Ordering and placing the items of a layered drawing (`diagram_layout`): nodes and edge dummies on ranks.

Ordering: barycentre sweeps, alternately downwards and upwards, keeping the order with the fewest crossings.
Placing: each rank is pulled towards its neighbours' positions in alternating sweeps, by a weighted isotonic
regression (pool adjacent violators) that keeps the order and the gaps; links between two dummies pull hardest,
and a last pass puts each long edge's dummies on one vertical line where there is room, so long edges run
straight. Everything is deterministic: ties keep the previous order.

The graphs drawn are small (a journey has tens of states), but every edge adds a dummy per rank it crosses, so
the loops here are written for the item count, not the state count.
"""

from __future__ import annotations

from bisect import bisect_right, insort
from itertools import pairwise

NODE_GAP = 28.0  # between two items when one of them is a node
DUMMY_GAP = 12.0  # between two edge dummies
ORDER_SWEEPS = 12
STALE_SWEEPS = 4  # sweeps without fewer crossings before the ordering stops
PLACE_SWEEPS = 2
STRAIGHT, BEND = 8.0, 2.0  # pull of a dummy-to-dummy link, and of a link with a node at one end
LONELY = 0.05  # pull that keeps an item without neighbours (in the sweep's direction) where it is


class Item:
    """A node or an edge dummy on one rank; `x` is where links attach, `anchor` that point's offset from its left
    edge; `key` orders the rank before the sweeps."""

    __slots__ = ("anchor", "down", "height", "is_node", "key", "pos", "rank", "up", "width", "x")

    def __init__(
        self, rank: int, width: float, anchor: float, height: float, is_node: bool, key: tuple[int, ...]
    ) -> None:
        self.rank, self.width, self.anchor, self.height = rank, width, anchor, height
        self.is_node, self.key = is_node, key
        self.x = 0.0
        self.pos = 0
        self.up: list[tuple[Item, float]] = []
        self.down: list[tuple[Item, float]] = []


def connect(chain: list[Item]) -> None:
    """Link consecutive items of an edge's chain (top to bottom)."""
    for above, below in pairwise(chain):
        pull = BEND if above.is_node or below.is_node else STRAIGHT
        above.down.append((below, pull))
        below.up.append((above, pull))


def gap(left: Item, right: Item) -> float:
    """The least distance between the attach points of two neighbours on a rank."""
    return left.width - left.anchor + (NODE_GAP if left.is_node or right.is_node else DUMMY_GAP) + right.anchor


def order(ranks: list[list[Item]]) -> None:
    """Sort each rank by `key`, then sweep; stop at no crossings or after a few sweeps that found no fewer."""
    for rank in ranks:
        rank.sort(key=lambda item: item.key)
        _number(rank)
    best, fewest = [list(rank) for rank in ranks], _crossings(ranks)
    idle = 0
    for sweep in range(ORDER_SWEEPS):
        if fewest == 0 or idle == STALE_SWEEPS:
            break
        downwards = sweep % 2 == 0
        for r in range(1, len(ranks)) if downwards else range(len(ranks) - 2, -1, -1):
            rank = ranks[r]
            if len(rank) > 1:
                keys = [_barycentre(item.up if downwards else item.down, item.pos) for item in rank]
                rank[:] = [rank[i] for i in sorted(range(len(rank)), key=keys.__getitem__)]
                _number(rank)
        crossings = _crossings(ranks)
        idle += 1
        if crossings < fewest:
            best, fewest, idle = [list(rank) for rank in ranks], crossings, 0
    ranks[:] = best
    for rank in ranks:
        _number(rank)


def _number(rank: list[Item]) -> None:
    for pos, item in enumerate(rank):
        item.pos = pos


def _barycentre(neighbours: list[tuple[Item, float]], own: int) -> float:
    if not neighbours:
        return own
    total = 0
    for item, _ in neighbours:
        total += item.pos
    return total / len(neighbours)


def _crossings(ranks: list[list[Item]]) -> int:
    """Pairs of links between adjacent ranks that cross (inversions of their lower ends, counted with bisect)."""
    total = 0
    for upper, lower in pairwise(ranks):
        if len(upper) < 2 or len(lower) < 2:
            continue  # links that share an end never cross
        ends = sorted((item.pos, below.pos) for item in upper for below, _ in item.down)
        seen: list[int] = []
        for _, end in ends:
            total += len(seen) - bisect_right(seen, end)
            insort(seen, end)
    return total


def place(ranks: list[list[Item]]) -> None:
    """Packed and centred ranks, then sweeps pulling each rank towards the one before it (until nothing moves by
    more than a pixel), one pass weighing both neighbouring ranks, and the long edges straightened."""
    offsets = []
    for rank in ranks:
        offset, starts = 0.0, []
        for i, item in enumerate(rank):
            offset += gap(rank[i - 1], item) if i else 0.0
            starts.append(offset)
        offsets.append(starts)
        for item, start in zip(rank, starts, strict=True):
            item.x = start - offset / 2
    for sweep in range(PLACE_SWEEPS):
        downwards = sweep % 2 == 0
        moved = 0.0
        for r in range(1, len(ranks)) if downwards else range(len(ranks) - 2, -1, -1):
            moved = max(moved, _settle(ranks[r], offsets[r], 0 if downwards else 1))
        if moved < 1.0:
            break
    for rank, starts in zip(ranks, offsets, strict=True):
        _settle(rank, starts, 2)


def _settle(rank: list[Item], offsets: list[float], towards: int) -> float:
    """Move a rank's items as close as they may get to the weighted mean of their neighbours above (`towards`
    0), below (1) or both (2), keeping their order and gaps; returns the largest move.

    With offsets c_i (each item's least distance from the first), y_i = x_i - c_i must not decrease: an isotonic
    regression of the targets minus offsets, solved exactly by pooling adjacent violators."""
    weights: list[float] = []  # blocks of adjacent items held at their least distance: total pull,
    sums: list[float] = []  # pull-weighted sum of targets,
    counts: list[int] = []  # and how many items
    for item, offset in zip(rank, offsets, strict=True):
        weight = total = 0.0
        for other, pull in item.up if towards == 0 else item.down if towards == 1 else item.up + item.down:
            weight += pull
            total += other.x * pull
        if not weight:
            weight, total = LONELY, LONELY * item.x
        total -= weight * offset
        count = 1
        while weights and sums[-1] * weight > total * weights[-1]:  # the block before wants to be further right
            weight += weights.pop()
            total += sums.pop()
            count += counts.pop()
        weights.append(weight)
        sums.append(total)
        counts.append(count)
    moved, i = 0.0, 0
    for weight, total, count in zip(weights, sums, counts, strict=True):
        for _ in range(count):
            item = rank[i]
            x = total / weight + offsets[i]
            if abs(x - item.x) > moved:
                moved = abs(x - item.x)
            item.x = x
            i += 1
    return moved


def straighten(dummies: list[Item], ranks: list[list[Item]]) -> None:
    """Put a link's dummies on as few vertical lines as their neighbours leave room for: each run of dummies that
    fits between its neighbours on every rank it crosses goes to one x (the run's median, or as near as fits)."""
    run: list[Item] = []
    low, high = float("-inf"), float("inf")
    for dummy in dummies:
        rank = ranks[dummy.rank]
        left = rank[dummy.pos - 1].x + gap(rank[dummy.pos - 1], dummy) if dummy.pos else float("-inf")
        right = rank[dummy.pos + 1].x - gap(dummy, rank[dummy.pos + 1]) if dummy.pos + 1 < len(rank) else float("inf")
        if max(low, left) > min(high, right):
            _align(run, low, high)
            run, low, high = [], float("-inf"), float("inf")
        run.append(dummy)
        low, high = max(low, left), min(high, right)
    _align(run, low, high)


def _align(run: list[Item], low: float, high: float) -> None:
    if len(run) > 1:
        x = min(max(sorted(dummy.x for dummy in run)[len(run) // 2], low), high)
        for dummy in run:
            dummy.x = x
