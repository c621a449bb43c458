"""Reading the inbound log: pages of deliveries, one delivery, and per-source statistics.

Statistics are computed from the most recent deliveries of the last 24 hours (at most `STATS_SAMPLE` rows, so
the operator endpoint stays cheap on a busy server): per source and window, counts by verdict, the share
answered 2xx, and processing-time percentiles.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from journeys.engine.errors import DeliveryNotFound
from journeys.store import DeliveryRecord, JourneyStore

STATS_SAMPLE = 100_000
WINDOWS = (("5m", timedelta(minutes=5)), ("1h", timedelta(hours=1)), ("24h", timedelta(hours=24)))
STEP_URL = "(step URLs)"


def _percentiles(samples: list[float]) -> dict[str, float | None]:
    if not samples:
        return {"p50": None, "p95": None, "p99": None}
    if len(samples) == 1:
        return {"p50": samples[0], "p95": samples[0], "p99": samples[0]}
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return {"p50": round(cuts[49], 3), "p95": round(cuts[94], 3), "p99": round(cuts[98], 3)}


def summarise(rows: list[tuple[str | None, str, int, float, datetime]], now: datetime) -> dict[str, Any]:
    """{source: {window: {total, verdicts, successRate, processingMs}}} from (source, verdict, status, ms, at)."""
    by_source: dict[str, list[tuple[str, int, float, datetime]]] = defaultdict(list)
    for source, verdict, status, ms, at in rows:
        by_source[source or STEP_URL].append((verdict, status, ms, at))
    result: dict[str, Any] = {}
    for source, items in sorted(by_source.items()):
        windows: dict[str, Any] = {}
        for name, span in WINDOWS:
            inside = [item for item in items if item[3] >= now - span]
            verdicts = Counter(item[0] for item in inside)
            answered_2xx = sum(1 for item in inside if 200 <= item[1] < 300)
            windows[name] = {
                "total": len(inside),
                "verdicts": dict(sorted(verdicts.items())),
                "successRate": round(answered_2xx / len(inside), 4) if inside else None,
                "processingMs": _percentiles(sorted(item[2] for item in inside)),
            }
        result[source] = windows
    return result


class InboundLog:
    def __init__(self, store: JourneyStore, clock: Callable[[], datetime]) -> None:
        self._deliveries = store.deliveries
        self._clock = clock

    async def page(self, **filters: Any) -> list[DeliveryRecord]:
        """A page of the log: `source`, `verdict`, `journey_id`, `limit`, `after` (see DeliveryStore.page)."""
        return await self._deliveries.page(**filters)

    async def get(self, delivery_id: str) -> DeliveryRecord:
        item = await self._deliveries.get(delivery_id)
        if item is None:
            raise DeliveryNotFound(f"no inbound delivery with id '{delivery_id}'")
        return item

    async def stats(self) -> dict[str, Any]:
        now = self._clock()
        rows = await self._deliveries.recent(now - WINDOWS[-1][1], STATS_SAMPLE)
        at = now.isoformat().replace("+00:00", "Z")
        return {"at": at, "sampleLimit": STATS_SAMPLE, "sources": summarise(rows, now)}
