"""`journeys test SCENARIO.yaml... [--junit-xml PATH] [-k TEXT]`: run journey scenarios, for people and for CI.

Every file is read, its journey loaded and its operation names resolved before any scenario runs: exit status 2
when one cannot run (the message names the file and the field), 1 when a scenario failed, 0 when all passed. A
directory argument means every `*.scenario.yaml` below it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from journeys.definitions import DefinitionErrors, load_definition
from journeys.definitions.model import JourneyDefinition
from journeys.engine.platform_binding import PlatformConfigError, check_platform_config
from journeys.scenarios.junit import write_junit
from journeys.scenarios.report import print_result, print_summary
from journeys.scenarios.runner import Plan, ScenarioResult, plan_scenario, run_scenario
from journeys.scenarios.scenario_format import load_scenario_file
from journeys.scenarios.scenario_model import ScenarioFile, ScenarioFormatError

SCENARIO_SUFFIX = ".scenario.yaml"


@dataclass(frozen=True, slots=True)
class LoadedFile:
    file: ScenarioFile
    definition: JourneyDefinition
    plans: list[Plan]


def scenario_paths(paths: Sequence[str]) -> list[Path]:
    """The files named, with each directory replaced by the scenario files below it (sorted)."""
    found: list[Path] = []
    for name in paths:
        path = Path(name)
        found += sorted(path.rglob(f"*{SCENARIO_SUFFIX}")) if path.is_dir() else [path]
    return found


def load_scenarios(path: Path, selected: str | None = None) -> LoadedFile:
    """One file, ready to run: ScenarioFormatError when the file, its journey or a name in it is wrong."""
    file = load_scenario_file(path)
    try:
        definition = load_definition(file.journey)
    except DefinitionErrors as error:
        raise ScenarioFormatError(f"{path}: journey {file.journey} does not load:\n{error}") from error
    try:
        check_platform_config([definition], {definition.name: file.platform_config})
    except PlatformConfigError as error:
        raise ScenarioFormatError(f"{path}: platformConfig: {error}") from error
    chosen = [s for s in file.scenarios if selected is None or selected.lower() in s.name.lower()]
    return LoadedFile(file, definition, [plan_scenario(file, definition, scenario) for scenario in chosen])


async def run_loaded(loaded: Sequence[LoadedFile], out: TextIO | None = None) -> list[ScenarioResult]:
    """Run every planned scenario, one after another; each result is printed as it comes when `out` is given."""
    results = []
    for entry in loaded:
        for plan in entry.plans:
            result = await run_scenario(entry.file, entry.definition, plan)
            if out is not None:
                print_result(result, out)
            results.append(result)
    return results


def run_scenario_tests(
    paths: Sequence[str], out: TextIO, junit_xml: str | None = None, selected: str | None = None
) -> int:
    began = time.perf_counter()
    files = scenario_paths(paths)
    loaded, errors = [], []
    for path in files:
        try:
            loaded.append(load_scenarios(path, selected))
        except ScenarioFormatError as error:
            errors.append((str(path), str(error)))
    if not files:
        errors.append((", ".join(paths), f"no scenario files (*{SCENARIO_SUFFIX}) found"))
    if errors:
        for _, message in errors:
            print(f"error: {message}", file=out)
        if junit_xml:
            write_junit(junit_xml, [], errors)
        return 2
    # The server logs each failed journey as a warning; here a failed journey is often the scenario's point, and the
    # report says what matters. Errors (a crash in the server) still show.
    logging.getLogger("journeys").setLevel(logging.ERROR)
    results = asyncio.run(run_loaded(loaded, out))
    print_summary(results, time.perf_counter() - began, out)
    if junit_xml:
        write_junit(junit_xml, results)
    if not results:
        print(f"error: no scenario matches -k {selected!r}, so nothing was verified", file=out)
        return 1
    return 0 if all(result.passed for result in results) else 1
