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
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING

from journeys.definitions.inbound_model import InboundSource
from journeys.definitions.model import ExternalInputState
from journeys.engine.api_keys import ApiKeyProfile
from journeys.engine.delivery_records import (
    APPLIED,
    BUFFERED,
    DUPLICATE,
    LATE,
    UNMATCHED,
    PendingDelivery,
    Receipt,
    correlate,
    delivery_key,
    problem_answer,
    schema_reason,
    source_answer,
)
from journeys.engine.errors import (
    AuthRejected,
    ConcurrentUpdate,
    DeliveryRejected,
    EngineConfigurationError,
    EngineError,
    InboundBusy,
    InvalidBody,
    InvalidInput,
    StepNotActive,
    StepNotFound,
    UnknownSource,
)
from journeys.engine.ids import time_ordered_id
from journeys.engine.inbound_messages import (
    Answer,
    InboundMessage,
    body_digest,
    dedupe_key,
    parse_body,
    redact,
    stored_body,
)
from journeys.engine.inbox import Inbox
from journeys.engine.interpreter import Interpreter
from journeys.engine.lifecycle import RUNNING, TERMINAL_PHASES
from journeys.engine.parallel_runs import waits_at
from journeys.engine.request_bindings import bind_to_context, request_bindings
from journeys.engine.runs import request_of, run_from
from journeys.engine.verification import SignedRequest, header_value, verify_delivery
from journeys.store import AdvanceOutcome, DeliveryRecord, DeliveryStore, InboxClaim, InstanceRecord

if TYPE_CHECKING:
    from journeys.engine.service import JourneyEngine, Snapshot

log = logging.getLogger("journeys.inbound")

MAX_ROUTING_ATTEMPTS = 5

Render = Callable[["Snapshot"], Answer]
# Longer than the longest retry schedule of a common gateway (Adyen: 30 days), so a retry is still recognised.
DEFAULT_RETENTION = timedelta(days=35)


# How many compare-and-set races a step submission may lose to other advances while its step stays open.
CONFLICT_ATTEMPTS = 5


async def _answered(d: PendingDelivery, work: Awaitable[Receipt], report: Callable[[str], None]) -> Receipt:
    """The receipt of `d` from `work`, its verdict told to `report` (the engine's observer). A refusal of a logged
    delivery names its log row, so the answer's headers can point at it."""
    try:
        receipt = await work
    except EngineError as error:
        if d.logged is not None:
            error.delivery_id, error.verdict = d.id, d.logged
            report(d.logged)
        raise
    report(receipt.verdict)
    return receipt


