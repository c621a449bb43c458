"""Run leases (one process resumes an abandoned run at a time) and, on PostgreSQL, a notice when a journey ends.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# Kept in step with journeys.store.end_notices.CHANNEL: LISTEN on it hears the id of every journey that ends.
_FUNCTION = """
CREATE OR REPLACE FUNCTION journeys_notify_ended() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('journeys_ended', NEW.id);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql
"""
_TRIGGER = """
CREATE TRIGGER journey_instance_ended AFTER UPDATE OF phase ON journey_instance
FOR EACH ROW WHEN (OLD.phase = 'Running' AND NEW.phase <> 'Running')
EXECUTE FUNCTION journeys_notify_ended()
"""


def upgrade() -> None:
    op.create_table(
        "journey_run_lease",
        sa.Column("journey_id", sa.String(64), nullable=False),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("journey_id"),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_FUNCTION)
        op.execute(_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS journey_instance_ended ON journey_instance")
        op.execute("DROP FUNCTION IF EXISTS journeys_notify_ended()")
    op.drop_table("journey_run_lease")
