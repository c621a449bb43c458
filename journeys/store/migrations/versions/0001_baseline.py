"""The schema as it was before alembic (the legacy `journeys_schema` table's version 2): journeys, their
history, and inbound deliveries.

Written out as explicit operations, not from the models: the models move on, a revision never does.
Databases created before alembic are stamped at this revision instead of running it (`legacy.py`), and
`create_inbound_delivery` is what a legacy version-1 database lacks.

Revision ID: 0001
Revises:
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "journey_instance",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("journey_name", sa.String(200), nullable=False),
        sa.Column("journey_version", sa.String(64), nullable=False),
        sa.Column("phase", sa.String(16), nullable=False),
        sa.Column("current_state", sa.String(200), nullable=False),
        sa.Column("waiting", sa.Boolean(), nullable=False),
        sa.Column("context", sa.Text(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("due_at", TIMESTAMP, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("inbound_source", sa.String(100), nullable=True),
        sa.Column("inbound_key", sa.String(200), nullable=True),
        sa.Column("inbound_open_key", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_journey_instance_name_created", "journey_instance", ["journey_name", "created_at", "id"])
    op.create_index("ix_journey_instance_phase_created", "journey_instance", ["phase", "created_at", "id"])
    op.create_index("ix_journey_instance_due", "journey_instance", ["due_at"])
    create_inbound_indexes()
    op.create_table(
        "journey_transition",
        sa.Column("journey_id", sa.String(64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(32), nullable=False),
        sa.Column("from_state", sa.String(200), nullable=True),
        sa.Column("to_state", sa.String(200), nullable=False),
        sa.Column("phase", sa.String(16), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("journey_id", "seq"),
    )
    create_inbound_delivery()


def create_inbound_indexes() -> None:
    """The journey row's inbound indexes (a version-1 database adds them with their columns)."""
    op.create_index("ix_journey_instance_inbound", "journey_instance", ["inbound_source", "inbound_key"])
    op.create_index(
        "ux_journey_instance_inbound_open", "journey_instance", ["inbound_source", "inbound_open_key"], unique=True
    )


def create_inbound_delivery() -> None:
    buffered = sa.text("verdict = 'buffered'")
    op.create_table(
        "inbound_delivery",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("source", sa.String(100), nullable=True),
        sa.Column("journey_id", sa.String(64), nullable=True),
        sa.Column("step_id", sa.String(200), nullable=True),
        sa.Column("correlation_key", sa.String(200), nullable=True),
        sa.Column("dedupe_key", sa.String(64), nullable=True),
        sa.Column("delivery_id", sa.String(200), nullable=True),
        sa.Column("verdict", sa.String(40), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("content_type", sa.String(200), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("key_id", sa.String(200), nullable=True),
        sa.Column("received_at", TIMESTAMP, nullable=False),
        sa.Column("processing_ms", sa.Float(), nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ux_inbound_delivery_dedupe", "inbound_delivery", ["dedupe_key"], unique=True)
    op.create_index(
        "ix_inbound_delivery_inbox",
        "inbound_delivery",
        ["source", "correlation_key", "received_at"],
        sqlite_where=buffered,
        postgresql_where=buffered,
    )
    op.create_index("ix_inbound_delivery_received", "inbound_delivery", ["received_at", "id"])
    op.create_index("ix_inbound_delivery_journey", "inbound_delivery", ["journey_id", "received_at"])
