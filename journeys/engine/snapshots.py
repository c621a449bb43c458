"""What the engine hands back and what it commits: snapshots of instances, the rows and history built from runs."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from journeys.definitions.model import JourneyDefinition
from journeys.engine.inbound_messages import redact
from journeys.engine.lifecycle import TERMINAL_PHASES
from journeys.engine.result_push import outcome_push
from journeys.engine.runs import Run
from journeys.store import InstanceRecord, TransitionRecord

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """An instance as committed, with the version of its definition it runs by (None when that version no longer
    compiles: the journey is shown without step links); `step_fields` are a step's projected response fields."""

    record: InstanceRecord
    definition: JourneyDefinition | None
    step_fields: Mapping[str, Any] | None = None


def record_of(
    run: Run,
    name: str,
    version_label: str,
    definition_digest: str | None,
    *,
    created_at: datetime,
    updated_at: datetime,
    version: int,
    started_by: str | None,
) -> InstanceRecord:
    """The row to commit for `run` after an advance (`started_by` and the version are fixed at the start); when the
    run ended a journey that has a callback URL, with the push of its outcome to put in the outbox."""
    record = InstanceRecord(
        id=run.journey_id,
        journey_name=name,
        journey_version=version_label,
        phase=run.phase,
        current_state=run.state,
        waiting=run.waiting,
        context=run.context,
        outcome=run.outcome,
        created_at=created_at,
        updated_at=updated_at,
        version=version,
        due_at=run.due_at,
        timers=run.timers,
        timers_changed=run.timers != run.timers_before,
        inbound_source=run.inbound_source,
        inbound_key=run.inbound_key,
        inbound_open_key=run.inbound_key if run.waiting and run.inbound_open else None,
        started_by=started_by,
        definition_digest=definition_digest,
        search_keys=run.search_keys,
        callback_url=run.callback_url,
        side_effects=run.side_effects or None,
        branches=run.branches or None,
        schedules=tuple(run.schedules),
    )
    run.lineage.stamp(record)
    if record.phase in TERMINAL_PHASES:
        record.result_push = outcome_push(record, links=run.links_enabled)
    return record


def successor(
    before: InstanceRecord, run: Run, now: datetime, *, onto: tuple[str, str] | None = None
) -> InstanceRecord:
    """The row an advance of `before` commits: its next version, by the same definition version unless `onto`
    (label, digest) names another (a migration)."""
    label, digest = onto or (before.journey_version, before.definition_digest)
    return record_of(
        run,
        before.journey_name,
        label,
        digest,
        created_at=before.created_at,
        updated_at=now,
        version=before.version + 1,
        started_by=before.started_by,
    )


def transition_of(
    record: InstanceRecord,
    event: str,
    from_state: str | None,
    run: Run,
    now: datetime,
    detail: dict[str, Any] | None = None,
) -> TransitionRecord:
    """The history row of the advance that produced `record` (its sequence number is the record's version), with
    the request body that caused it and the context after it, redacted as the journey's definition says."""
    return TransitionRecord(
        journey_id=record.id,
        seq=record.version,
        event=event,
        from_state=from_state,
        to_state=record.current_state,
        phase=record.phase,
        path=run.path,
        at=now,
        detail=detail,
        request=None if run.request is None else redact(run.request, run.redact),
        context=redacted_context(record.context, run.redact),
    )


def redacted_context(context: dict[str, Any], paths: tuple[str, ...]) -> dict[str, Any]:
    """The context with each path redacted, in it and in the request body it holds as `payload`."""
    if not paths:
        return context
    hidden: dict[str, Any] = redact(context, paths)
    if isinstance(hidden.get("payload"), dict):
        hidden["payload"] = redact(hidden["payload"], paths)
    return hidden
