"""The tables of what journeys do beyond advancing themselves (DSL II): the `cache:v1` entries, the
`kafkaPublish:v1` event outbox, the `schedule:v1` bindings and the subjourney end notices. Registered in
SQLModel's metadata like `journeys.store.tables`, which stays the home of the journey's own rows.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime, Index, Text, text
from sqlmodel import Field, SQLModel

# -- cache:v1 and the kafkaPublish:v1 event outbox (journeys.store.cache_entries, journeys.store.event_outbox) --------


class CacheEntryRow(SQLModel, table=True):
    """One entry of the deployment's single logical cache (`cache:v1`): a JSON value under a string key, until
    `expires_at`. A read ignores an expired entry; the scheduler's sweep deletes them, oldest first, by the index."""

    __tablename__ = "cache_entry"
    __table_args__ = (Index("ix_cache_entry_expires", "expires_at"),)

    key: str = Field(primary_key=True, max_length=512)  # the configured prefix plus the task's key
    value: str = Field(sa_column=Column(Text, nullable=False))  # JSON
    stored_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class EventOutboxRow(SQLModel, table=True):
    """The outbox of `kafkaPublish:v1` records: inserted in the transaction of the advance that published them, so
    a record exists exactly when that advance was committed. A relay (CDC, or a publisher process) sends the rows
    whose `published_at` is NULL to Kafka and stamps them; `event_key` is the same on every re-run of the advance
    that did not commit, so consumers can drop a record a relay sent twice."""

    __tablename__ = "event_outbox"
    __table_args__ = (
        Index("ix_event_outbox_journey", "journey_id", "id"),
        # Only unpublished rows are what a relay looks for: published ones (the many) stay out of this index.
        Index(
            "ix_event_outbox_unpublished",
            "id",
            sqlite_where=text("published_at IS NULL"),
            postgresql_where=text("published_at IS NULL"),
        ),
    )

    id: str = Field(primary_key=True, max_length=64)  # time-ordered: the order records were committed in
    event_key: str = Field(max_length=200)
    journey_id: str = Field(max_length=64)
    state: str = Field(max_length=200)
    topic: str = Field(max_length=249)
    connection: str | None = Field(default=None, max_length=512)  # the task's connectionSecretRef; NULL: default
    record_key: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    value: str = Field(sa_column=Column(Text, nullable=False))  # JSON
    headers: str = Field(sa_column=Column(Text, nullable=False))  # JSON object of strings
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    published_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))


cache_entry_table = CacheEntryRow.__table__
event_outbox_table = EventOutboxRow.__table__


# -- schedules (journeys.store.schedules) ------------------------------------------------------------------------


class JourneyScheduleRow(SQLModel, table=True):
    """A schedule binding (`schedule:v1`): future runs of a journey version from `start_state`, one per occurrence.

    Written in the transaction of the advance whose task bound it. A scheduler starts an occurrence by a
    compare-and-set on `revision` in the transaction that inserts the run's journey, so an occurrence starts one
    journey however many processes see it due. `next_run_at` is NULL once `max_runs` runs were started. A live
    binding made with `onExisting: fail`/`upsert` holds `identity_key` (unique), which is how those two find it.
    """

    __tablename__ = "journey_schedule"
    __table_args__ = (
        Index("ix_journey_schedule_due", "next_run_at"),
        Index("ix_journey_schedule_identity", "identity"),
        Index("ux_journey_schedule_identity_key", "identity_key", unique=True),
        Index("ix_journey_schedule_journey_created", "journey_name", "created_at", "id"),
    )

    id: str = Field(primary_key=True, max_length=64)
    journey_name: str = Field(max_length=200)
    journey_version: str = Field(max_length=64)  # metadata.version, part of the binding's identity
    definition_digest: str = Field(max_length=64)  # the version its runs run by
    start_state: str = Field(max_length=200)
    subject_id: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    identity: str = Field(max_length=64)  # digest of (journey name, version, subject, start state)
    identity_key: str | None = Field(default=None, max_length=64)  # = identity while live, unless addAnother
    start_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    interval: str = Field(max_length=64)  # ISO-8601 duration
    max_runs: int
    runs_started: int = Field(default=0)
    next_run_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    last_context: str = Field(sa_column=Column(Text, nullable=False))  # JSON: the next run's initial context
    last_journey_id: str | None = Field(default=None, max_length=64)  # the run started last
    bound_by: str = Field(max_length=64)  # the journey whose schedule task created (or last upserted) it
    owner: str | None = Field(default=None, max_length=200)  # that journey's principal: its runs' too
    revision: int = Field(default=1)
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


schedule_table = JourneyScheduleRow.__table__


# -- subjourneys (journeys.store.subjourneys) -------------------------------------------------------------------


class SubjourneyEndRow(SQLModel, table=True):
    """A child journey that ended and whose parent has not yet been resumed with its result: written in the child's
    terminal transaction, deleted in the transaction that resumes the parent (or finds it no longer waiting for this
    child). Drained after the commit and by the scheduler, so a crash between the two loses no resume."""

    __tablename__ = "subjourney_end"

    child_id: str = Field(primary_key=True, max_length=64)
    parent_id: str = Field(max_length=64)
    ended_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


subjourney_end_table = SubjourneyEndRow.__table__
