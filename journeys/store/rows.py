"""Row <-> record conversion, and the prepared statements and guard every writer of an advance shares."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any

import orjson
from sqlalchemy import Row, Select, and_, bindparam, exc, or_, select

from journeys.store.records import DeliveryRecord, InstanceRecord, KeyInUse, Timer, TransitionRecord
from journeys.store.tables import delivery_table, instance_table, transition_table
from journeys.store.write_batcher import Statement, WriteBatcher


def dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything we store is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def timers_json(timers: Mapping[str, Timer]) -> str | None:
    """The instance row's `timers` column: NULL when none is armed."""
    if not timers:
        return None
    document: dict[str, dict[str, Any]] = {}
    for kind, timer in timers.items():
        entry: dict[str, Any] = {"state": timer.state, "at": timer.fires_at.isoformat()}
        if timer.attempt:
            entry["attempt"] = timer.attempt
        if timer.key is not None:
            entry["key"] = timer.key
        document[kind] = entry
    return orjson.dumps(document).decode()


def timers_from_json(text: str | None) -> dict[str, Timer]:
    if not text:
        return {}
    return {
        kind: Timer(kind, e["state"], utc(datetime.fromisoformat(e["at"])), e.get("attempt", 0), e.get("key"))
        for kind, e in orjson.loads(text).items()
    }


def instance_values(record: InstanceRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "journey_name": record.journey_name,
        "journey_version": record.journey_version,
        "phase": record.phase,
        "current_state": record.current_state,
        "waiting": record.waiting,
        "context": dumps(record.context),
        "outcome": None if record.outcome is None else dumps(record.outcome),
        "timers": timers_json(record.timers),
        "due_at": record.due_at,
        "created_at": record.created_at,
        "updated_at": record.updated_at,
        "version": record.version,
        "inbound_source": record.inbound_source,
        "inbound_key": record.inbound_key,
        "inbound_open_key": record.inbound_open_key,
        "started_by": record.started_by,
        "definition_digest": record.definition_digest,
        "callback_url": record.callback_url,
        "branches": dumps(record.branches) if record.branches else None,
        "parent_id": record.parent_id,
        "parent_state": record.parent_state,
        "graph": record.graph,
        "child_id": record.child_id,
    }


def transition_values(transition: TransitionRecord, context_json: str | None = None) -> dict[str, Any]:
    """Bind values of a history row; `context_json`, its context already serialised for the instance row (when the
    definition redacts nothing the two are one object: serialised once, not twice)."""
    return {
        "journey_id": transition.journey_id,
        "seq": transition.seq,
        "event": transition.event,
        "from_state": transition.from_state,
        "to_state": transition.to_state,
        "phase": transition.phase,
        "path": dumps(transition.path),
        "detail": None if transition.detail is None else dumps(transition.detail),
        "at": transition.at,
        "request": None if transition.request is None else dumps(transition.request),
        "context": context_json or (None if transition.context is None else dumps(transition.context)),
    }


def to_record(row: Row[Any]) -> InstanceRecord:
    return _record(row._mapping)


def record_from_values(values: Sequence[Any]) -> InstanceRecord:
    """`to_record` of a row given as its values in the instance table's column order (`Database.first`)."""
    return _record(dict(zip(_INSTANCE_COLUMNS, values, strict=True)))


_INSTANCE_COLUMNS = tuple(column.name for column in instance_table.c)


def _record(m: Mapping[str, Any]) -> InstanceRecord:
    return InstanceRecord(
        id=m["id"],
        journey_name=m["journey_name"],
        journey_version=m["journey_version"],
        phase=m["phase"],
        current_state=m["current_state"],
        waiting=bool(m["waiting"]),
        context=orjson.loads(m["context"]),
        outcome=None if m["outcome"] is None else orjson.loads(m["outcome"]),
        timers=timers_from_json(m["timers"]),
        due_at=utc(m["due_at"]),
        created_at=utc(m["created_at"]),  # type: ignore[arg-type]
        updated_at=utc(m["updated_at"]),  # type: ignore[arg-type]
        version=m["version"],
        inbound_source=m["inbound_source"],
        inbound_key=m["inbound_key"],
        inbound_open_key=m["inbound_open_key"],
        started_by=m["started_by"],
        definition_digest=m["definition_digest"],
        callback_url=m["callback_url"],
        branches=None if m["branches"] is None else orjson.loads(m["branches"]),
        parent_id=m["parent_id"],
        parent_state=m["parent_state"],
        graph=m["graph"],
        child_id=m["child_id"],
    )


