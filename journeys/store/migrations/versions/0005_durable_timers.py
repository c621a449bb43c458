"""Durable timers: the journey_timer table and the instance row's `timers`; armed step timeouts move onto them.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from __future__ import annotations

from datetime import UTC

import orjson
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "journey_timer",
        sa.Column("journey_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("fires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("journey_id", "kind"),
    )
    op.create_index("ix_journey_timer_fires", "journey_timer", ["fires_at"])
    op.add_column("journey_instance", sa.Column("timers", sa.Text(), nullable=True))
    # A journey waiting at a step with a timeout had it as `due_at` alone: it becomes that step's timer.
    instance = sa.table(
        "journey_instance",
        sa.column("id", sa.String),
        sa.column("current_state", sa.String),
        sa.column("phase", sa.String),
        sa.column("waiting", sa.Boolean),
        sa.column("due_at", sa.DateTime(timezone=True)),
        sa.column("timers", sa.Text),
    )
    timer = sa.table(
        "journey_timer",
        sa.column("journey_id", sa.String),
        sa.column("kind", sa.String),
        sa.column("fires_at", sa.DateTime(timezone=True)),
    )
    bind = op.get_bind()
    armed = bind.execute(
        sa.select(instance.c.id, instance.c.current_state, instance.c.due_at).where(
            instance.c.phase == "Running", instance.c.waiting.is_(True), instance.c.due_at.is_not(None)
        )
    ).all()
    for journey_id, state, due_at in armed:
        due_at = due_at if due_at.tzinfo is not None else due_at.replace(tzinfo=UTC)  # SQLite: naive, UTC
        document = {"step-timeout": {"state": state, "at": due_at.isoformat()}}
        bind.execute(
            instance.update().where(instance.c.id == journey_id).values(timers=orjson.dumps(document).decode())
        )
        bind.execute(timer.insert().values(journey_id=journey_id, kind="step-timeout", fires_at=due_at))


def downgrade() -> None:
    op.drop_column("journey_instance", "timers")
    op.drop_index("ix_journey_timer_fires", table_name="journey_timer")
    op.drop_table("journey_timer")
