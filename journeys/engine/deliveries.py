"""The inbound desk: deliveries on a journey's step URL and on a source's fixed URL, verified, deduplicated,
correlated, applied, parked in the inbox or logged, each answered as its sender needs.

Order of business for every delivery: read the body; verify it on its raw bytes (a failure is answered 401/403
and changes nothing); look for an earlier delivery with the same dedupe key (a retry gets the first answer and
adds no transition); then either apply it to the journey waiting for it, in the same transaction as the
delivery's own log row, or keep it: `late` when its journey already ended, `buffered` in the inbox when no
journey waits for its key yet (applied, oldest first, the moment one does), `unmatched` when it names no
journey this server can find. Every one of them is recorded in the inbound log.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import orjson

from journeys.definitions.inbound_model import InboundSource
from journeys.definitions.model import ExternalInputState
from journeys.engine.api_keys import ApiKeyProfile
from journeys.engine.delivery_records import (
    APPLIED,
    BUFFERED,
    DUPLICATE,
    EXPIRED,
    LATE,
    UNMATCHED,
    PendingDelivery,
    Receipt,
    correlate,
    delivery_key,
    problem_answer,
    source_answer,
)
from journeys.engine.errors import (
    AuthRejected,
    ConcurrentUpdate,
    DeliveryNotFound,
    DeliveryRejected,
    EngineConfigurationError,
    EngineError,
    InboundBusy,
    InvalidBody,
    InvalidInput,
    NotReplayable,
    StepNotActive,
    UnknownSource,
)
from journeys.engine.inbound_messages import (
    Answer,
    InboundMessage,
    body_digest,
    dedupe_key,
    parse_body,
    redact,
    stored_body,
)
from journeys.engine.interpreter import InboundRequest, Interpreter
from journeys.engine.lifecycle import RUNNING, TERMINAL_PHASES
from journeys.engine.verification import SignedRequest, verify_delivery
from journeys.store import AdvanceOutcome, DeliveryRecord, InboxClaim, InstanceRecord, KeyInUse

if TYPE_CHECKING:
    from journeys.engine.service import JourneyEngine, Snapshot

log = logging.getLogger("journeys.inbound")

REPLAYABLE = frozenset({UNMATCHED, EXPIRED})
MAX_ROUTING_ATTEMPTS = 5

Render = Callable[["Snapshot"], Answer]


@contextmanager
def _naming_the_log_row(d: PendingDelivery) -> Iterator[None]:
    """A refusal of a logged delivery names its log row, so the answer's headers can point at it."""
    try:
        yield
    except EngineError as error:
        if d.logged is not None:
            error.delivery_id, error.verdict = d.id, d.logged
        raise


