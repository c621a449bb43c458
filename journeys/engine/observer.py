"""What the engine tells whoever watches it: commits, answered deliveries and outbound calls, as they happen.

The engine knows no metrics or log format: the server's observability package (`journeys.server.observability`)
subclasses `EngineObserver` to count and log, and sets its instance as `JourneyEngine.observer`. The base class
ignores everything, so an engine nobody watches pays one empty method call per event. Observers are told after the
fact, on the hot path, and nothing waits for them: they must be cheap and must not raise.
"""

from __future__ import annotations

import time

from journeys.engine.http_calls import PendingCall
from journeys.engine.outbound import OutboundError, OutboundHttp, OutboundResponse
from journeys.store import InstanceRecord


class EngineObserver:
    def committed(self, before: InstanceRecord | None, after: InstanceRecord, event: str) -> None:
        """`after` is committed: a new journey (`before` None, `event` "start") or an advance from `before`
        caused by `event` (step, timeout, cancel, resume, retry, migrate)."""

    def step_answered(self, journey: str, step: str | None, verdict: str) -> None:
        """A submission to a step URL of a `journey` journey was answered with `verdict` (the inbound log's:
        applied, duplicate, rejected:<cause>, ...); `step` is None when the journey has no such step."""

    def delivery_answered(self, source: str, verdict: str) -> None:
        """A delivery to inbound `source`'s URL was answered with `verdict`."""

    def called(self, journey: str, state: str, seconds: float, status: int | None, failure: str | None) -> None:
        """An outbound call of `state` took `seconds` and was answered `status`, or got no answer (`failure`:
        TIMEOUT or NETWORK)."""

    def result_pushed(self, outcome: str) -> None:
        """An attempt to push a journey's outcome to its callback URL ended `outcome`: delivered, retrying (it will
        be tried again) or abandoned (given up)."""


async def send_observed(
    outbound: OutboundHttp, observer: EngineObserver, journey: str, call: PendingCall
) -> OutboundResponse | OutboundError:
    """Perform `call` and tell `observer` how long it took and how it ended; a call that got no answer returns its
    OutboundError (the interpreter branches on it) instead of raising it."""
    began = time.perf_counter()
    try:
        response = await outbound.send(call.request)
    except OutboundError as error:
        observer.called(journey, call.state_id, time.perf_counter() - began, None, error.kind)
        return error
    observer.called(journey, call.state_id, time.perf_counter() - began, response.status, None)
    return response
