"""Journey records for the store's tests: a waiting payment-callback journey, changed as a test needs."""

from __future__ import annotations

from datetime import UTC, datetime

from journeys.store import InstanceRecord, TransitionRecord

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def sample_record(journey_id: str, **changes: object) -> InstanceRecord:
    """A journey waiting at `waitForCallback` since NOW, with the fields in `changes` set on top."""
    record = InstanceRecord(
        id=journey_id,
        journey_name="payment-callback",
        journey_version="1.0.0",
        phase="Running",
        current_state="waitForCallback",
        waiting=True,
        context={"paymentId": journey_id, "nested": {"list": [1, 2.5, None, "é"]}},
        outcome=None,
        created_at=NOW,
        updated_at=NOW,
    )
    for name, value in changes.items():
        setattr(record, name, value)
    return record


def sample_transition(record: InstanceRecord, event: str = "start") -> TransitionRecord:
    """The history row of `record`'s latest advance, `event`."""
    return TransitionRecord(record.id, record.version, event, None, record.current_state, record.phase, ["a"], NOW)