def to_transition(row: Row[Any]) -> TransitionRecord:
    m = row._mapping
    return TransitionRecord(
        journey_id=m["journey_id"],
        seq=m["seq"],
        event=m["event"],
        from_state=m["from_state"],
        to_state=m["to_state"],
        phase=m["phase"],
        path=orjson.loads(m["path"]),
        detail=None if m["detail"] is None else orjson.loads(m["detail"]),
        at=utc(m["at"]),  # type: ignore[arg-type]
        request=None if m["request"] is None else orjson.loads(m["request"]),
        context=None if m["context"] is None else orjson.loads(m["context"]),
    )


INSTANCE_INSERT = instance_table.insert()
TRANSITION_INSERT = transition_table.insert()
BY_ID = select(instance_table).where(instance_table.c.id == bindparam("journey_id"))
# Prepared once: the new row values bind by column name, the guard binds as expected_id/expected_version.
UPDATED_COLUMNS = (
    "phase",
    "current_state",
    "waiting",
    "context",
    "outcome",
    "timers",
    "due_at",
    "updated_at",
    "version",
    "inbound_source",
    "inbound_key",
    "inbound_open_key",
    "child_id",
    "branches",
)
# A migration also moves the journey to another version of its definition (rare: the advance keeps it off the
# statement every other advance runs).
REPINNED_COLUMNS = (*UPDATED_COLUMNS, "journey_version", "definition_digest")


def _compare_and_set(columns: tuple[str, ...]) -> Any:
    guard = (instance_table.c.id == bindparam("expected_id"), instance_table.c.version == bindparam("expected_version"))
    return instance_table.update().where(*guard).values({name: bindparam(name) for name in columns})


COMPARE_AND_SET = _compare_and_set(UPDATED_COLUMNS)
COMPARE_AND_SET_REPINNED = _compare_and_set(REPINNED_COLUMNS)
# Prepared once (it runs for every delivery): waiting holders first, then the most recently updated.
INBOUND_HOLDER = (
    select(instance_table)
    .where(instance_table.c.inbound_source == bindparam("source"), instance_table.c.inbound_key == bindparam("key"))
    .order_by(instance_table.c.inbound_open_key.is_(None), instance_table.c.updated_at.desc())
    .limit(1)
)
HISTORY = (
    select(transition_table)
    .where(transition_table.c.journey_id == bindparam("journey_id"))
    .order_by(transition_table.c.seq)
)


def compare_and_set_values(
    record: InstanceRecord, expected_version: int, columns: tuple[str, ...] = UPDATED_COLUMNS
) -> dict[str, Any]:
    """Bind values of COMPARE_AND_SET (or its `columns` twin): the new row, guarded by id and the version it was
    read at."""
    row = instance_values(record)
    values = {name: row[name] for name in columns}
    values["expected_id"], values["expected_version"] = record.id, expected_version
    return values


_DELIVERY_COLUMNS = tuple(column.name for column in delivery_table.columns)
_delivery_fields = attrgetter(*_DELIVERY_COLUMNS)


def delivery_values(delivery: DeliveryRecord) -> dict[str, Any]:
    values = dict(zip(_DELIVERY_COLUMNS, _delivery_fields(delivery), strict=True))
    values["answer"] = None if delivery.answer is None else dumps(delivery.answer)
    return values


def to_delivery(row: Row[Any]) -> DeliveryRecord:
    m = dict(row._mapping)
    m["answer"] = None if m["answer"] is None else orjson.loads(m["answer"])
    m["received_at"] = utc(m["received_at"])
    m["expires_at"] = utc(m["expires_at"])
    return DeliveryRecord(**m)


async def submit_guarded(writes: WriteBatcher, write: Statement) -> Any:
    """Run an instance write; KeyInUse (nothing written) when it would make a journey wait for an inbound
    (source, key) that another waiting journey holds: the unique index on the open key said no."""
    try:
        return await writes.submit(write)
    except exc.IntegrityError as error:
        if "inbound_open" in str(error.orig):
            raise KeyInUse("another waiting journey holds this inbound correlation key") from None
        raise


def newest_first(query: Select[Any], at: Any, key: Any, after: tuple[datetime, str] | None, limit: int) -> Select[Any]:
    """Keyset pagination, newest first on (`at`, `key`): the page after the row `after` names."""
    if after is not None:
        last_at, last_key = after
        query = query.where(or_(at < last_at, and_(at == last_at, key < last_key)))
    return query.order_by(at.desc(), key.desc()).limit(limit)
