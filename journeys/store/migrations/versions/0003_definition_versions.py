"""Every loaded journey definition is stored, and each instance records the version it runs by.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "journey_definition",
        sa.Column("journey_name", sa.String(200), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("label", sa.String(64), nullable=False),
        sa.Column("file_name", sa.String(500), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("journey_name", "digest"),
    )
    # Nullable: journeys started before versions were stored have none until a server start adopts them.
    op.add_column("journey_instance", sa.Column("definition_digest", sa.String(64), nullable=True))
