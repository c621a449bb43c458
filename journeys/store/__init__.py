"""Persistence: sqlmodel tables and the only code that talks SQL (SQLite by default, PostgreSQL to scale)."""

from journeys.store.database import DEFAULT_DATABASE_URL, DEFAULT_POOL_SIZE, normalise_url
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
from journeys.store.run_leases import RunLease

__all__ = [
    "DEFAULT_DATABASE_URL",
    "DEFAULT_POOL_SIZE",
    "AdvanceOutcome",
    "DefinitionVersionRecord",
    "DeliveryRecord",
    "DeliveryStore",
    "InboxClaim",
    "InstanceRecord",
    "JourneyFilter",
    "JourneyStore",
    "KeyInUse",
    "RunLease",
    "StartKeyRecord",
    "Timer",
    "TransitionRecord",
    "normalise_url",
]
