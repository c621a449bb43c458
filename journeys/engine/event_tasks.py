"""`kafkaPublish:v1` in a run: the record is built from the context and put in the event outbox with the commit.

Nothing is sent to Kafka by the run: the record joins the run's side effects and is inserted in the transaction of
the advance's commit (`journeys.store.side_effects`), so a record exists exactly when its advance committed, and
whatever relays the outbox to Kafka publishes committed journeys' records only. A re-run of an advance that did not
commit makes the same record again with the same `eventKey`, for consumers that deduplicate.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from journeys.definitions.kafka_publish_task import KafkaPublishTask
from journeys.definitions.model import CompiledSchema, TaskState
from journeys.engine.cache_tasks import check_storable, key_string
from journeys.engine.ids import time_ordered_id
from journeys.engine.runs import Run
from journeys.engine.state_failure import StateFailure
from journeys.expressions import ExpressionEvaluationError
from journeys.store.effect_records import OutboxEvent

if TYPE_CHECKING:
    from journeys.engine.service import JourneyEngine


def _headers(task: KafkaPublishTask, context: Any, payload: Any, platform: Any) -> dict[str, str]:
    """The record headers; one whose placeholder does not resolve is left out (a trace header the start did not
    carry), as Kafka headers are optional metadata that consumers must do without anyway."""
    headers = {}
    for name, template in (task.headers or {}).items():
        try:
            headers[name] = template.render(context, payload, platform)
        except ExpressionEvaluationError:
            continue
    return headers


def _check(state: TaskState, schema: CompiledSchema | None, value: Any, what: str) -> None:
    problems = [] if schema is None else schema.errors(value)
    if problems:
        reason = f"state '{state.id}': the record {what} does not match its schema: {'; '.join(problems)}"
        raise StateFailure(f"EVENT_SCHEMA_MISMATCH:{state.id}", reason)


def publish_event(state: TaskState, task: KafkaPublishTask, run: Run, platform: Any, now: datetime) -> str:
    """Add the task's record to the run's side effects; the next state."""
    context, payload = run.context, run.context.get("payload")
    try:
        value = task.value.evaluate(context, payload, platform)
        if task.key_template is not None:
            key: Any = task.key_template.render(context, payload, platform)
        else:
            key = None if task.key_mapper is None else task.key_mapper.evaluate(context, payload, platform)
    except ExpressionEvaluationError as error:
        raise StateFailure(f"EXPRESSION_ERROR:{state.id}", f"state '{state.id}': {error}") from error
    _check(state, task.key_schema, key, "key")
    _check(state, task.value_schema, value, "value")
    check_storable(state, key, "record key")
    check_storable(state, value, "record value")
    run.side_effects.events.append(
        OutboxEvent(
            id=time_ordered_id(),
            event_key=run.idempotency_key(),
            journey_id=run.journey_id,
            state=state.id,
            topic=task.topic,
            key=key_string(key),
            value=value,
            headers=_headers(task, context, payload, platform),
            created_at=now,
            connection=task.connection,
            position=len(run.path),
        )
    )
    return state.next


async def published_events(engine: JourneyEngine, journey_id: str, *, owner: str | None = None) -> list[OutboxEvent]:
    """The records the journey published, oldest first (JourneyNotFound, as for any read, when `owner` does not own
    it)."""
    await engine.get(journey_id, owner=owner)
    return await engine.store.events.of_journey(journey_id)
