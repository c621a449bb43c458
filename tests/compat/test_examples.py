"""The JourneyForge examples, run through the `journeys test` runner with the scenarios in this folder.

Each `<example>.scenario.yaml` names the example's definition in the shared checkout (../shared/journeyforge,
never copied here) and plays its happy path and its failure or alternative paths as the example's page describes
them. An example that does not load (a defect of its own: tests/definitions/test_shared_examples.py says which) is
skipped with the loader's reason, its scenarios ready for the day it is fixed; a scenario the example itself gets
wrong is listed in EXAMPLE_DEFECTS and must keep failing (strict xfail), so a fixed example is noticed.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from journeys.scenarios.command import SCENARIO_SUFFIX, LoadedFile, load_scenarios
from journeys.scenarios.report import failure_details
from journeys.scenarios.runner import run_scenario
from journeys.scenarios.scenario_model import ScenarioFormatError
from tests.support import SHARED_EXAMPLES, loadable_examples, needs_shared_examples

COMPAT = Path(__file__).parent
SCENARIO_FILES = sorted(COMPAT.glob(f"*{SCENARIO_SUFFIX}"))

# (example, scenario) -> why the example, not the engine, makes the scenario fail.
EXAMPLE_DEFECTS: dict[tuple[str, str], str] = {
    (
        "transform-pipeline",
        "an order with a currency totals amount plus tax",
    ): "`normalise` replaces the whole context with {order} (target.path '' as DSL 2151 says), then `enrich` reads "
    "the gone `context.amount` instead of `context.order.amount`: EXPRESSION_ERROR:enrich",
    ("transform-pipeline", "the currency defaults to USD"): "as above",
    (
        "post-delivery-feedback",
        "a delivered order gets a feedback request after the delay",
    ): "compensation's alsoFor tests `output.finalStatus == \"DELIVERED\"`, but `completeDelivered` outputs the "
    "delivery payload ({status: delivered, deliveryDate}), which has no `finalStatus`: no feedback is ever requested",
    (
        "cache-user-profile",
        "a profile not in the cache is fetched from the users service and cached",
    ): "`normalise` maps {user: {id, country}} and writes it at target.path `user` (DSL 2150), so the user is at "
    "`context.user.user` and the key `context.user.id` is null: CACHE_KEY_INVALID:readCache (a null key is refused "
    "rather than read as the string 'null', which would serve one user's profile to every other)",
    ("cache-user-profile", "a cached profile is returned without calling the users service"): "as above",
    ("cache-user-profile", "another user's cached profile is not used"): "as above",
    ("cache-user-profile", "the entry is gone once its TTL has passed"): "as above",
    (
        "http-conditional-composition",
        "the default route sends the start's id as the item id",
    ): "`call_default` builds the body from `context.inputId`, a field the input schema does not have (it requires "
    "`id`, which the beta route uses): the item is created with `id: null`",
    (
        "business-hours-payment-authorization",
        "after closing the payment is authorized at 09:00 the next business day",
    ): "the page promises 09:00 the next business day, but after 17:00 the timer waits P1D: the payment is "
    "authorized at the same after-hours time a day later (and a Friday evening's lands on Saturday)",
    (
        "subject-step-guard",
        "an anonymous start and an anonymous submission are refused",
    ): "the page promises a security error on a subject mismatch, but the journey never looks at "
    "`auth.jwt.problem`: without a token at the start and at the step both subjects are null, null == null, and the "
    "anonymous submission proceeds",
    (
        "kyc-async-timeout-fallback",
        "a primary callback arriving after the SLA is ignored and the fallback decides",
    ): "the page says a late primary callback is a no-op and the fallback decides, but `ignorePrimaryCallback` leads "
    "to the branch's `succeed`: under `anyOf` (DSL 16, the first branch to end) the race ends there, the journey "
    "succeeds as KYC_TIMED_OUT and the fallback branch is cancelled",
    (
        "customer-onboarding-kyc",
        "the approved outcome reports finalStatus APPROVED with the check results and the account",
    ): "the page (and output schema) promise `finalStatus`, check results and the account in the output, but "
    "`completeApproved` outputs `riskDecision`, the risk webhook's payload: {customerId, decision, ...}",
    (
        "customer-onboarding-kyc-kyb",
        "a business without its optional registration number is onboarded",
    ): "`registrationNumber` is optional in the input schema and on the page, but `registryLookup` interpolates it "
    "into its URL; a missing variable is an error (DSL 4), so the KYB branch fails and the journey fails at the join",
}

# (example, scenario) -> the feature it waits for, being built now; non-strict, as it may land at any moment.
NEEDS_FEATURE: dict[tuple[str, str], str] = {}


def _example(file: Path) -> str:
    return file.name.removesuffix(SCENARIO_SUFFIX)


@functools.cache
def _loaded(file: Path) -> LoadedFile:
    """Each file's journey is loaded once per test process, not once per scenario."""
    return load_scenarios(file)


def _cases() -> Iterator[object]:
    for file in SCENARIO_FILES:
        for scenario in yaml.safe_load(file.read_text(encoding="utf-8"))["scenarios"]:
            yield pytest.param(file, scenario["name"], id=f"{_example(file)}::{scenario['name']}")


@needs_shared_examples
@pytest.mark.parametrize(("file", "name"), list(_cases()))
async def test_example_scenario(file: Path, name: str, request: pytest.FixtureRequest) -> None:
    try:
        loaded = _loaded(file)
    except ScenarioFormatError as error:
        if "does not load" in str(error):
            pytest.skip(f"{_example(file)} does not load: {str(error).splitlines()[1]}")
        raise
    defect = EXAMPLE_DEFECTS.get((_example(file), name))
    if defect is not None:
        request.applymarker(pytest.mark.xfail(reason=f"example defect: {defect}", strict=True))
    feature = NEEDS_FEATURE.get((_example(file), name))
    if feature is not None:
        request.applymarker(pytest.mark.xfail(reason=f"needs a feature: {feature}", strict=False))
    plan = next(plan for plan in loaded.plans if plan.scenario.name == name)
    result = await run_scenario(loaded.file, loaded.definition, plan)
    assert result.passed, "\n".join(failure_details(result))


@needs_shared_examples
def test_every_loadable_example_has_scenarios() -> None:
    """An example that starts loading (a feature landed) needs scenarios here, so it is run, not only loaded."""
    covered = {_example(file) for file in SCENARIO_FILES}
    missing = sorted(path.parent.name for path in loadable_examples() if path.parent.name not in covered)
    assert not missing, f"write tests/compat/<example>{SCENARIO_SUFFIX} for: {missing} (from {SHARED_EXAMPLES})"


def test_defects_name_scenarios_that_exist() -> None:
    cases = {(_example(file), name) for file, name in (param.values for param in _cases())}  # type: ignore[attr-defined]
    assert not (set(EXAMPLE_DEFECTS) | set(NEEDS_FEATURE)) - cases
