"""When a failed HTTP call is tried again, and after how long (`spec.policies.httpResilience`).

The interpreter asks `retry_after` once a call's outcome is known: a retryable failure with attempts left arms a
durable `retry` timer instead of recording the result, so the journey waits for the backoff as a row (a restart in
the middle neither loses the attempt nor makes one twice beyond at-least-once delivery of the call itself). Every
attempt of one call sends the same idempotency key. Backoff is exponential with "full jitter" by default (a random
delay up to the exponential bound), which spreads the retries of many journeys failing together.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta

from journeys.definitions.model import RetryPolicy
from journeys.engine.outbound import OutboundError, OutboundResponse


def retryable(policy: RetryPolicy, outcome: OutboundResponse | OutboundError) -> bool:
    """Whether the policy retries this outcome: NETWORK_ERROR covers every call without a response (timeouts
    included); TIMEOUT only timeouts; HTTP_5XX, HTTP_429, HTTP_408 and listed statuses their responses."""
    conditions = policy.retry_on
    if isinstance(outcome, OutboundError):
        return "NETWORK_ERROR" in conditions or (outcome.kind == "TIMEOUT" and "TIMEOUT" in conditions)
    status = outcome.status
    return (
        status in policy.statuses
        or (500 <= status <= 599 and "HTTP_5XX" in conditions)
        or (status == 429 and "HTTP_429" in conditions)
        or (status == 408 and "HTTP_408" in conditions)
    )


def retry_delay(policy: RetryPolicy, retry: int, draw: Callable[[], float] = random.random) -> timedelta:
    """The wait before retry number `retry` (1 = the first retry): base * factor^(retry-1), at most the maximum,
    times a uniform draw in [0, 1) with full jitter."""
    bound = min(float(policy.max_delay_ms), policy.base_delay_ms * policy.factor ** (retry - 1))
    delay = bound * draw() if policy.jitter == "full" else bound
    return timedelta(milliseconds=delay)


def retry_after(
    policy: RetryPolicy | None, outcome: OutboundResponse | OutboundError | None, retries_done: int
) -> timedelta | None:
    """The backoff before trying the call again, or None when its outcome stands (success, not retryable, or no
    attempts left)."""
    if policy is None or outcome is None or retries_done + 1 >= policy.max_attempts:
        return None
    return retry_delay(policy, retries_done + 1) if retryable(policy, outcome) else None
