"""Schedule bindings (`schedule:v1`): the `journey_schedule` table the scheduler starts runs from.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "journey_schedule",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("journey_name", sa.String(200), nullable=False),
        sa.Column("journey_version", sa.String(64), nullable=False),
        sa.Column("definition_digest", sa.String(64), nullable=False),
        sa.Column("start_state", sa.String(200), nullable=False),
        sa.Column("subject_id", sa.Text(), nullable=True),
        sa.Column("identity", sa.String(64), nullable=False),
        sa.Column("identity_key", sa.String(64), nullable=True),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("interval", sa.String(64), nullable=False),
        sa.Column("max_runs", sa.Integer(), nullable=False),
        sa.Column("runs_started", sa.Integer(), nullable=False),
        sa.Column("next_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_context", sa.Text(), nullable=False),
        sa.Column("last_journey_id", sa.String(64), nullable=True),
        sa.Column("bound_by", sa.String(64), nullable=False),
        sa.Column("owner", sa.String(200), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_journey_schedule_due", "journey_schedule", ["next_run_at"])
    op.create_index("ix_journey_schedule_identity", "journey_schedule", ["identity"])
    op.create_index("ux_journey_schedule_identity_key", "journey_schedule", ["identity_key"], unique=True)
    op.create_index("ix_journey_schedule_journey_created", "journey_schedule", ["journey_name", "created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_journey_schedule_journey_created", table_name="journey_schedule")
    op.drop_index("ux_journey_schedule_identity_key", table_name="journey_schedule")
    op.drop_index("ix_journey_schedule_identity", table_name="journey_schedule")
    op.drop_index("ix_journey_schedule_due", table_name="journey_schedule")
    op.drop_table("journey_schedule")
