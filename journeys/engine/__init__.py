"""The interpreter and its facade: advances persisted instances state by state, timers, recovery."""

from journeys.engine.api_keys import ApiKeyProfile, parse_profiles
from journeys.engine.delivery_records import Receipt
from journeys.engine.errors import (
    AuthRejected,
    ConcurrentUpdate,
    CorrelationKeyInUse,
    DefinitionVersionUnusable,
    DeliveryNotFound,
    DeliveryRejected,
    EngineConfigurationError,
    EngineError,
    IdempotencyKeyReused,
    InboundBusy,
    InvalidBody,
    InvalidInput,
    JourneyNotFound,
    NotCancellable,
    NotReplayable,
    NotTerminal,
    StepNotActive,
    StepNotFound,
    UnknownJourneyDefinition,
    UnknownSource,
)
from journeys.engine.inbound_messages import Answer, InboundMessage
from journeys.engine.interpreter import InboundRequest
from journeys.engine.service import JourneyEngine, Snapshot, utc_now
from journeys.engine.starts import Started
from journeys.engine.versions import VersionSummary

__all__ = [
    "Answer",
    "ApiKeyProfile",
    "AuthRejected",
    "ConcurrentUpdate",
    "CorrelationKeyInUse",
    "DefinitionVersionUnusable",
    "DeliveryNotFound",
    "DeliveryRejected",
    "EngineConfigurationError",
    "EngineError",
    "IdempotencyKeyReused",
    "InboundBusy",
    "InboundMessage",
    "InboundRequest",
    "InvalidBody",
    "InvalidInput",
    "JourneyEngine",
    "JourneyNotFound",
    "NotCancellable",
    "NotReplayable",
    "NotTerminal",
    "Receipt",
    "Snapshot",
    "Started",
    "StepNotActive",
    "StepNotFound",
    "UnknownJourneyDefinition",
    "UnknownSource",
    "VersionSummary",
    "parse_profiles",
    "utc_now",
]
