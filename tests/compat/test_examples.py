"""The JourneyForge examples, run through the `journeys test` runner with the scenarios in this folder.

Each `<example>.scenario.yaml` names the example's definition in the shared checkout (../shared/journeyforge,
never copied here) and plays its happy path and its failure or alternative paths as the example's page describes
them. An example that does not load yet (it needs a feature this engine lacks) is skipped with the loader's reason;
a scenario the example itself gets wrong is listed in EXAMPLE_DEFECTS and must keep failing (strict xfail), so a
fixed example is noticed.
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
        "http-conditional-composition",
        "the default route sends the start's id as the item id",
    ): "`call_default` builds the body from `context.inputId`, a field the input schema does not have (it requires "
    "`id`, which the beta route uses): the item is created with `id: null`",
    (
        "business-hours-payment-authorization",
        "after closing the payment is authorized at 09:00 the next business day",
    ): "the page promises 09:00 the next business day, but after 17:00 the timer waits P1D: the payment is "
    "authorized at the same after-hours time a day later (and a Friday evening's lands on Saturday)",
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
            pytest.skip(f"{_example(file)} does not load yet (needs a feature): {str(error).splitlines()[1]}")
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
