"""Who started each journey (client authentication), and the idempotency keys of starts.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: journeys started before client authentication (or on an open API) have no principal.
    op.add_column("journey_instance", sa.Column("started_by", sa.String(200), nullable=True))
    op.create_index("ix_journey_instance_started_by_created", "journey_instance", ["started_by", "created_at", "id"])
    op.create_table(
        "start_idempotency",
        sa.Column("scope_key", sa.String(64), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("journey_id", sa.String(64), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("scope_key"),
    )
    op.create_index("ix_start_idempotency_expires", "start_idempotency", ["expires_at"])
