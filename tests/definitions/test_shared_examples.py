"""The published JourneyForge examples either load, or are rejected only for what this engine lacks.

A rejection for any other reason is a loader bug, unless the example itself contradicts the DSL reference;
those few are listed in EXAMPLE_DEFECTS with the reason, so a new discrepancy fails loudly.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from journeys.definitions import DefinitionErrors, load_definition

EXAMPLES = Path("/work/shared/journeyforge/examples")
EXAMPLE_FILES = sorted(EXAMPLES.glob("*/*.journey.yaml"))

# example -> fields of errors that are genuine defects of the example, not of the loader
EXAMPLE_DEFECTS: dict[str, set[str]] = {
    # `spec.resources.caches` was dropped from the DSL (ADR-0028) but the example still declares it.
    "cache-user-profile": {"spec.resources"},
    # The choice default names a state `done` that the example never declares.
    "http-problem-details": {"spec.states.decide_error.default"},
    # The choice default names a state `rejected`; the example only declares `expiredOrRejected`.
    "mortgage-repricing-rate-lock": {"spec.states.evaluateOffer.default"},
    # operationRef names an API the example never declares in spec.apis.
    "approval-loop": {"spec.states.notifyAndReenter.task.operationRef"},
    "wait-approval": {"spec.states.submit.task.operationRef"},
    # spec.apis points at an OpenAPI document the example set does not ship.
    "auth-outbound-client-credentials": {"spec.apis.backend.openApiRef"},
    "travel-booking-bundle": {"spec.apis.providers.openApiRef"},
    # operationRef names an operation the referenced OpenAPI document does not have.
    "daily-orders-batch-close": {
        "spec.states.closeBatch.task.operationRef",
        "spec.states.exchangeInitialToken.task.operationRef",
        "spec.states.prepareBatchSnapshot.task.operationRef",
        "spec.states.runBatch.task.operationRef",
    },
    "http-resilience-degrade": {"spec.states.call_upstream.task.operationRef"},
    # operationRef names an API the example never declares, and resiliencePolicyRef a policy it never defines.
    "poll-status-api": {"spec.states.poll.task.operationRef", "spec.states.poll.task.resiliencePolicyRef"},
    "multitenant-routing": {"spec.states.callTenantB.task.operationRef"},
    "notification-throttle": {
        "spec.states.callIntegration.task.operationRef",
        "spec.states.sendNotification.task.operationRef",
    },
    "payment-reminder-with-timeout": {"spec.states.sendReminder.task.operationRef"},
    # Missing operations, and the request body written under `params` instead of beside it.
    "http-compensation": {
        "spec.states.place_order.task.operationRef",
        "spec.states.place_order.task.params.body",
        "spec.states.reserve_inventory.task.operationRef",
        "spec.states.reserve_inventory.task.params.body",
    },
}

# Examples that use only what this engine implements; they must keep loading.
LOADS_CLEANLY = {
    "choice-multi-branch",
    "http-204-no-content",
    "http-aggregate-errors",
    "http-chained-calls",
    "http-conditional-composition",
    "http-cookie-jar",
    "http-failure-branch",
    "http-header-interpolation",
    "http-notify-audit",
    "http-post-json",
    "http-success",
    "metadata-from-payload",
    "http-timeout-branch",
    "payment-callback",
    "privacy-erasure-sla",
    "sync-wrapper-wait",
    "transform-pipeline",
}

pytestmark = pytest.mark.skipif(not EXAMPLE_FILES, reason=f"no JourneyForge examples under {EXAMPLES}")


def _name(path: Path) -> str:
    return path.name.removesuffix(".journey.yaml")


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=_name)
def test_example_loads_or_is_rejected_only_as_unsupported(path: Path) -> None:
    try:
        load_definition(path)
    except DefinitionErrors as failure:
        defects = {error.field for error in failure.errors if not error.unsupported}
        assert defects == EXAMPLE_DEFECTS.get(_name(path), set()), str(failure)
        for error in failure.errors:
            if error.unsupported:
                assert "not supported" in error.message or "unsupported" in error.message
    else:
        assert _name(path) not in EXAMPLE_DEFECTS


def test_examples_within_the_engine_feature_set_load_cleanly() -> None:
    loaded = set()
    for path in EXAMPLE_FILES:
        try:
            load_definition(path)
        except DefinitionErrors:
            continue
        loaded.add(_name(path))

    assert loaded >= LOADS_CLEANLY
