"""Running one scenario: start the journey, play its steps, then read the journey back and check it.

The journey is driven through the HTTP API as a client would (start, submit steps) and read back the same way
(status, result, history), so a scenario checks what users see. Time moves only when a step says so: the clock
is advanced and the timers that became due are fired. The first step whose check fails stops the scenario: what
follows would test a journey already off the expected path.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any

from journeys.definitions.model import JourneyDefinition
from journeys.engine.lifecycle import TERMINAL_PHASES
from journeys.scenarios.cache_events import check_side_effects, observe_side_effects, seed_cache
from journeys.scenarios.checks import Observed, check_answer, check_journey_state, check_outcome
from journeys.scenarios.harness import Answer, Harness
from journeys.scenarios.scenario_model import (
    Advance,
    Expectation,
    Scenario,
    ScenarioFile,
    ScenarioFormatError,
    ScriptedResponse,
    StepExpectation,
    Submit,
)
from journeys.scenarios.stub_operations import StubCatalog, StubOperation


@dataclass(frozen=True, slots=True)
class Plan:
    """A scenario with its operation names resolved against the journey's APIs (checked before anything runs)."""

    scenario: Scenario
    catalog: StubCatalog
    scripts: dict[str, list[ScriptedResponse]]
    """Operation key -> its scripted responses, in call order."""
    expect: Expectation


@dataclass(slots=True)
class ScenarioResult:
    file: str
    journey: str
    scenario: Scenario
    failures: list[str] = field(default_factory=list)
    observed: Observed = field(default_factory=Observed)
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return not self.failures


def plan_scenario(file: ScenarioFile, definition: JourneyDefinition, scenario: Scenario) -> Plan:
    """Resolve the operations the scenario names; ScenarioFormatError when one names nothing the journey calls."""
    catalog = StubCatalog.of(definition, file.platform_config)
    where = f"{file.path}: scenario '{scenario.name}'"

    def resolve(key: str, field_name: str) -> StubOperation:
        try:
            return catalog.resolve(key)
        except ValueError as error:
            raise ScenarioFormatError(f"{where}: {field_name}: {error}") from error

    scripts = {resolve(key, f"responses.{key}").key: responses for key, responses in scenario.responses.items()}
    expect = scenario.expect
    if definition.kind == "Api":
        _check_api_scenario(scenario, where)
    counts = {resolve(key, f"expect.callCounts.{key}").key: n for key, n in expect.call_counts.items()}
    calls = None
    if expect.calls is not None:
        calls = [
            {**call, "operation": resolve(str(call["operation"]), f"expect.calls[{index}].operation").key}
            if call.get("operation") is not None
            else call
            for index, call in enumerate(expect.calls)
        ]
    return Plan(scenario, catalog, scripts, replace(expect, call_counts=counts, calls=calls))


def _check_api_scenario(scenario: Scenario, where: str) -> None:
    """A `kind: Api` runs in one request and stores nothing: no steps, and only the calls to check at the end."""
    if scenario.steps:
        raise ScenarioFormatError(f"{where}: steps: a kind: Api runs in one request, it has no steps to submit")
    kept = replace(scenario.expect, calls=None, call_counts={})
    if kept != Expectation():
        raise ScenarioFormatError(
            f"{where}: expect: a kind: Api stores no journey; check its answer with start.expect "
            "(httpStatus, body, headers) and keep only calls/callCounts here"
        )


async def run_scenario(file: ScenarioFile, definition: JourneyDefinition, plan: Plan) -> ScenarioResult:
    scenario = plan.scenario
    result = ScenarioResult(str(file.path), definition.name, scenario)
    began = time.perf_counter()
    try:
        async with Harness(file, definition, scenario.clock, plan.catalog, plan.scripts) as harness:
            await seed_cache(harness, scenario.cache)
            result.failures = await _play(harness, definition, scenario, result.observed)
            result.observed.calls = list(harness.stubs.calls)
            await observe_side_effects(harness, plan.expect, result.observed)
            if not result.failures:
                result.failures = check_outcome(plan.expect, result.observed)
                result.failures += check_side_effects(plan.expect, result.observed)
    except Exception as error:  # a crash in the run is this scenario's failure, not the end of the others
        result.failures = [f"the scenario could not run: {type(error).__name__}: {error}"]
    result.seconds = time.perf_counter() - began
    return result


