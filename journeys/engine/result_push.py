"""Result push: when a journey that asked for it ends, its outcome is POSTed to its callback URL, signed.

A journey asks through its definition (`spec.lifecycle.callbackUrl`) or its start (a `callbackUrl` field of the
start body, which the journey's input schema must accept; the start's wins). The URL is fixed on the journey at
its start. The push is not sent by the advance that ends the journey: that advance puts it in the outbox, in its
own transaction (`InstanceRecord.result_push`, set by `snapshots.record_of`), so a push exists exactly when the
end was committed. A delivery worker (`ResultPusher.run`, started beside the scheduler) claims due pushes and POSTs
each through the outbound HTTP port, with Standard Webhooks headers (`push_signing`). A 2xx answer settles it;
anything else (another status, no answer) is tried again after an exponential, jittered delay, until the push is
`give_up_after` old. Every attempt is logged and shown (`GET /journeys/{id}/notifications`).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import orjson

from journeys.definitions.callback_urls import callback_url_refusal
from journeys.definitions.model import JourneyDefinition
from journeys.engine.errors import InvalidInput
from journeys.engine.outbound import OutboundError, OutboundHttp, OutboundRequest
from journeys.engine.outcome_document import outcome_document
from journeys.engine.push_signing import signed_headers
from journeys.outages import log_failure
from journeys.store import InstanceRecord
from journeys.store.push_records import ABANDONED, DELIVERED, PENDING, ClaimedPush, PushAttempt, PushStatus, ResultPush

if TYPE_CHECKING:
    from journeys.engine.service import JourneyEngine

log = logging.getLogger("journeys.result_push")

CALLBACK_FIELD = "callbackUrl"
MAX_ANSWER_KEPT = 200  # characters of a refusing receiver's answer kept with the attempt


@dataclass(frozen=True)
class PushSettings:
    """How pushes are signed and retried (the server's `resultPush*` settings).

    `keys`: the HMAC keys of the configured secrets (the first signs, all are sent during a rotation); without one,
    nothing is sent and each attempt says why. `allowed_hosts`: the hosts callback URLs may name (None: any).
    """

    keys: tuple[bytes, ...] = ()
    give_up_after: timedelta = timedelta(hours=24)
    allowed_hosts: frozenset[str] | None = None
    first_retry: timedelta = timedelta(seconds=5)
    max_retry: timedelta = timedelta(hours=1)
    timeout_seconds: float = 10.0
    lease: timedelta = timedelta(seconds=60)
    batch: int = 50


def outcome_push(record: InstanceRecord, *, links: bool) -> ResultPush | None:
    """The push of `record`'s outcome when it ends a journey that has a callback URL, else None."""
    if record.callback_url is None:
        return None
    body = orjson.dumps(outcome_document(record, links=links)).decode()
    return ResultPush(f"msg_{uuid.uuid4().hex}", record.id, record.callback_url, body, record.updated_at)


def retry_delay(attempts: int, settings: PushSettings) -> timedelta:
    """The wait after the `attempts`-th failed attempt: doubling from `first_retry` up to `max_retry`, the second
    half of it random, so receivers coming back from an outage are not hit by every push at once."""
    ceiling = min(settings.max_retry, settings.first_retry * 2 ** min(attempts - 1, 30))
    return ceiling / 2 + ceiling / 2 * random.random()


def _shown_url(url: str) -> str:
    """The URL without its query: callback URLs often carry a token there, and logs must not."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


class ResultPusher:
    """The start-time choice of a callback URL, the delivery worker, and the reads of pushes."""

    def __init__(self, engine: JourneyEngine, settings: PushSettings, outbound: OutboundHttp) -> None:
        self._engine = engine
        self.settings = settings
        self._outbound = outbound
        self._wake = asyncio.Event()

    def callback_url(self, definition: JourneyDefinition, body: Mapping[str, Any]) -> str | None:
        """Where a journey started with `body` pushes its outcome: the start's `callbackUrl`, else the definition's;
        InvalidInput (a 400) when the start names one this server may not push to."""
        url = body.get(CALLBACK_FIELD)
        if url is None:
            return definition.callback_url
        refusal = callback_url_refusal(url, self.settings.allowed_hosts)
        if refusal is not None:
            raise InvalidInput(f"the start's {CALLBACK_FIELD} {refusal}", [f"$.{CALLBACK_FIELD}: {refusal}"])
        return str(url)

    def wake(self) -> None:
        """A push was just committed: deliver it now rather than at the next poll."""
        self._wake.set()

    async def of_journey(self, journey_id: str, *, owner: str | None = None) -> list[PushStatus]:
        """The journey's pushes with their attempts (JourneyNotFound, as for any read, when `owner` does not own it)."""
        await self._engine.get(journey_id, owner=owner)
        return await self._engine.store.outbox.of_journey(journey_id)

    async def run(self, interval: float, stop: asyncio.Event) -> None:
        """Until `stop` is set: deliver due pushes, then sleep `interval` or until a push is committed. Stopped
        between rounds, never in one (see `JourneyEngine.run_scheduler`)."""
        while not stop.is_set():
            try:
                await self.deliver_due()
            except Exception as error:  # keep the worker alive; the next round retries
                log_failure(error, "result push", log, "result push round failed")
            waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._wake.wait())]
            await asyncio.wait(waiters, timeout=interval, return_when=asyncio.FIRST_COMPLETED)
            for waiter in waiters:
                waiter.cancel()
            self._wake.clear()

    async def deliver_due(self) -> int:
        """Claim the pushes due now and make one attempt at each (concurrently); returns how many were tried."""
        now = self._engine.clock()
        if not await self._engine.store.outbox.any_due(now):
            return 0
        claimed = await self._engine.store.outbox.claim(now, self.settings.lease, self.settings.batch)
        await asyncio.gather(*(self._attempt(push) for push in claimed))
        return len(claimed)

    async def _attempt(self, claimed: ClaimedPush) -> None:
        push, settings = claimed.push, self.settings
        began, at = time.perf_counter(), self._engine.clock()
        # A host taken off the allow-list since the journey started is never pushed to: given up at once.
        refusal = callback_url_refusal(push.url, settings.allowed_hosts)
        status, error = (None, f"not sent: the callback URL {refusal}") if refusal else await self._send(push)
        attempt = PushAttempt(at, status, error, (time.perf_counter() - began) * 1000)
        give_up_at = push.created_at + settings.give_up_after
        if status is not None and 200 <= status < 300:
            outcome, next_at = DELIVERED, None
        elif refusal is not None or at >= give_up_at:
            outcome, next_at = ABANDONED, None
        else:
            outcome, next_at = PENDING, min(at + retry_delay(claimed.attempts + 1, settings), give_up_at)
        self._engine.observer.result_pushed(outcome if outcome != PENDING else "retrying")
        if outcome != DELIVERED:
            why = f"answered {status}" if status is not None else error
            log.warning(
                "result push %s of journey %s to %s: %s (%s)",
                push.id,
                push.journey_id,
                _shown_url(push.url),
                why,
                "retrying" if outcome == PENDING else "given up",
            )
        if not await self._engine.store.outbox.settle(claimed, attempt, outcome, next_at):
            # The lease lapsed while sending and another worker holds the push: the attempt is logged, nothing else.
            log.info("result push %s was taken over by another worker while it was being sent", push.id)

    async def _send(self, push: ResultPush) -> tuple[int | None, str | None]:
        """POST the push once: the receiver's status (and a refusal's answer), or why it was not sent or answered."""
        if not self.settings.keys:
            return None, "not sent: no result push secret is configured (resultPush.secret), so it cannot be signed"
        body = push.body.encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "journeys-result-push",
            **signed_headers(self.settings.keys, push.id, int(time.time()), body),
        }
        request = OutboundRequest("POST", push.url, headers, body, self.settings.timeout_seconds)
        try:
            response = await self._outbound.send(request)
        except OutboundError as error:
            return None, f"{error.kind}: {error.message}"
        if 200 <= response.status < 300:
            return response.status, None
        return response.status, response.body[:MAX_ANSWER_KEPT].decode("utf-8", "replace") or None
