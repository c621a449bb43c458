"""Result push end to end on the engine: what a receiver gets when a journey ends, and when it gets it again.

Each test runs on a SQLite file and on PostgreSQL; the receiver is a real HTTP server verifying every push with
the `standardwebhooks` library; time moves by the engine's adjustable clock, never by sleeping.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import orjson

from journeys.engine import ConcurrentUpdate, JourneyEngine
from journeys.engine.clock import AdjustableClock
from journeys.engine.outcome_document import outcome_document
from journeys.engine.runs import run_from
from journeys.engine.snapshots import successor, transition_of
from journeys.store import AdvanceOutcome
from tests.push.conftest import START, OpenEngine, Receiver

# The longest first wait (retries double it, half of each wait is random).
FIRST_RETRY = timedelta(seconds=5)


async def _order(engine: JourneyEngine, receiver: Receiver, **body: object) -> str:
    """Start a push-order journey (it waits for its warehouse) whose start names the receiver as callbackUrl."""
    started = await engine.start("push-order", {"orderId": "o-1", "callbackUrl": f"{receiver.url}/orders", **body})
    return started.snapshot.record.id


async def test_a_journey_that_ends_at_its_start_pushes_its_outcome_once_signed(
    open_engine: OpenEngine, receiver: Receiver
) -> None:
    engine = await open_engine(AdjustableClock(START))
    started = await engine.start("push-quote", {"amount": 200})  # the definition names the URL
    journey_id = started.snapshot.record.id

    assert await engine.result_push.deliver_due() == 1
    assert await engine.result_push.deliver_due() == 0  # delivered: never again

    (payload,) = receiver.verified()
    snapshot = await engine.get(journey_id)
    assert payload == outcome_document(snapshot.record, links=True)  # what GET .../result answers
    assert payload["phase"] == "Succeeded" and payload["output"] == {"amount": 200, "fee": 20.0}
    (push,) = await engine.result_push.of_journey(journey_id)
    assert push.status == "delivered" and [a.status for a in push.attempts] == [204]
    assert push.push.id == receiver.received[0].headers["webhook-id"]


async def test_a_cancelled_journey_pushes_its_failure_to_the_start_callback_url(
    open_engine: OpenEngine, receiver: Receiver
) -> None:
    engine = await open_engine(AdjustableClock(START))
    journey_id = await _order(engine, receiver)
    assert await engine.result_push.deliver_due() == 0  # still running: nothing to push

    await engine.cancel(journey_id, by="ops", reason="customer called")
    await engine.result_push.deliver_due()

    (payload,) = receiver.verified()
    assert payload["journeyId"] == journey_id and payload["phase"] == "Failed"
    assert payload["error"]["code"] == "JOURNEY_CANCELLED"
    assert receiver.received[0].headers["content-type"] == "application/json"


async def test_a_receiver_failing_twice_gets_three_attempts_each_visible(
    open_engine: OpenEngine, receiver: Receiver
) -> None:
    clock = AdjustableClock(START)
    engine = await open_engine(clock)
    receiver.answers = [500, 500]
    journey_id = await _order(engine, receiver)
    await engine.cancel(journey_id)

    assert await engine.result_push.deliver_due() == 1  # answered 500
    assert await engine.result_push.deliver_due() == 0  # not due before its retry time
    clock.advance(FIRST_RETRY)
    assert await engine.result_push.deliver_due() == 1  # answered 500 again
    (push,) = await engine.result_push.of_journey(journey_id)
    assert push.status == "pending" and push.next_attempt_at is not None
    assert clock() + FIRST_RETRY <= push.next_attempt_at <= clock() + 2 * FIRST_RETRY  # the wait doubled
    clock.advance(2 * FIRST_RETRY)
    assert await engine.result_push.deliver_due() == 1  # answered 204

    assert len(receiver.verified()) == 3  # every attempt signed, and verifiable
    assert len({push.headers["webhook-id"] for push in receiver.received}) == 1  # one message, sent three times
    (push,) = await engine.result_push.of_journey(journey_id)
    assert push.status == "delivered" and push.next_attempt_at is None and push.finished_at is not None
    assert [attempt.status for attempt in push.attempts] == [500, 500, 204]
    assert push.attempts[0].error == "receiver is down"  # what the refusing receiver said
    assert [attempt.at for attempt in push.attempts] == sorted(attempt.at for attempt in push.attempts)


async def test_a_push_is_given_up_at_its_give_up_time(open_engine: OpenEngine, receiver: Receiver) -> None:
    clock = AdjustableClock(START)
    engine = await open_engine(clock, give_up_after=timedelta(hours=1))
    receiver.answers = [503] * 100
    journey_id = await _order(engine, receiver)
    await engine.cancel(journey_id)

    await engine.result_push.deliver_due()
    clock.advance(timedelta(minutes=30))
    await engine.result_push.deliver_due()
    (push,) = await engine.result_push.of_journey(journey_id)
    assert push.status == "pending"  # half an hour in: still tried
    assert push.next_attempt_at is not None and push.next_attempt_at <= START + timedelta(hours=1)

    clock.advance(timedelta(minutes=30))
    await engine.result_push.deliver_due()  # the last attempt, at the give-up time
    (push,) = await engine.result_push.of_journey(journey_id)
    assert push.status == "abandoned" and push.finished_at == START + timedelta(hours=1)
    assert [attempt.status for attempt in push.attempts] == [503, 503, 503]

    clock.advance(timedelta(days=2))
    assert await engine.result_push.deliver_due() == 0
    assert len(receiver.received) == 3


async def test_a_restarted_process_sends_what_the_previous_one_did_not(
    open_engine: OpenEngine, receiver: Receiver
) -> None:
    clock = AdjustableClock(START)
    first = await open_engine(clock)
    ended = await first.start("push-quote", {"amount": 1})  # ended, and its push committed with it...
    held = await first.start("push-quote", {"amount": 2})
    # ...and the second push claimed by a worker of this process, which then dies before it is answered.
    claimed = await first.store.outbox.claim(clock(), first.result_push.settings.lease)
    assert len(claimed) == 2
    assert not receiver.received

    second = await open_engine(clock)  # another process on the same database
    assert await second.result_push.deliver_due() == 0  # the dead worker's lease still holds them
    clock.advance(first.result_push.settings.lease)
    assert await second.result_push.deliver_due() == 2

    delivered = {payload["journeyId"] for payload in receiver.verified()}
    assert delivered == {ended.snapshot.record.id, held.snapshot.record.id}
    # The dead worker's claim no longer settles anything: the push stays delivered, not sent a third time.
    attempt = (await second.result_push.of_journey(ended.snapshot.record.id))[0].attempts[0]
    assert not await first.store.outbox.settle(claimed[0], attempt, "pending", clock())
    assert await second.result_push.deliver_due() == 0


async def test_an_end_that_loses_its_compare_and_set_puts_nothing_in_the_outbox(
    open_engine: OpenEngine, receiver: Receiver
) -> None:
    clock = AdjustableClock(START)
    engine = await open_engine(clock)
    journey_id = await _order(engine, receiver)
    before = await engine.store.get(journey_id)
    assert before is not None
    interpreter = await engine.versions.running(before)
    runs = [run_from(before) for _ in range(2)]
    for reason, run in zip(("first", "second"), runs, strict=True):
        interpreter.fail(run, "JOURNEY_CANCELLED", reason, trigger="cancel")

    async def end(run: object) -> str:
        after = successor(before, run, clock())  # type: ignore[arg-type]
        assert after.result_push is not None  # both would push...
        transition = transition_of(after, "cancel", before.current_state, run, clock())  # type: ignore[arg-type]
        return await engine.store.advance(after, before.version, transition)

    outcomes = await asyncio.gather(*(end(run) for run in runs))  # in flight together: one shared commit
    assert sorted(outcomes) == [AdvanceOutcome.APPLIED, AdvanceOutcome.CONFLICT]
    (push,) = await engine.result_push.of_journey(journey_id)  # ...only the winner does
    winner = ("first", "second")[outcomes.index(AdvanceOutcome.APPLIED)]
    assert orjson.loads(push.push.body)["error"]["reason"] == winner

    try:  # and an engine commit that loses says so, and adds nothing either
        await engine.commit(before, runs[0], "cancel", clock(), None)
    except ConcurrentUpdate:
        pass
    else:
        raise AssertionError("a stale end was committed")
    assert len(await engine.result_push.of_journey(journey_id)) == 1
    await engine.result_push.deliver_due()
    assert [payload["error"]["reason"] for payload in receiver.verified()] == [winner]


async def test_processes_sharing_a_database_send_each_push_once(open_engine: OpenEngine, receiver: Receiver) -> None:
    clock = AdjustableClock(START)
    workers = [await open_engine(clock) for _ in range(3)]
    for amount in range(30):
        await workers[0].start("push-quote", {"amount": amount})

    tried = await asyncio.gather(*(worker.result_push.deliver_due() for worker in workers))

    assert sum(tried) == 30  # claimed between them, none twice
    ids = [push.headers["webhook-id"] for push in receiver.received]
    assert len(ids) == len(set(ids)) == 30
    assert sorted(payload["output"]["amount"] for payload in receiver.verified()) == list(range(30))


async def test_without_a_secret_nothing_is_sent_and_the_push_waits(open_engine: OpenEngine, receiver: Receiver) -> None:
    clock = AdjustableClock(START)
    unsigned = await open_engine(clock, keys=())
    journey_id = (await unsigned.start("push-quote", {"amount": 5})).snapshot.record.id
    await unsigned.result_push.deliver_due()
    (push,) = await unsigned.result_push.of_journey(journey_id)
    assert push.status == "pending" and not receiver.received
    assert push.attempts[0].status is None and "no result push secret" in str(push.attempts[0].error)

    configured = await open_engine(clock)  # the operator sets the secret and restarts
    clock.advance(timedelta(minutes=1))
    await configured.result_push.deliver_due()
    assert [payload["journeyId"] for payload in receiver.verified()] == [journey_id]


async def test_a_push_to_a_host_off_the_allow_list_is_abandoned_unsent(
    open_engine: OpenEngine, receiver: Receiver
) -> None:
    engine = await open_engine(AdjustableClock(START), allowed_hosts=frozenset({"hooks.example.com"}))
    journey_id = (await engine.start("push-quote", {"amount": 5})).snapshot.record.id  # names receiver.test

    await engine.result_push.deliver_due()

    (push,) = await engine.result_push.of_journey(journey_id)
    assert push.status == "abandoned" and not receiver.received
    assert "resultPush.allowedHosts" in str(push.attempts[0].error)
