"""Why the engine refused a request. The server maps each to an HTTP status and an RFC 9457 problem."""

from __future__ import annotations

from typing import Any


class EngineError(Exception):
    """Base class; `detail` is safe to show to the caller.

    A refused delivery is still logged: `delivery_id` and `verdict` then name its row in the inbound log.
    """

    delivery_id: str | None = None
    verdict: str | None = None

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class UnknownJourneyDefinition(EngineError):
    """No loaded definition has this name."""


class DefinitionVersionUnusable(EngineError):
    """The version a journey is pinned to no longer compiles with this engine: it can be read, not advanced."""


class UnknownDefinitionVersion(EngineError):
    """No stored version of the journey has this label or digest (prefix)."""


class AmbiguousDefinitionVersion(EngineError):
    """A label (or digest prefix) names several stored versions: the caller must name one by its digest."""


class InvalidMigration(EngineError):
    """A migration that cannot be run as asked (the same version twice, a map naming states neither has)."""


class NotRetryable(EngineError):
    """Only a Failed journey can be retried."""


class InvalidRetry(EngineError):
    """A retry from a state the journey's version does not have."""


class JourneyNotFound(EngineError):
    """No instance has this id."""


class StepNotActive(EngineError):
    """The instance is not waiting at the step the caller submitted to (or is already terminal)."""


class StepNotFound(EngineError):
    """The journey's definition has no step of that name."""


class NotTerminal(EngineError):
    """A result was asked for before the journey ended."""


class NotCancellable(EngineError):
    """The definition declares `spec.lifecycle.cancellable: false`."""


class ConcurrentUpdate(EngineError):
    """Another request advanced the same instance first; this one changed nothing."""


class InvalidInput(EngineError):
    """A start or step body failed its JSON Schema; `errors` lists what is wrong."""

    def __init__(self, detail: str, errors: list[str]) -> None:
        super().__init__(detail)
        self.errors = errors


class AuthRejected(EngineError):
    """A step's auth task failed and the journey routed back to the same step: nothing is persisted."""

    def __init__(self, detail: str, problem: dict[str, Any]) -> None:
        super().__init__(detail)
        self.problem = problem


class EngineConfigurationError(EngineError):
    """The server is misconfigured (e.g. an API-key profile a journey uses has no keys): nothing is persisted."""


class InvalidBody(EngineError):
    """The request body cannot be read as its content type says (malformed JSON, form or text)."""


class UnknownSource(EngineError):
    """No inbound source with this name is loaded."""


class DeliveryRejected(EngineError):
    """A delivery failed its source's verification: answered `status` (401 or 403), nothing applied."""

    def __init__(self, detail: str, status: int, cause: str) -> None:
        super().__init__(detail)
        self.status = status
        self.cause = cause


class CorrelationKeyInUse(EngineError):
    """A start would make a second journey wait for an inbound (source, key) that a waiting journey holds."""


class InboundBusy(EngineError):
    """A delivery kept losing races with other advances of its journey; the sender should retry (503)."""


class DeliveryNotFound(EngineError):
    """No logged delivery has this id."""


class NotReplayable(EngineError):
    """Only `unmatched` and `expired` deliveries can be replayed."""


class IdempotencyKeyReused(EngineError):
    """A start reused an idempotency key (within its window) with a different body: nothing was started."""