async def _play(harness: Harness, definition: JourneyDefinition, scenario: Scenario, observed: Observed) -> list[str]:
    """Start and play the steps; the failures of the first step that went wrong (empty: all went as expected)."""
    start = scenario.start
    if definition.kind == "Api":  # one request, nothing stored: its answer is all there is to check
        observed.answer = await harness.request("POST", f"/apis/{definition.name}", start.body, harness.headers(start))
        return check_answer(start.expect, observed.answer, "call")
    answer = await harness.request("POST", f"/journeys/{definition.name}/start", start.body, harness.headers(start))
    observed.journey_id = answer.body.get("journeyId") if isinstance(answer.body, dict) else None
    failures = await _after(harness, observed, start.expect, answer, "start")
    for index, step in enumerate(scenario.steps):
        if failures or observed.journey_id is None:
            break
        if isinstance(step, Submit):
            path = f"/journeys/{observed.journey_id}/steps/{step.step}"
            answer = await harness.request("POST", path, step.request.body, harness.headers(step.request))
            what = f"steps[{index}] submit {step.step}"
            failures = await _after(harness, observed, step.request.expect, answer, what)
        elif isinstance(step, Advance):
            await harness.advance(step.duration)
            await _read_back(harness, observed)
            what = f"steps[{index}] advance {step.text}"
            failures = [f"{what}: {line}" for line in _state_checks(step.expect, observed)]
    if observed.journey_id is not None:
        await _read_back(harness, observed)
        observed.scheduled_runs = await _scheduled_runs(harness, definition.name, observed.journey_id)
    return failures


async def _scheduled_runs(harness: Harness, name: str, started: str) -> list[dict[str, Any]]:
    """The scenario's world holds no journeys but its own and those its schedules started: the latter, oldest first,
    as the API shows each (its outcome once it ended)."""
    listed = (await harness.request("GET", f"/journeys?journeyName={name}&limit=100")).body
    runs = []
    for item in reversed(listed.get("items", []) if isinstance(listed, dict) else []):
        if item.get("journeyId") == started:
            continue
        ended = item.get("phase") in TERMINAL_PHASES
        runs.append((await harness.request("GET", f"/journeys/{item['journeyId']}/result")).body if ended else item)
    return runs


async def _after(harness: Harness, observed: Observed, expect: StepExpectation, answer: Answer, what: str) -> list[str]:
    failures = check_answer(expect, answer, what)
    if observed.journey_id is not None:
        await _read_back(harness, observed)
        failures += [f"{what}: {line}" for line in _state_checks(expect, observed)]
    elif expect.phase is not None or expect.current_state is not None:
        failures.append(f"{what}: no journey was started, so phase/currentState cannot be checked")
    return failures


def _state_checks(expect: StepExpectation, observed: Observed) -> list[str]:
    return check_journey_state(expect.phase, expect.current_state, observed.status)


async def _read_back(harness: Harness, observed: Observed) -> None:
    """The journey as the API shows it now: status, outcome when it ended, and the states walked through."""
    journey = f"/journeys/{observed.journey_id}"
    observed.status = (await harness.request("GET", journey)).body
    phase = observed.status.get("phase") if isinstance(observed.status, dict) else None
    if phase in TERMINAL_PHASES:
        observed.outcome = (await harness.request("GET", f"{journey}/result")).body
    history = (await harness.request("GET", f"{journey}/history")).body
    items = history.get("items", []) if isinstance(history, dict) else []
    observed.path = _states_walked(items)


def _states_walked(items: list[dict[str, Any]]) -> list[str]:
    """The history's per-advance paths joined; a state that ends one advance and starts the next counts once."""
    walked: list[str] = []
    for item in items:
        path = [str(state) for state in item.get("path") or []]
        if walked and path and path[0] == walked[-1]:
            path = path[1:]
        walked += path
    return walked
