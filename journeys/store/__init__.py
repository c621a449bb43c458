"""Persistence: sqlmodel tables and the only code that talks SQL (SQLite by default, PostgreSQL to scale)."""

from journeys.store.database import DEFAULT_DATABASE_URL, normalise_url
from journeys.store.records import InstanceRecord, TransitionRecord
from journeys.store.repository import JourneyStore

__all__ = ["DEFAULT_DATABASE_URL", "InstanceRecord", "JourneyStore", "TransitionRecord", "normalise_url"]
