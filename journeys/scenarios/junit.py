"""`--junit-xml PATH`: the results in the JUnit XML CI servers read (one `<testsuite>` per scenario file, one
`<testcase>` per scenario; a failure's text is the same explanation the console shows, a file that cannot run is
an `<error>`)."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from collections.abc import Sequence
from pathlib import Path

from journeys.scenarios.report import failure_details
from journeys.scenarios.runner import ScenarioResult


def _suite(name: str, tests: int, failures: int, errors: int, seconds: float) -> ElementTree.Element:
    return ElementTree.Element(
        "testsuite",
        name=name,
        tests=str(tests),
        failures=str(failures),
        errors=str(errors),
        skipped="0",
        time=f"{seconds:.3f}",
    )


def junit_document(results: Sequence[ScenarioResult], file_errors: Sequence[tuple[str, str]] = ()) -> str:
    """The XML text for `results` and for the files that could not run (`(path, message)`)."""
    root = ElementTree.Element("testsuites", name="journeys test")
    by_file: dict[str, list[ScenarioResult]] = {}
    for result in results:
        by_file.setdefault(result.file, []).append(result)
    for file, file_results in by_file.items():
        failed = sum(not result.passed for result in file_results)
        seconds = sum(result.seconds for result in file_results)
        suite = _suite(file, len(file_results), failed, 0, seconds)
        for result in file_results:
            case = ElementTree.SubElement(
                suite,
                "testcase",
                classname=result.journey,
                name=result.scenario.name,
                file=result.file,
                time=f"{result.seconds:.3f}",
            )
            if not result.passed:
                failure = ElementTree.SubElement(case, "failure", message=result.failures[0], type="ScenarioFailure")
                failure.text = "\n".join(failure_details(result))
        root.append(suite)
    for file, message in file_errors:
        suite = _suite(file, 1, 0, 1, 0.0)
        case = ElementTree.SubElement(suite, "testcase", classname="scenario-file", name=Path(file).name, file=file)
        error = ElementTree.SubElement(case, "error", message=message, type="ScenarioFileError")
        error.text = message
        root.append(suite)
    root.set("tests", str(len(results) + len(file_errors)))
    root.set("failures", str(sum(not result.passed for result in results)))
    root.set("errors", str(len(file_errors)))
    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def write_junit(path: str, results: Sequence[ScenarioResult], file_errors: Sequence[tuple[str, str]] = ()) -> None:
    Path(path).write_text(junit_document(results, file_errors), encoding="utf-8")