class InboundDesk:
    def __init__(
        self,
        engine: JourneyEngine,
        secrets: Mapping[str, ApiKeyProfile],
        retention: timedelta = DEFAULT_RETENTION,
    ) -> None:
        self.engine = engine
        self._secrets = secrets
        self.retention = retention
        self.inbox = Inbox(self)

    @property
    def sources(self) -> Mapping[str, InboundSource]:
        """The loaded sources: those of the last (re)load, replaced with the definitions."""
        return self.engine.versions.sources

    @property
    def deliveries(self) -> DeliveryStore:
        return self.engine.store.deliveries

    # -- the two URLs ----------------------------------------------------------------------------

    async def submit_step(self, journey_id: str, step_id: str, message: InboundMessage, render: Render) -> Receipt:
        """`POST /journeys/{id}/steps/{step}`: apply a submission, or answer a retry of one as it was answered."""
        record, interpreter = await self.engine.load(journey_id)
        step = interpreter.definition.external_input(step_id)
        source = self.sources.get(step.source) if step is not None and step.source else None
        if step is not None and step.source and source is None:  # fail closed: never accept it unverified
            raise EngineConfigurationError(f"step '{step_id}' is fed by inbound source '{step.source}', not loaded")
        d = self._begin(message, source)
        d.journey_id, d.step_id = journey_id, step_id
        report = partial(self.engine.observer.step_answered, record.journey_name, None if step is None else step.id)
        return await _answered(d, self._submit_step(d, record, interpreter, step, render), report)

    async def _submit_step(
        self,
        d: PendingDelivery,
        record: InstanceRecord,
        interpreter: Interpreter,
        step: ExternalInputState | None,
        render: Render,
    ) -> Receipt:
        source, message = d.source, d.message
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
            # The key names a submission with these exact bytes: reusing it for another body is not a retry.
            scope = f"step:{journey_id}:{step_id}"
            sender_key = f"{header_value(message.headers, 'Idempotency-Key') or ''}|{body_digest(message.body)}"
        d.dedupe = dedupe_key(scope, sender_key)
        d.stored = stored_body(redact(d.payload, source.redact if source else ()))
        waiting_here = step is not None and waits_at(record, interpreter.definition, step_id)
        if source is not None:
            # A verified delivery belongs to the journey its key names, whichever journey's URL it came to.
            key, reason = correlate(d.payload, message, source)
            if key is None:
                return await self._keep(d, source, UNMATCHED, reason=reason)
            d.correlation_key = key
            if not waiting_here or record.inbound_open_key != key:
                return await self._route(d, source)
        elif not waiting_here:
            await self._guard_retry(d, interpreter, step_id)
            duplicate = await self._duplicate(d)  # a retry of a submission that ended the journey
            if duplicate is not None:
                return duplicate
            # A step URL needs no client credential: its answer says whether the step is open, never where the
            # journey is or how it ended (its status, for a client allowed to read it, says that).
            if step is None:
                detail = f"journey {journey_id} has no step '{step_id}'"
                await self._log(d, "rejected:step-not-found", problem_answer(404, detail))
                raise StepNotFound(detail)
            detail = f"journey {journey_id} is not waiting at step '{step_id}': the step is closed or not reached yet"
            await self._log(d, "rejected:step-not-active", problem_answer(409, detail))
            raise StepNotActive(detail)
        assert step is not None  # waiting_here
        errors = step.input_schema.errors(d.payload)
        if errors:
            detail = f"the body does not match the input schema of step '{step_id}'"
            await self._log(d, "rejected:invalid-body", problem_answer(400, detail))
            raise InvalidInput(detail, errors)
        if step.id in interpreter.calls_out_after:  # a retry must not repeat the advance's outbound calls
            await self._guard_retry(d, interpreter, step_id)
            duplicate = await self._duplicate(d)
            if duplicate is not None:
                return duplicate
        # Otherwise the owner row's unique key turns a retry into a duplicate when the advance commits.
        for _ in range(CONFLICT_ATTEMPTS):
            _, receipt = await self.apply(d, record, interpreter, step, render)
            if receipt is not None:
                return receipt
            # Another advance committed first: one of another branch of a parallel, or a timer. The submission is
            # applied on top of it if its step is still open (two branches' callbacks both apply, in turn).
            record, interpreter = await self.engine.load(journey_id)
            if not waits_at(record, interpreter.definition, step_id):
                break
        detail = f"journey {journey_id} was advanced by another request; nothing was applied"
        await self._log(d, "rejected:concurrent-update", problem_answer(409, detail))
        raise ConcurrentUpdate(detail)

    async def deliver(self, source_name: str, message: InboundMessage) -> Receipt:
        """`POST /inbound/{source}`: find the journey waiting for the delivery's key and apply it, or keep it."""
        source = self.sources.get(source_name)
        if source is None:
            raise UnknownSource(f"no inbound source named '{source_name}' is loaded")
        d = self._begin(message, source)
        report = partial(self.engine.observer.delivery_answered, source.name)
        return await _answered(d, self._deliver(d, source), report)

    async def _deliver(self, d: PendingDelivery, source: InboundSource) -> Receipt:
        message = d.message
        unreadable = None
        try:
            d.payload = parse_body(message)
        except InvalidBody as error:
            unreadable = error.detail
        await self._verify(d, source)
        d.dedupe = dedupe_key(f"source:{source.name}", delivery_key(d, source))
        if unreadable is not None:
            return await self._keep(d, source, UNMATCHED, reason=unreadable)
        d.stored = stored_body(redact(d.payload, source.redact))
        key, reason = correlate(d.payload, message, source)
        if key is None:
            return await self._keep(d, source, UNMATCHED, reason=reason)
        d.correlation_key = key
        return await self._route(d, source)

    async def _route(self, d: PendingDelivery, source: InboundSource) -> Receipt:
        """Apply a verified delivery to the journey waiting for its key, or keep it (late, inbox, unmatched)."""
        key = str(d.correlation_key)
        for _ in range(MAX_ROUTING_ATTEMPTS):
            # First: a retry must not repeat an advance's outbound calls, nor be kept a second time.
            owner, holder = await self.deliveries.route(d.dedupe, source.name, key)
            if owner is not None:
                return await self._duplicate_of(d, owner)
            target = await self.waiting_step(holder, source, key)
            if target is None:
                return await self._park(d, source, holder)
            record, interpreter, step = target
            d.journey_id, d.step_id = record.id, step.id
            errors = step.input_schema.errors(d.payload)
            if errors:
                return await self._keep(d, source, UNMATCHED, reason=schema_reason(step, errors))
            _, receipt = await self.apply(d, record, interpreter, step, lambda _: source_answer(source, d))
            if receipt is not None:
                return receipt
        detail = f"journey {d.journey_id} kept changing while this delivery was applied; retry it"
        await self._log(d, "rejected:busy", problem_answer(503, detail))
        raise InboundBusy(detail)

    async def sweep(self) -> None:
        """Periodic (the scheduler): expire and repair the inbox; see `Inbox.sweep`."""
        await self.inbox.sweep()

    async def replay(self, delivery_id: str) -> DeliveryRecord:
        return await self.inbox.replay(delivery_id)

    # -- steps of the business ----------------------------------------------------------------

    def _begin(self, message: InboundMessage, source: InboundSource | None) -> PendingDelivery:
        # Time-ordered ids (journeys.engine.ids): the log pages on (received_at, id).
        return PendingDelivery(time_ordered_id(), self.engine.clock(), time.perf_counter(), message, source)

    async def _verify(self, d: PendingDelivery, source: InboundSource) -> None:
        spec = source.verify
        request = SignedRequest(d.message.body, d.message.headers, d.payload)
        try:
            result = verify_delivery(spec, self._secrets.get(spec.secrets), request, self.engine.clock())
        except EngineConfigurationError as error:
            await self._log(d, "rejected:configuration", problem_answer(500, error.detail))
            raise
        if not result.ok:
            detail = f"the delivery failed '{spec.preset}' verification ({result.cause})"
            await self._log(d, f"rejected:{result.cause}", problem_answer(spec.reject_status, detail))
            raise DeliveryRejected(detail, spec.reject_status, str(result.cause))
        d.key_id, d.sender_id = result.key_id, result.delivery_id

    async def waiting_step(
        self, holder: InstanceRecord | None, source: InboundSource | None, key: str
    ) -> tuple[InstanceRecord, Interpreter, ExternalInputState] | None:
        """The journey, interpreter and step that wait for (source, key) right now, if any."""
        if holder is None or source is None or holder.inbound_open_key != key or holder.phase != RUNNING:
            return None
        interpreter = await self.engine.interpreter_for(holder)
        step = interpreter.definition.external_input(holder.current_state) if interpreter else None
        if interpreter is None or step is None or step.source != source.name:
            return None
        return holder, interpreter, step

    async def apply(
        self,
        d: PendingDelivery,
        record: InstanceRecord,
        interpreter: Interpreter,
        step: ExternalInputState,
        render: Render | None,
        inbox: InboxClaim | None = None,
    ) -> tuple[str, Receipt | None]:
        """Advance the journey with the delivery and commit both together: a new delivery (answered as `render`
        says) or a stored one (`inbox`, answered long ago). Returns (outcome, receipt; None on a conflict)."""
        engine = self.engine
        now = engine.clock()
        run = run_from(record)
        run.context["payload"] = run.request = d.payload
        run.path.append(step.id)
        run.resumed_from = step.id
        request = request_of(d.message)
        bind_to_context(request_bindings(interpreter.definition, step.id), run.context, request)
        scope = interpreter.definition.step_scopes.get(step.id, "")
        await engine.advance(interpreter, run, step.next, request, now, scope)
        back_at_step = run.branches.get(scope, {}).get("state") if scope else run.state
        if run.auth_problem is not None and run.waiting and back_at_step == step.id:
            detail = str(run.auth_problem.get("detail") or "authentication failed")
            if inbox is None:  # a stored delivery already has its row; the inbox settles it
                await self._log(d, "rejected:unauthorized", problem_answer(401, detail))
            raise AuthRejected(detail, dict(run.auth_problem))
        answers: list[Answer] = []

        def owner_row(after: InstanceRecord, render: Render) -> DeliveryRecord:
            # Rendered from the record as committed: the answer stored with it is what a retry will get.
            answers.append(render(engine.snapshot(after, interpreter.definition, step)))
            return d.row(APPLIED, answers[-1], owner=True)

        detail = {"step": step.id, "delivery": d.id}
        new_row = None if render is None else partial(owner_row, render=render)
        outcome, _, _ = await engine.commit_advance(record, run, "step", now, detail, delivery=new_row, inbox=inbox)
        if outcome == AdvanceOutcome.APPLIED:
            return outcome, Receipt(APPLIED, answers[-1], d.id) if answers else None
        if outcome == AdvanceOutcome.DUPLICATE:
            return outcome, await self._duplicate(d)
        return outcome, None

    async def _park(self, d: PendingDelivery, source: InboundSource, holder: InstanceRecord | None) -> Receipt:
        """A verified delivery no journey waits for now: late for an ended journey, else into the inbox."""
        if holder is not None and holder.phase in TERMINAL_PHASES:
            d.journey_id = holder.id
            return await self._keep(d, source, LATE, reason=f"the journey ended {holder.phase}")
        if source.inbox_ttl_sec == 0:
            return await self._keep(d, source, UNMATCHED, reason="no journey waits for its key")
        expires = self.engine.clock() + timedelta(seconds=source.inbox_ttl_sec)
        self.inbox.note_buffered(source.name)
        receipt = await self._keep(d, source, BUFFERED, expires_at=expires)
        if receipt.verdict == BUFFERED:
            # The journey may have started waiting while this was decided: its own look into the inbox came first.
            self.engine.spawn(self.inbox.drain(source.name, str(d.correlation_key)))
        return receipt

    async def _keep(
        self,
        d: PendingDelivery,
        source: InboundSource,
        verdict: str,
        *,
        reason: str | None = None,
        expires_at: datetime | None = None,
    ) -> Receipt:
        """Record a verified delivery that changes no journey, as the owner of its dedupe key."""
        answer = source_answer(source, d, verdict)
        for _ in range(MAX_ROUTING_ATTEMPTS):
            if await self.deliveries.claim(d.row(verdict, answer, owner=True, reason=reason, expires_at=expires_at)):
                return Receipt(verdict, answer, d.id)
            duplicate = await self._duplicate(d)
            if duplicate is not None:
                return duplicate
            # The owner was pruned between the claim and the look-up: claim again.
        raise InboundBusy(f"delivery {d.id} could not be recorded; retry it")

    async def _guard_retry(self, d: PendingDelivery, interpreter: Interpreter, step_id: str) -> None:
        """Before a step submission is answered from the log, it meets the key check the graph would run."""
        request = request_of(d.message)
        problem = interpreter.auth_checks.admits_retry(step_id, request, self.engine.clock())
        if problem is not None:
            detail = str(problem.get("detail") or "authentication failed")
            await self._log(d, "rejected:unauthorized", problem_answer(401, detail))
            raise AuthRejected(detail, problem)

    async def _duplicate(self, d: PendingDelivery) -> Receipt | None:
        """A retry of a delivery already recorded: logged, answered as the first one was, nothing applied."""
        owner = await self.deliveries.owner(d.dedupe)
        return None if owner is None else await self._duplicate_of(d, owner)

    async def _duplicate_of(self, d: PendingDelivery, owner: DeliveryRecord) -> Receipt:
        answer = Answer.from_stored(owner.answer) if owner.answer else problem_answer(200, "duplicate")
        d.journey_id, d.step_id = d.journey_id or owner.journey_id, d.step_id or owner.step_id
        d.correlation_key = d.correlation_key or owner.correlation_key
        await self._log(d, DUPLICATE, answer, reason=f"first delivered as {owner.id} ({owner.verdict})")
        return Receipt(DUPLICATE, answer, d.id)

    async def _log(self, d: PendingDelivery, verdict: str, answer: Answer, *, reason: str | None = None) -> None:
        """A delivery that owns no dedupe key: rejections keep no body (an unverified body is not evidence)."""
        if verdict.startswith("rejected:"):
            d.stored = None
        d.logged = verdict
        await self.deliveries.log(d.row(verdict, answer, reason=reason))
