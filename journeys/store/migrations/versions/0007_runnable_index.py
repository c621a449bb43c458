"""A partial index of the runnable journeys, so recovery reads them without walking every waiting one.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_journey_instance_runnable",
        "journey_instance",
        ["updated_at"],
        sqlite_where=sa.text("phase = 'Running' AND waiting = 0"),
        postgresql_where=sa.text("phase = 'Running' AND NOT waiting"),
    )


def downgrade() -> None:
    op.drop_index("ix_journey_instance_runnable", table_name="journey_instance")
