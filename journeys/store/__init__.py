"""Persistence: sqlmodel tables and the only code that talks SQL (SQLite by default, PostgreSQL to scale)."""

from journeys.store.database import DEFAULT_DATABASE_URL, normalise_url
from journeys.store.deliveries import DeliveryStore, InboxClaim
from journeys.store.listing import JourneyFilter
from journeys.store.records import (
    AdvanceOutcome,
    DefinitionVersionRecord,
    DeliveryRecord,
    InstanceRecord,
    KeyInUse,
    StartKeyRecord,
    Timer,
    TransitionRecord,
)
from journeys.store.repository import JourneyStore

__all__ = [
    "DEFAULT_DATABASE_URL",
    "AdvanceOutcome",
    "DefinitionVersionRecord",
    "DeliveryRecord",
    "DeliveryStore",
    "InboxClaim",
    "InstanceRecord",
    "JourneyFilter",
    "JourneyStore",
    "KeyInUse",
    "StartKeyRecord",
    "Timer",
    "TransitionRecord",
    "normalise_url",
]
