"""Business keys of journeys (searchKeys), and the request body and context of each transition.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "journey_search_key",
        sa.Column("journey_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("value", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("journey_id", "name"),
    )
    op.create_index("ix_journey_search_key_lookup", "journey_search_key", ["name", "value", "journey_id"])
    # Nullable: transitions committed before this revision kept neither.
    op.add_column("journey_transition", sa.Column("request", sa.Text(), nullable=True))
    op.add_column("journey_transition", sa.Column("context", sa.Text(), nullable=True))