class InboundDesk:
    def __init__(
        self, engine: JourneyEngine, sources: Mapping[str, InboundSource], secrets: Mapping[str, ApiKeyProfile]
    ) -> None:
        self._engine = engine
        self.sources = dict(sources)
        self._secrets = secrets
        # Sources whose inbox may hold deliveries: a journey that starts waiting for one of their keys looks
        # into the inbox at once; for the others that read is skipped. Refreshed from the database by every
        # sweep, which also applies what a hint missed (another process buffered it) within one tick.
        self._inbox_sources: set[str] = set(self.sources)
        self._buffered_since_sweep: set[str] = set()

    @property
    def _deliveries(self) -> Any:
        return self._engine.store.deliveries

    # -- the two URLs ----------------------------------------------------------------------------

    async def submit_step(self, journey_id: str, step_id: str, message: InboundMessage, render: Render) -> Receipt:
        """`POST /journeys/{id}/steps/{step}`: apply a submission, or answer a retry of one as it was answered."""
        record, interpreter = await self._engine.load(journey_id)
        step = interpreter.definition.external_input(step_id)
        source = self.sources.get(step.source) if step is not None and step.source else None
        d = self._begin(message, source)
        d.journey_id, d.step_id = journey_id, step_id
        with _naming_the_log_row(d):
            return await self._submit_step(d, record, interpreter, step, render)

    async def _submit_step(
        self,
        d: PendingDelivery,
        record: InstanceRecord,
        interpreter: Interpreter,
        step: ExternalInputState | None,
        render: Render,
    ) -> Receipt:
        definition, source, message = interpreter.definition, d.source, d.message
        journey_id, step_id = record.id, str(d.step_id)
        try:
            d.payload = parse_body(message)
        except InvalidBody as error:
            await self._log(d, "rejected:malformed-body", problem_answer(400, error.detail))
            raise
        if source is not None:
            await self._verify(d, source)
            scope, sender_key = f"source:{source.name}", delivery_key(d, source)
        else:
            scope = f"step:{journey_id}:{step_id}"
            sender_key = message.header("Idempotency-Key") or body_digest(message.body)
        d.dedupe = dedupe_key(scope, sender_key)
        d.stored = stored_body(redact(d.payload, source.redact if source else ()))
        current = self._engine.snapshot(record, definition)
        if step is None or record.phase != RUNNING or not record.waiting or record.current_state != step_id:
            if source is None or step is None:
                duplicate = await self._duplicate(d)  # a retry of a submission that ended the journey
                if duplicate is not None:
                    return duplicate
                detail = (
                    f"journey {journey_id} already ended ({record.phase}); step '{step_id}' is closed"
                    if record.phase in TERMINAL_PHASES
                    else f"journey {journey_id} is not waiting at step '{step_id}' "
                    f"(current state: '{record.current_state}')"
                )
                await self._log(d, "rejected:step-not-active", problem_answer(409, detail))
                raise StepNotActive(detail)
            holder = record if record.phase in TERMINAL_PHASES else None
            return await self._park(d, source, holder, render(current))
        errors = step.input_schema.errors(d.payload)
        if errors:
            detail = f"the body does not match the input schema of step '{step_id}'"
            await self._log(d, "rejected:invalid-body", problem_answer(400, detail))
            raise InvalidInput(detail, errors)
        _, receipt = await self._apply(d, record, interpreter, step, render)
        if receipt is not None:
            return receipt
        detail = f"journey {journey_id} was advanced by another request; nothing was applied"
        await self._log(d, "rejected:concurrent-update", problem_answer(409, detail))
        raise ConcurrentUpdate(detail)

    async def deliver(self, source_name: str, message: InboundMessage) -> Receipt:
        """`POST /inbound/{source}`: find the journey waiting for the delivery's key and apply it, or keep it."""
        source = self.sources.get(source_name)
        if source is None:
            raise UnknownSource(f"no inbound source named '{source_name}' is loaded")
        d = self._begin(message, source)
        with _naming_the_log_row(d):
            return await self._deliver(d, source)

    async def _deliver(self, d: PendingDelivery, source: InboundSource) -> Receipt:
        message = d.message
        unreadable = None
        try:
            d.payload = parse_body(message)
        except InvalidBody as error:
            unreadable = error.detail
        await self._verify(d, source)
        d.dedupe = dedupe_key(f"source:{source.name}", delivery_key(d, source))
        d.stored = stored_body(redact(d.payload, source.redact)) if unreadable is None else None
        if unreadable is not None:
            return await self._keep(d, source, UNMATCHED, reason=unreadable)
        key, reason = correlate(d.payload, message, source)
        if key is None:
            return await self._keep(d, source, UNMATCHED, reason=reason)
        d.correlation_key = key
        for _ in range(MAX_ROUTING_ATTEMPTS):
            holder = await self._engine.store.inbound_holder(source.name, key)
            target = self._waiting_step(holder, source, key)
            if target is None:
                return await self._park(d, source, holder)
            record, interpreter, step = target
            d.journey_id, d.step_id = record.id, step.id
            errors = step.input_schema.errors(d.payload)
            if errors:
                reason = f"does not match the input schema of step '{step.id}': {'; '.join(errors[:3])}"
                return await self._keep(d, source, UNMATCHED, reason=reason)
            _, receipt = await self._apply(d, record, interpreter, step, lambda _: source_answer(source, d))
            if receipt is not None:
                return receipt
        raise InboundBusy(f"journey {d.journey_id} kept changing while this delivery was applied; retry it")

    # -- the inbox ----------------------------------------------------------------------------

    async def drain(self, source_name: str, key: str) -> int:
        """Apply the inbox of (source, key), oldest first, while a journey waits for that key."""
        applied = 0
        try:
            for _ in range(1000):
                items = await self._deliveries.buffered(source_name, key, limit=1)
                if not items:
                    break
                item = items[0]
                holder = await self._engine.store.inbound_holder(source_name, key)
                target = self._waiting_step(holder, self.sources.get(source_name), key)
                if target is None:
                    break
                if await self._apply_stored(item, BUFFERED, *target):
                    applied += 1
        except Exception:  # a background task: log, and let the scheduler's sweep try again
            log.exception("applying the inbox of source '%s' failed", source_name)
        return applied

    async def sweep(self) -> None:
        """Periodic: expire inbox deliveries past their TTL; apply those whose journey waits now (crash repair,
        other processes' deliveries); refresh which sources have an inbox at all."""
        await self._deliveries.expire(self._engine.clock())
        for source_name, key in await self._deliveries.ready():
            await self.drain(source_name, key)
        since, self._buffered_since_sweep = self._buffered_since_sweep, set()
        self._inbox_sources = set(await self._deliveries.buffered_sources()) | since | self._buffered_since_sweep

    def may_have_inbox(self, source_name: str) -> bool:
        return source_name in self._inbox_sources

    def _note_buffered(self, source_name: str) -> None:
        self._inbox_sources.add(source_name)
        self._buffered_since_sweep.add(source_name)

    async def replay(self, delivery_id: str) -> DeliveryRecord:
        """Route a stored `unmatched` or `expired` delivery again: apply it, or put it back in the inbox."""
        item = await self._deliveries.get(delivery_id)
        if item is None:
            raise DeliveryNotFound(f"no inbound delivery with id '{delivery_id}'")
        source = self.sources.get(item.source or "")
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
        holder = await self._engine.store.inbound_holder(source.name, key)
        target = self._waiting_step(holder, source, key)
        if target is None or not await self._apply_stored(item, item.verdict, *target):
            expires = self._engine.clock() + timedelta(seconds=max(source.inbox_ttl_sec, 1))
            self._note_buffered(source.name)
            await self._deliveries.settle(item, item.verdict, BUFFERED, reason="replayed", expires_at=expires)
            self._engine.spawn(self.drain(source.name, key))
        return await self._deliveries.get(delivery_id)  # type: ignore[no-any-return]

    # -- steps of the business ----------------------------------------------------------------

    def _begin(self, message: InboundMessage, source: InboundSource | None) -> PendingDelivery:
        # Time-ordered ids: the log pages on (received_at, id), and an injected clock may stand still.
        delivery_id = f"{time.time_ns():016x}{uuid.uuid4().hex[:16]}"
        return PendingDelivery(delivery_id, self._engine.clock(), time.perf_counter(), message, source)

    async def _verify(self, d: PendingDelivery, source: InboundSource) -> None:
        spec = source.verify
        request = SignedRequest(d.message.body, d.message.headers, d.payload)
        try:
            result = verify_delivery(spec, self._secrets.get(spec.secrets), request, self._engine.clock())
        except EngineConfigurationError as error:
            await self._log(d, "rejected:configuration", problem_answer(500, error.detail))
            raise
        if not result.ok:
            detail = f"the delivery failed '{spec.preset}' verification ({result.cause})"
            await self._log(d, f"rejected:{result.cause}", problem_answer(spec.reject_status, detail))
            raise DeliveryRejected(detail, spec.reject_status, str(result.cause))
        d.key_id, d.sender_id = result.key_id, result.delivery_id

    def _waiting_step(
        self, holder: InstanceRecord | None, source: InboundSource | None, key: str
    ) -> tuple[InstanceRecord, Interpreter, ExternalInputState] | None:
        """The journey, interpreter and step that wait for (source, key) right now, if any."""
        if holder is None or source is None or holder.inbound_open_key != key or holder.phase != RUNNING:
            return None
        interpreter = self._engine.interpreter_for(holder)
        step = interpreter.definition.external_input(holder.current_state) if interpreter else None
        if interpreter is None or step is None or step.source != source.name:
            return None
        return holder, interpreter, step

    async def _apply(
        self,
        d: PendingDelivery,
        record: InstanceRecord,
        interpreter: Interpreter,
        step: ExternalInputState,
        render: Render,
        inbox: InboxClaim | None = None,
    ) -> tuple[str, Receipt | None]:
        """Advance the journey with the delivery and commit both together; (outcome, receipt or None on conflict)."""
        engine = self._engine
        now = engine.clock()
        run = engine.run_from(record)
        run.context["payload"] = d.payload
        run.path.append(step.id)
        run.resumed_from = step.id
        request = InboundRequest(headers=d.message.headers, query=d.message.query)
        await engine.advance(interpreter, run, step.next, request, now)
        if run.auth_problem is not None and run.waiting and run.state == step.id:
            detail = str(run.auth_problem.get("detail") or "authentication failed")
            await self._log(d, "rejected:unauthorized", problem_answer(401, detail))
            raise AuthRejected(detail, dict(run.auth_problem))
        while True:
            after = engine.record_after(record, run, now)
            detail = {"step": step.id, "delivery": d.id}
            transition = engine.transition_of(record, after, run, "step", now, detail)
            answer = render(engine.snapshot(after, interpreter.definition, step))
            owner = None if inbox is not None else d.row(APPLIED, answer, owner=True)
            try:
                outcome = await self._deliveries.apply(after, record.version, transition, delivery=owner, inbox=inbox)
                break
            except KeyInUse:
                engine.fail_key_in_use(record, run)
        if outcome == AdvanceOutcome.APPLIED:
            engine.after_commit(record, after)
            return outcome, Receipt(APPLIED, answer, d.id, record.id)
        if outcome == AdvanceOutcome.DUPLICATE:
            return outcome, await self._duplicate(d)
        return outcome, None

    async def _apply_stored(
        self,
        item: DeliveryRecord,
        expected: str,
        record: InstanceRecord,
        interpreter: Interpreter,
        step: ExternalInputState,
    ) -> bool:
        """Apply a delivery kept in the log (inbox or replay); True when it was applied."""
        payload = None if item.body is None else orjson.loads(item.body)
        errors = step.input_schema.errors(payload)
        if errors:
            reason = f"does not match the input schema of step '{step.id}': {'; '.join(errors[:3])}"
            await self._deliveries.settle(item, expected, UNMATCHED, reason=reason)
            return False
        d = PendingDelivery(item.id, item.received_at, time.perf_counter(), InboundMessage(b""), payload=payload)
        claim = InboxClaim(item.id, expected, record.id, step.id)
        try:
            outcome, _ = await self._apply(d, record, interpreter, step, lambda _: Answer(200, "", ""), claim)
        except AuthRejected:
            return False
        return outcome == AdvanceOutcome.APPLIED

    async def _park(
        self, d: PendingDelivery, source: InboundSource, holder: InstanceRecord | None, answer: Answer | None = None
    ) -> Receipt:
        """A verified delivery no journey waits for now: late for an ended journey, else into the inbox.

        `answer` overrides the source's answer (the step URL answers with the journey's status).
        """
        if holder is None or holder.phase not in TERMINAL_PHASES:
            key, reason = correlate(d.payload, d.message, source)
            if key is None:
                return await self._keep(d, source, UNMATCHED, reason=reason, answer=answer)
            d.correlation_key = key
            holder = await self._engine.store.inbound_holder(source.name, key)
        if holder is not None and holder.phase in TERMINAL_PHASES:
            d.journey_id = holder.id
            return await self._keep(d, source, LATE, reason=f"the journey ended {holder.phase}", answer=answer)
        if source.inbox_ttl_sec == 0:
            return await self._keep(d, source, UNMATCHED, reason="no journey waits for its key", answer=answer)
        expires = self._engine.clock() + timedelta(seconds=source.inbox_ttl_sec)
        self._note_buffered(source.name)
        receipt = await self._keep(d, source, BUFFERED, answer=answer, expires_at=expires)
        if receipt.verdict == BUFFERED and d.correlation_key is not None:
            # The journey may have started waiting while this was decided: its own drain ran before this row.
            self._engine.spawn(self.drain(source.name, d.correlation_key))
        return receipt

    async def _keep(
        self,
        d: PendingDelivery,
        source: InboundSource,
        verdict: str,
        *,
        reason: str | None = None,
        answer: Answer | None = None,
        expires_at: datetime | None = None,
    ) -> Receipt:
        """Record a verified delivery that changes no journey, as the owner of its dedupe key."""
        answer = answer or source_answer(source, d, verdict)
        if not await self._deliveries.claim(d.row(verdict, answer, owner=True, reason=reason, expires_at=expires_at)):
            return await self._duplicate(d)  # type: ignore[return-value]
        return Receipt(verdict, answer, d.id, d.journey_id)

    async def _duplicate(self, d: PendingDelivery) -> Receipt | None:
        """A retry of a delivery already recorded: logged, answered as the first one was, nothing applied."""
        owner = await self._deliveries.owner(d.dedupe)
        if owner is None:
            return None
        answer = Answer.from_stored(owner.answer) if owner.answer else problem_answer(200, "duplicate")
        d.journey_id, d.step_id = d.journey_id or owner.journey_id, d.step_id or owner.step_id
        d.correlation_key = d.correlation_key or owner.correlation_key
        await self._log(d, DUPLICATE, answer, reason=f"first delivered as {owner.id} ({owner.verdict})")
        return Receipt(DUPLICATE, answer, d.id, owner.journey_id)

    async def _log(self, d: PendingDelivery, verdict: str, answer: Answer, *, reason: str | None = None) -> None:
        """A delivery that owns no dedupe key: rejections keep no body (an unverified body is not evidence)."""
        if verdict.startswith("rejected:"):
            d.stored = None
        d.logged = verdict
        await self._deliveries.log(d.row(verdict, answer, reason=reason))
