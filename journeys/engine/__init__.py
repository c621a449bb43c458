"""The interpreter and its facade: advances persisted instances state by state, timers, recovery."""

from journeys.engine.api_keys import ApiKeyProfile, parse_profiles
from journeys.engine.errors import (
    AuthRejected,
    ConcurrentUpdate,
    EngineConfigurationError,
    EngineError,
    InvalidInput,
    JourneyNotFound,
    NotCancellable,
    NotTerminal,
    StepNotActive,
    UnknownJourneyDefinition,
)
from journeys.engine.interpreter import InboundRequest
from journeys.engine.service import JourneyEngine, Snapshot, utc_now

__all__ = [
    "ApiKeyProfile",
    "AuthRejected",
    "ConcurrentUpdate",
    "EngineConfigurationError",
    "EngineError",
    "InboundRequest",
    "InvalidInput",
    "JourneyEngine",
    "JourneyNotFound",
    "NotCancellable",
    "NotTerminal",
    "Snapshot",
    "StepNotActive",
    "UnknownJourneyDefinition",
    "parse_profiles",
    "utc_now",
]
