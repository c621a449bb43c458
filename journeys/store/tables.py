"""SQLModel tables: one row per journey instance, plus an append-only history of its advances.

A waiting journey is just its `journey_instance` row; nothing about it lives in memory between requests.
JSON documents (context, outcome, visited path) are stored as text serialised by orjson so the same
columns work unchanged on SQLite and PostgreSQL. The hot path talks to these tables through
SQLAlchemy Core (`Model.__table__`), never through ORM sessions.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime, Index, Text
from sqlmodel import Field, SQLModel


class JourneyInstanceRow(SQLModel, table=True):
    __tablename__ = "journey_instance"
    __table_args__ = (
        Index("ix_journey_instance_name_created", "journey_name", "created_at", "id"),
        Index("ix_journey_instance_phase_created", "phase", "created_at", "id"),
        Index("ix_journey_instance_due", "due_at"),
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
    # When the active step times out (wait/webhook timeoutSec); NULL when no timer is armed.
    due_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    # Compare-and-set counter: every committed advance increments it by one.
    version: int = Field(default=1)


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


class SchemaVersionRow(SQLModel, table=True):
    __tablename__ = "journeys_schema"

    id: int = Field(primary_key=True)
    version: int


instance_table = JourneyInstanceRow.__table__
transition_table = JourneyTransitionRow.__table__
schema_version_table = SchemaVersionRow.__table__
