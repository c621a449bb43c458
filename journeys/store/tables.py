"""SQLModel tables: one row per journey instance, plus an append-only history of its advances.

A waiting journey is just its `journey_instance` row; nothing about it lives in memory between requests.
JSON documents (context, outcome, visited path) are stored as text serialised by orjson so the same
columns work unchanged on SQLite and PostgreSQL. The hot path talks to these tables through
SQLAlchemy Core (`Model.__table__`), never through ORM sessions.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime, Index, Text, text
from sqlmodel import Field, SQLModel

RUNNABLE_INDEX = "ix_journey_instance_runnable"
# Written out (not bound) so each database's planner sees that its query implies the partial index's condition.
RUNNABLE_SQLITE = "phase = 'Running' AND waiting = 0"
RUNNABLE_POSTGRESQL = "phase = 'Running' AND NOT waiting"
UNVERSIONED_INDEX = "ix_journey_instance_unversioned"
UNVERSIONED = "definition_digest IS NULL"
WAITING_INDEX = "ix_journey_instance_waiting"
WAITING_SQLITE = "phase = 'Running' AND waiting = 1"
WAITING_POSTGRESQL = "phase = 'Running' AND waiting"


class JourneyInstanceRow(SQLModel, table=True):
    __tablename__ = "journey_instance"
    __table_args__ = (
        Index("ix_journey_instance_name_created", "journey_name", "created_at", "id"),
        Index("ix_journey_instance_phase_created", "phase", "created_at", "id"),
        Index("ix_journey_instance_due", "due_at"),
        # The runnable journeys (accepted or crashed mid-run): few among millions waiting, so recovery reads only them.
        Index(
            RUNNABLE_INDEX,
            "updated_at",
            sqlite_where=text(RUNNABLE_SQLITE),
            postgresql_where=text(RUNNABLE_POSTGRESQL),
        ),
        Index("ix_journey_instance_inbound", "inbound_source", "inbound_key"),
        # A principal's own journeys, newest first (the list a client without the operator scope sees).
        Index("ix_journey_instance_started_by_created", "started_by", "created_at", "id"),
        # Two journeys can never wait for the same (source, key): the open key is NULL unless waiting for it.
        Index("ux_journey_instance_inbound_open", "inbound_source", "inbound_open_key", unique=True),
        # The rows from before versions were stored (none, once adopted): a server start looks for them by name
        # without walking every journey of that name (revision 0009).
        Index(
            UNVERSIONED_INDEX,
            "journey_name",
            sqlite_where=text(UNVERSIONED),
            postgresql_where=text(UNVERSIONED),
        ),
        # The waiting journeys by state: what a metrics scrape counts, read from this index alone (revision 0009).
        Index(
            WAITING_INDEX,
            "journey_name",
            "current_state",
            sqlite_where=text(WAITING_SQLITE),
            postgresql_where=text(WAITING_POSTGRESQL),
        ),
        # Every journey newest first (a listing without filters: the first page of the API's list and the console).
        Index("ix_journey_instance_created", "created_at", "id"),
    )

    id: str = Field(primary_key=True, max_length=64)
    journey_name: str = Field(max_length=200)
    journey_version: str = Field(max_length=64)
    phase: str = Field(max_length=16)
    current_state: str = Field(max_length=200)
    # True while paused at a wait/webhook step; a Running row that is not waiting must be (re)run.
    waiting: bool = Field(default=False)
    context: str = Field(sa_column=Column(Text, nullable=False))
    outcome: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # The earliest of the journey's timers (NULL when none is armed), and all of them as JSON {kind: timer}: the row
    # is the truth a compare-and-set protects; journey_timer is the index the scheduler claims due timers from.
    timers: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    due_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    # Compare-and-set counter: every committed advance increments it by one.
    version: int = Field(default=1)
    # The inbound source and correlation key of the last sourced webhook state the journey waited in (kept
    # after it moves on, so a late delivery still finds it); the open key is set only while it waits there.
    inbound_source: str | None = Field(default=None, max_length=100)
    inbound_key: str | None = Field(default=None, max_length=200)
    inbound_open_key: str | None = Field(default=None, max_length=200)
    # The authenticated client that started the journey; NULL when the server runs without client auth.
    started_by: str | None = Field(default=None, max_length=200)
    # The definition version (journey_definition.digest) the journey runs by, fixed at its start; NULL only on
    # rows from before versions were stored, until a server start adopts them (operations.md).
    definition_digest: str | None = Field(default=None, max_length=64)
    # Where the journey's outcome is POSTed when it ends (the start's `callbackUrl` or the definition's
    # `spec.lifecycle.callbackUrl`), fixed at its start; NULL when nobody asked (journeys.engine.result_push).
    callback_url: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # Subjourneys (journeys.engine.subjourneys, revision 0012). A child journey names its parent, the parent's
    # subjourney state and the local graph it runs (write-once); a parent waiting in a subjourney state names the
    # child it waits for (NULL otherwise), so the child's end resumes it exactly when it still waits for that child.
    parent_id: str | None = Field(default=None, max_length=64)
    parent_state: str | None = Field(default=None, max_length=200)
    graph: str | None = Field(default=None, max_length=200)
    child_id: str | None = Field(default=None, max_length=64)
    # Where each branch of the `parallel` states the journey is in stands, as JSON {scope: position} (revision 0013);
    # NULL outside parallels.
    branches: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class JourneyTransitionRow(SQLModel, table=True):
    __tablename__ = "journey_transition"

    journey_id: str = Field(primary_key=True, max_length=64)
    seq: int = Field(primary_key=True)
    event: str = Field(max_length=32)
    from_state: str | None = Field(default=None, max_length=200)
    to_state: str = Field(max_length=200)
    phase: str = Field(max_length=16)
    path: str = Field(sa_column=Column(Text, nullable=False))
    detail: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    # What an operator needs to see why a journey went where it did: the request body that caused the advance and
    # the context after it, both redacted as the definition says (spec.metadata.redact). NULL on older rows.
    request: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    context: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class JourneySearchKeyRow(SQLModel, table=True):
    """A business key of a journey (`spec.metadata.searchKeys`), written in the same transaction as the advance
    that rendered it; (name, value) is indexed so a lookup among millions of journeys is a point query."""

    __tablename__ = "journey_search_key"
    __table_args__ = (Index("ix_journey_search_key_lookup", "name", "value", "journey_id"),)

    journey_id: str = Field(primary_key=True, max_length=64)
    name: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=200)


class JourneyTimerRow(SQLModel, table=True):
    """A due time of a journey, rewritten in the same transaction as the advance that arms or clears it.

    The scheduler claims due rows by `fires_at` (an index range scan bounded by what is due), setting
    `claimed_until` so another process skips them while this one fires them (on PostgreSQL the claim also takes
    `FOR UPDATE SKIP LOCKED`); a claim left by a dead process lapses and the timer is fired again.
    """

    __tablename__ = "journey_timer"
    __table_args__ = (Index("ix_journey_timer_fires", "fires_at"),)

    journey_id: str = Field(primary_key=True, max_length=64)
    # `step-timeout`, `timer`, `retry`, `deadline`; a branch's own carry its scope: `timer@race/sla` (revision 0013).
    kind: str = Field(primary_key=True, max_length=512)
    fires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    claimed_until: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))


class InboundDeliveryRow(SQLModel, table=True):
    """One delivery received on a source URL or a step URL: the inbound log, the dedupe record and the inbox.

    The first verified delivery with a given dedupe key owns `dedupe_key` (unique); retries of it are logged
    with `dedupe_key` NULL and answered with the owner's stored answer. An owner is inserted in the same
    transaction as the advance it causes. `buffered` rows are the inbox: applied in `received_at` order when a
    journey starts waiting for (source, correlation_key), or `expired` after `expires_at`.
    """

    __tablename__ = "inbound_delivery"
    __table_args__ = (
        Index("ux_inbound_delivery_dedupe", "dedupe_key", unique=True),
        # Only the inbox is indexed by key: applied deliveries (the many) skip this index on insert.
        Index(
            "ix_inbound_delivery_inbox",
            "source",
            "correlation_key",
            "received_at",
            sqlite_where=text("verdict = 'buffered'"),
            postgresql_where=text("verdict = 'buffered'"),
        ),
        Index("ix_inbound_delivery_received", "received_at", "id"),
        Index("ix_inbound_delivery_journey", "journey_id", "received_at"),
    )

    id: str = Field(primary_key=True, max_length=64)
    source: str | None = Field(default=None, max_length=100)
    journey_id: str | None = Field(default=None, max_length=64)
    step_id: str | None = Field(default=None, max_length=200)
    correlation_key: str | None = Field(default=None, max_length=200)
    dedupe_key: str | None = Field(default=None, max_length=64)
    delivery_id: str | None = Field(default=None, max_length=200)
    verdict: str = Field(max_length=40)
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    status: int
    answer: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    content_type: str | None = Field(default=None, max_length=200)
    body: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    key_id: str | None = Field(default=None, max_length=200)
    received_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    processing_ms: float = Field(default=0.0)
    expires_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))


class StartIdempotencyRow(SQLModel, table=True):
    """The first answer to a start carrying an idempotency key, so a retry of that start is answered the same.

    `scope_key` is a digest of (principal, journey name, key): unique, and inserted in the same transaction as
    the journey it started, so of two racing starts with one key exactly one creates a journey.
    """

    __tablename__ = "start_idempotency"
    __table_args__ = (Index("ix_start_idempotency_expires", "expires_at"),)

    scope_key: str = Field(primary_key=True, max_length=64)
    fingerprint: str = Field(max_length=64)
    journey_id: str = Field(max_length=64)
    # The answer the first start got (status, content type, body, headers) as JSON; NULL if none was rendered.
    answer: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class JourneyDefinitionRow(SQLModel, table=True):
    """One version of a journey as loaded: its instances are advanced by it even after the file changed or went.

    Keyed by name and the digest of the normalised document, so loading an unchanged file again adds nothing.
    """

    __tablename__ = "journey_definition"

    journey_name: str = Field(primary_key=True, max_length=200)
    digest: str = Field(primary_key=True, max_length=64)
    label: str = Field(max_length=64)  # metadata.version
    file_name: str = Field(max_length=500)  # where it was loaded from: its format, and the name its errors carry
    source: str = Field(sa_column=Column(Text, nullable=False))
    stored_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


instance_table = JourneyInstanceRow.__table__
transition_table = JourneyTransitionRow.__table__
delivery_table = InboundDeliveryRow.__table__
start_key_table = StartIdempotencyRow.__table__
definition_table = JourneyDefinitionRow.__table__
search_key_table = JourneySearchKeyRow.__table__
timer_table = JourneyTimerRow.__table__


# -- result push (journeys.store.outbox) ------------------------------------------------------------------------


class ResultPushRow(SQLModel, table=True):
    """The outbox of result pushes: one row per end of a journey whose outcome is to be POSTed to its callback URL,
    inserted in the transaction of the advance that ended it, so a push is never lost nor sent for an end that
    was not committed. A delivery worker claims a due row by moving `next_attempt_at` a lease ahead (a worker that
    dies holding it lets it come due again: at least once), and settles it `delivered` or `abandoned`.
    """

    __tablename__ = "result_push"
    __table_args__ = (
        # Only pending rows are claimed: settled ones (the many) stay out of this index.
        Index(
            "ix_result_push_due",
            "next_attempt_at",
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_result_push_journey", "journey_id", "created_at"),
    )

    id: str = Field(primary_key=True, max_length=64)  # the `webhook-id`: the same on every attempt
    journey_id: str = Field(max_length=64)
    url: str = Field(sa_column=Column(Text, nullable=False))
    body: str = Field(sa_column=Column(Text, nullable=False))  # the JourneyOutcome as sent (and signed)
    status: str = Field(max_length=16)  # pending, delivered, abandoned
    attempts: int = Field(default=0)
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    next_attempt_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    claim: str | None = Field(default=None, max_length=64)  # the worker holding the row until next_attempt_at
    finished_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))


class ResultPushAttemptRow(SQLModel, table=True):
    """One attempt to deliver a result push: what the receiver answered, or why there was no answer."""

    __tablename__ = "result_push_attempt"
    __table_args__ = (Index("ix_result_push_attempt_push", "push_id", "at"),)

    id: str = Field(primary_key=True, max_length=64)
    push_id: str = Field(max_length=64)
    at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    status: int | None = Field(default=None)  # the receiver's HTTP status; NULL when it gave no answer
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    duration_ms: float = Field(default=0.0)


class JourneyRunLeaseRow(SQLModel, table=True):
    """Which process resumes an abandoned run (a Running journey that is not waiting), and until when.

    Recovery takes the lease before it runs the journey, so two processes never resume one journey at once (and
    never send its outbound calls twice); a process also takes leases on its own runs that last long, so that
    nobody presumes them abandoned. A lease a dead process left lapses at `until`.
    """

    __tablename__ = "journey_run_lease"

    journey_id: str = Field(primary_key=True, max_length=64)
    owner: str = Field(max_length=200)
    until: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


result_push_table = ResultPushRow.__table__
result_push_attempt_table = ResultPushAttemptRow.__table__
run_lease_table = JourneyRunLeaseRow.__table__
