"""Subjourneys: a child journey's link to its parent (and the graph it runs), the child a parent waits for, and the
notices of ended children whose parents are still to be resumed.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_COLUMNS = (("parent_id", 64), ("parent_state", 200), ("graph", 200), ("child_id", 64))


def upgrade() -> None:
    for name, length in _COLUMNS:  # nullable: every journey started before this revision is no parent nor child
        op.add_column("journey_instance", sa.Column(name, sa.String(length), nullable=True))
    op.create_table(
        "subjourney_end",
        sa.Column("child_id", sa.String(64), nullable=False),
        sa.Column("parent_id", sa.String(64), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("child_id"),
    )


def downgrade() -> None:
    op.drop_table("subjourney_end")
    for name, _ in reversed(_COLUMNS):
        op.drop_column("journey_instance", name)
