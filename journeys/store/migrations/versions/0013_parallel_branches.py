"""Parallel branches: where each branch of a journey's `parallel` states stands (`journey_instance.branches`), and
timer kinds long enough to carry a branch's scope (`timer@race/sla`: a branch's timers are its own rows).

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("journey_instance", sa.Column("branches", sa.Text(), nullable=True))
    # A batch: SQLite cannot alter a column in place (the table is copied; PostgreSQL alters it).
    with op.batch_alter_table("journey_timer") as timers:
        timers.alter_column("kind", type_=sa.String(512), existing_type=sa.String(16), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("journey_timer") as timers:
        timers.alter_column("kind", type_=sa.String(16), existing_type=sa.String(512), existing_nullable=False)
    op.drop_column("journey_instance", "branches")
