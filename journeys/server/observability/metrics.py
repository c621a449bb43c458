"""The figures `GET /metrics` exposes, on a registry of the app's own.

Each app has its own `CollectorRegistry` (prometheus_client's global one would make two apps in one process, as
in the tests, collide on every name). Counters and histograms are moved in place as requests and journeys run: no
database work, and a labelled child is looked up once per label values and kept (`Children`), so the hot path
pays a dictionary lookup and the metric's own lock. The gauges read from the database are refreshed at scrape
time (`DatabaseGauges`, `journeys.server.observability.scrape`).

Every label value comes from a bounded set, so no client can grow the number of series: journey, state, step
and source names come from the loaded definitions, routes are the router's templates (never a raw path),
verdicts and error codes from the engine and the definitions, methods from a fixed list.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Generic, Protocol, TypeVar

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

# Requests mostly take a few milliseconds; a long-poll for a result up to a minute.
REQUEST_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
# An outbound call's timeout is the definition's (`timeoutMs`).
CALL_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# A group commit: under a millisecond on PostgreSQL, a few on a SQLite file synced to disk.
COMMIT_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class _Labelled(Protocol):
    def labels(self, *values: str) -> object: ...


M = TypeVar("M")


class Children(Generic[M]):
    """A labelled metric's children, found once per label values: `labels()` takes a lock and allocates on every
    call, a dictionary lookup does not. The cache holds one entry per series the metric has anyway."""

    def __init__(self, metric: _Labelled) -> None:
        self._metric = metric
        self._found: dict[tuple[str, ...], M] = {}

    def __call__(self, *values: str) -> M:
        child = self._found.get(values)
        if child is None:
            child = self._found[values] = self._metric.labels(*values)  # type: ignore[assignment]
        return child


class DatabaseGauges(Collector):
    """What the last scrape read from the database (`journeys.engine.vitals`), exposed by the next `collect`:
    the scrape refreshes it, then renders the registry."""

    def __init__(self) -> None:
        self.waiting: list[tuple[str, str, int]] = []
        self.timer_lag_seconds = 0.0
        self.unpublished_events = 0
        self.event_lag_seconds = 0.0
        self.up = False

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily(
            "journeys_database_up",
            "1 when this scrape read the database figures (waiting, timer lag), else 0",
            value=1.0 if self.up else 0.0,
        )
        if not self.up:
            return  # no figures rather than stale ones
        waiting = GaugeMetricFamily(
            "journeys_waiting",
            "Journeys waiting for a submission, by journey and the state they wait in",
            labels=["journey", "state"],
        )
        for journey, state, count in self.waiting:
            waiting.add_metric([journey, state], count)
        yield waiting
        yield GaugeMetricFamily(
            "journeys_timer_lag_seconds",
            "Now minus the due time of the oldest step timeout not yet fired (0 when none is due)",
            value=self.timer_lag_seconds,
        )
        yield GaugeMetricFamily(
            "journeys_event_outbox_unpublished",
            "kafkaPublish:v1 records in the event outbox that no relay has sent yet (counted up to 100000)",
            value=self.unpublished_events,
        )
        yield GaugeMetricFamily(
            "journeys_event_outbox_lag_seconds",
            "Now minus the commit time of the oldest record not sent yet (0 when none waits)",
            value=self.event_lag_seconds,
        )


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.started = self._counter("journeys_started", "Journeys started, by journey", "journey")
        self.transitions = self._counter(
            "journeys_transitions",
            "Committed advances of journeys, by journey and the event that caused them "
            "(start, step, timeout, cancel, resume, retry, migrate)",
            "journey",
            "event",
        )
        self.outcomes = self._counter(
            "journeys_outcomes",
            "Journeys that ended, by journey, phase and error code (empty when Succeeded)",
            "journey",
            "phase",
            "error_code",
        )
        self.step_submissions = self._counter(
            "journeys_step_submissions",
            "Submissions to journeys' step URLs, by journey, step and the inbound log's verdict",
            "journey",
            "step",
            "verdict",
        )
        self.deliveries = self._counter(
            "journeys_inbound_deliveries",
            "Deliveries to inbound sources' URLs, by source and the inbound log's verdict",
            "source",
            "verdict",
        )
        self.request_seconds = self._histogram(
            "journeys_http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route template",
            REQUEST_BUCKETS,
            "method",
            "route",
        )
        self.responses = self._counter(
            "journeys_http_responses", "HTTP answers, by method, route template and status", "method", "route", "status"
        )
        self.call_seconds = self._histogram(
            "journeys_outbound_call_duration_seconds",
            "Time an outbound httpCall took, by journey and task state",
            CALL_BUCKETS,
            "journey",
            "state",
        )
        self.call_failures = self._counter(
            "journeys_outbound_call_failures",
            "Outbound httpCalls that got no answer (timeout, network) or a 5xx, by journey, state and kind",
            "journey",
            "state",
            "kind",
        )
        self.result_pushes = self._counter(
            "journeys_result_push_attempts",
            "Attempts to POST ended journeys' outcomes to their callback URLs, by how each ended "
            "(delivered, retrying, abandoned)",
            "outcome",
        )
        self.commit_seconds = Histogram(
            "journeys_database_commit_duration_seconds",
            "Time a group commit of journey writes took, from the writer's point of view",
            buckets=COMMIT_BUCKETS,
            registry=self.registry,
        )
        self.database = DatabaseGauges()
        self.registry.register(self.database)

    def _counter(self, name: str, documentation: str, *labels: str) -> Children[Counter]:
        return Children(Counter(name, documentation, labels, registry=self.registry))

    def _histogram(
        self, name: str, documentation: str, buckets: tuple[float, ...], *labels: str
    ) -> Children[Histogram]:
        return Children(Histogram(name, documentation, labels, buckets=buckets, registry=self.registry))
