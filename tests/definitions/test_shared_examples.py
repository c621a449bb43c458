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
    # The choice default names a state `done` that the example never declares.
    "http-problem-details": {"spec.states.decide_error.default"},
    # The choice default names a state `rejected`; the example only declares `expiredOrRejected`.
    "mortgage-repricing-rate-lock": {"spec.states.evaluateOffer.default"},
    # operationRef names an API the example never declares in spec.apis.
    "approval-loop": {"spec.states.notifyAndReenter.task.operationRef"},
    "wait-approval": {"spec.states.submit.task.operationRef"},
    # spec.apis points at an OpenAPI document the example set does not ship.
    "auth-outbound-client-credentials": {"spec.apis.backend.openApiRef"},
    # ... and a branch's wait state with its `wait` block left empty (its fields written beside it).
    "travel-booking-bundle": {
        "spec.apis.providers.openApiRef",
        "spec.states.changeOrCancelOrTimeout.parallel.branches[0].states.waitForChangeOrCancel.channel",
        "spec.states.changeOrCancelOrTimeout.parallel.branches[0].states.waitForChangeOrCancel.input",
        "spec.states.changeOrCancelOrTimeout.parallel.branches[0].states.waitForChangeOrCancel.next",
        "spec.states.changeOrCancelOrTimeout.parallel.branches[0].states.waitForChangeOrCancel.response",
        "spec.states.changeOrCancelOrTimeout.parallel.branches[0].states.waitForChangeOrCancel.wait",
    },
    # operationRef names an operation the referenced OpenAPI document does not have.
    "daily-orders-batch-close": {
        "spec.states.closeBatch.task.operationRef",
        "spec.states.exchangeInitialToken.task.operationRef",
        "spec.states.prepareBatchSnapshot.task.operationRef",
        "spec.states.runBatch.task.operationRef",
    },
    "http-resilience-degrade": {"spec.states.call_upstream.task.operationRef"},
    "post-delivery-feedback": {"spec.compensation.states.sendFeedbackRequest.task.operationRef"},
    "subjourney-local-reuse": {"spec.subjourneys.enrichProfile.states.fetchProfile.task.operationRef"},
    "credit-decision-parallel": {
        "spec.states.evaluate.parallel.branches[0].states.riskCall.task.operationRef",
        "spec.states.evaluate.parallel.branches[1].states.limitsCall.task.operationRef",
    },
    # A wait's `response` written beside the `wait` block instead of in it.
    "insurance-claim-fnol-to-settlement": {
        "spec.states.assessmentParallel.parallel.branches[0].states.adjusterAssessmentWithSla.parallel.branches[0]"
        ".states.waitForAdjusterReport.response",
        "spec.states.assessmentParallel.parallel.branches[1].states.providerAssessmentWithSla.parallel.branches[0]"
        ".states.waitForProviderEstimate.response",
    },
    # `enum` written as a property of the schema's `properties` instead of inside a property.
    "market-open-order-submission": {
        "spec.states.preOpenWindow.parallel.branches[0].states.waitForPreOpenAction.wait.response.schema.properties"
        ".enum"
    },
    # Three states indented into the state before them, and branches whose `next` leaves the parallel for a
    # top-level state (a branch's states lead only to states of the same branch: docs/dsl.md).
    "healthcare-appointment-referral": {
        f"spec.states.referralOrExpiry.parallel.branches[{branch}].states.{field}"
        for branch, field in (
            (0, "bookConfirmedAppointment.ingestWaitForAppointmentStatus"),
            (0, "bookConfirmedAppointment.next"),
            (0, "bookConfirmedAppointment.routeWaitForAppointmentStatus"),
            (0, "bookConfirmedAppointment.waitForAppointmentStatus"),
            (0, "completeAppointmentCompleted.next"),
            (0, "completeAppointmentConfirmed.next"),
            (0, "completePatientCancelled.next"),
            (0, "noProviderAvailable.next"),
            (0, "normaliseAppointments.ingestPatientDecision"),
            (0, "normaliseAppointments.next"),
            (0, "normaliseAppointments.patientDecision"),
            (0, "normaliseAppointments.routePatientDecision"),
            (1, "markReferralExpired.next"),
        )
    },
    # Scheduled runs must not wait for input (DSL 5.4, ADR-0017), but this one's reach a finance approval `wait`.
    "monthly-invoicing-batch": {"spec.states.configureSchedule.task.start"},
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
        "spec.compensation.states.rollback.task.operationRef",
        "spec.compensation.states.undo_inventory.task.operationRef",
        "spec.states.place_order.task.operationRef",
        "spec.states.place_order.task.params.body",
        "spec.states.reserve_inventory.task.operationRef",
        "spec.states.reserve_inventory.task.params.body",
    },
}

# Examples that use only what this engine implements; they must keep loading.
LOADS_CLEANLY = {
    "auth-jwt-mtls",
    "auth-jwt-scopes",
    "auth-mtls-only",
    "auth-user-info",
    "subject-step-guard",
    "cache-user-profile",
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
    "event-publish-kafka",
    "payment-callback",
    "privacy-erasure-sla",
    "recurring-payment",
    "sync-wrapper-wait",
    "transform-pipeline",
    "async-callback-sla",
    "customer-onboarding-kyc",
    "customer-onboarding-kyc-kyb",
    "document-signing-multi-signer",
    "kyc-async-timeout-fallback",
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
