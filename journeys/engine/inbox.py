"""The inbox: verified deliveries that arrived before their journey waited for them.

They are rows of the inbound log with the verdict `buffered`. The moment a journey starts waiting for their
(source, key) they are applied, oldest first, one advance each; past the source's TTL they become `expired`.
An operator can replay an `unmatched` or `expired` one. A periodic sweep repairs what a crash or another
process left: deliveries whose journey now waits are applied, expired ones are marked.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import orjson

from journeys.definitions.model import ExternalInputState
from journeys.engine.delivery_records import (
    BUFFERED,
    EXPIRED,
    UNMATCHED,
    PendingDelivery,
    correlate,
    schema_reason,
)
from journeys.engine.errors import AuthRejected, NotReplayable
from journeys.engine.inbound_messages import InboundMessage
from journeys.engine.interpreter import Interpreter
from journeys.outages import log_failure
from journeys.store import AdvanceOutcome, DeliveryRecord, InboxClaim, InstanceRecord

if TYPE_CHECKING:
    from journeys.engine.deliveries import InboundDesk

log = logging.getLogger("journeys.inbound")

REPLAYABLE = frozenset({UNMATCHED, EXPIRED})
REFUSED = "refused"
PRUNE_EVERY = timedelta(minutes=1)
MAX_DRAINED = 1000  # per pass: a key with more waiting deliveries is finished by the next sweep


class Inbox:
    def __init__(self, desk: InboundDesk) -> None:
        self._desk = desk
        # Sources whose inbox may hold deliveries: a journey that starts waiting for one of their keys looks
        # into the inbox at once; for the others that read is skipped. Refreshed from the database by every
        # sweep, which also applies what a hint missed (another process buffered it) within one tick.
        self._sources: set[str] = set(desk.sources)
        self._buffered_since_sweep: set[str] = set()
        self._pruned_at: datetime | None = None
        self._draining: set[tuple[str, str]] = set()
        self._again: set[tuple[str, str]] = set()

    async def drain(self, source_name: str, key: str) -> int:
        """Apply the inbox of (source, key), oldest first, while a journey waits for that key.

        One drain per (source, key) runs in this process at a time: a request for another while one runs makes
        that one look again when it is done, so two drains never run the same delivery's advance side by side.
        """
        slot = (source_name, key)
        if slot in self._draining:
            self._again.add(slot)
            return 0
        self._draining.add(slot)
        applied = 0
        try:
            while True:
                self._again.discard(slot)
                applied += await self._drain_once(source_name, key)
                if slot not in self._again:
                    return applied
        except Exception as error:  # a background task: log, and let the scheduler's sweep try again
            log_failure(error, "an inbox drain", log, "applying the inbox of source '%s' failed", source_name)
            return applied
        finally:
            self._draining.discard(slot)

    async def _drain_once(self, source_name: str, key: str) -> int:
        applied = 0
        for _ in range(MAX_DRAINED):
            items = await self._desk.deliveries.buffered(source_name, key, limit=1)
            if not items:
                break
            holder = await self._desk.engine.store.inbound_holder(source_name, key)
            target = await self._desk.waiting_step(holder, self._desk.sources.get(source_name), key)
            if target is None:
                break
            if await self._apply_stored(items[0], BUFFERED, *target) == AdvanceOutcome.APPLIED:
                applied += 1
        return applied

    async def sweep(self) -> None:
        """Periodic: expire inbox deliveries past their TTL; apply those whose journey waits now (crash repair,
        other processes' deliveries); refresh which sources have an inbox at all; once a minute, drop log rows
        older than the retention."""
        now = self._desk.engine.clock()
        await self._desk.deliveries.expire(now)
        if self._pruned_at is None or now - self._pruned_at >= PRUNE_EVERY:
            self._pruned_at = now
            await self._desk.deliveries.prune(now - self._desk.retention)
        for source_name, key in await self._desk.deliveries.ready():
            await self.drain(source_name, key)
        since, self._buffered_since_sweep = self._buffered_since_sweep, set()
        self._sources = set(await self._desk.deliveries.buffered_sources()) | since | self._buffered_since_sweep

    def may_have_inbox(self, source_name: str) -> bool:
        return source_name in self._sources

    def note_buffered(self, source_name: str) -> None:
        self._sources.add(source_name)
        self._buffered_since_sweep.add(source_name)

    async def replay(self, delivery_id: str) -> DeliveryRecord:
        """Route a stored `unmatched` or `expired` delivery again: apply it, or put it back in the inbox."""
        item = await self._desk.engine.inbound_log.get(delivery_id)
        source = self._desk.sources.get(item.source or "")
        if item.verdict not in REPLAYABLE or source is None or item.body is None:
            raise NotReplayable(
                f"delivery {delivery_id} is '{item.verdict}': only unmatched or expired deliveries of a loaded "
                "source with a readable body can be replayed"
            )
        payload = orjson.loads(item.body)
        key, reason = correlate(payload, InboundMessage(b""), source)
        if key is None:
            raise NotReplayable(f"delivery {delivery_id} still names no journey: {reason}")
        item.correlation_key = key
        holder = await self._desk.engine.store.inbound_holder(source.name, key)
        target = await self._desk.waiting_step(holder, source, key)
        outcome = AdvanceOutcome.CONFLICT if target is None else await self._apply_stored(item, item.verdict, *target)
        if outcome == AdvanceOutcome.CONFLICT:  # nobody (or somebody busy) waits for it: back into the inbox
            expires = self._desk.engine.clock() + timedelta(seconds=max(source.inbox_ttl_sec, 1))
            self.note_buffered(source.name)
            await self._desk.deliveries.settle(item, item.verdict, BUFFERED, reason="replayed", expires_at=expires)
            self._desk.engine.spawn(self.drain(source.name, key))
        return await self._desk.engine.inbound_log.get(delivery_id)

    async def _apply_stored(
        self,
        item: DeliveryRecord,
        expected: str,
        record: InstanceRecord,
        interpreter: Interpreter,
        step: ExternalInputState,
    ) -> str:
        """Apply a delivery kept in the log (inbox or replay): APPLIED, REFUSED (now `unmatched`) or CONFLICT."""
        payload = None if item.body is None else orjson.loads(item.body)
        errors = step.input_schema.errors(payload)
        if errors:
            await self._desk.deliveries.settle(item, expected, UNMATCHED, reason=schema_reason(step, errors))
            return REFUSED
        d = PendingDelivery(item.id, item.received_at, time.perf_counter(), InboundMessage(b""), payload=payload)
        claim = InboxClaim(item.id, expected, record.id, step.id, str(item.correlation_key))
        try:
            outcome, _ = await self._desk.apply(d, record, interpreter, step, None, claim)
        except AuthRejected:
            reason = "the step's auth task refused it (stored deliveries carry no request headers)"
            await self._desk.deliveries.settle(item, expected, UNMATCHED, reason=reason)
            return REFUSED
        return AdvanceOutcome.APPLIED if outcome == AdvanceOutcome.APPLIED else AdvanceOutcome.CONFLICT

