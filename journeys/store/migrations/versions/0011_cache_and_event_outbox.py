"""The `cache:v1` cache (entries with an expiry, swept by its index) and the `kafkaPublish:v1` event outbox.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cache_entry",
        sa.Column("key", sa.String(512), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("ix_cache_entry_expires", "cache_entry", ["expires_at"])
    op.create_table(
        "event_outbox",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("event_key", sa.String(200), nullable=False),
        sa.Column("journey_id", sa.String(64), nullable=False),
        sa.Column("state", sa.String(200), nullable=False),
        sa.Column("topic", sa.String(249), nullable=False),
        sa.Column("connection", sa.String(512), nullable=True),
        sa.Column("record_key", sa.Text(), nullable=True),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("headers", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_event_outbox_journey", "event_outbox", ["journey_id", "id"])
    op.create_index(
        "ix_event_outbox_unpublished",
        "event_outbox",
        ["id"],
        sqlite_where=sa.text("published_at IS NULL"),
        postgresql_where=sa.text("published_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_event_outbox_unpublished", table_name="event_outbox")
    op.drop_index("ix_event_outbox_journey", table_name="event_outbox")
    op.drop_table("event_outbox")
    op.drop_index("ix_cache_entry_expires", table_name="cache_entry")
    op.drop_table("cache_entry")
