"""`journeys test`: what a person (and a CI job) sees for passing, failing and malformed scenario files."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from journeys.cli import main

FIXTURES = Path(__file__).parent / "fixtures"
PASSING = FIXTURES / "parcel-return.scenario.yaml"
JOURNEY = FIXTURES / "parcel-return.journey.yaml"
API = FIXTURES / "order-lookup.journey.yaml"

FAILING = f"""
journey: {JOURNEY}
scenarios:
  - name: expects the wrong label and a call never made
    start:
      body: {{ orderId: o-1 }}
    steps:
      - submit: awaitDropOff
        body: {{ scanned: false }}
    expect:
      phase: Succeeded
      output: {{ labelId: L-2 }}
      path: [lookupOrder, bookLabel]
      calls:
        - operation: getOrder
          url: https://returns.example.test/v2/orders/o-2
  - name: a submission the step refuses
    start:
      body: {{ orderId: o-1 }}
    steps:
      - submit: awaitDropOff
        body: {{ scanned: maybe }}
      - advance: 1d
    expect:
      phase: Succeeded
"""


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    status = main(["test", *args])
    return status, capsys.readouterr().out


def test_passing_scenarios_exit_0_with_a_line_each(capsys: pytest.CaptureFixture[str]) -> None:
    status, out = run(capsys, str(PASSING))
    assert status == 0, out
    assert "PASS parcel-return: dropped off within the week" in out
    assert "PASS parcel-return: not dropped off within the week" in out
    assert out.strip().splitlines()[-1].startswith("4 scenarios: 4 passed, 0 failed")


def test_a_directory_runs_the_scenario_files_below_it_and_k_selects(capsys: pytest.CaptureFixture[str]) -> None:
    status, out = run(capsys, str(FIXTURES), "-k", "WEEK")
    assert status == 0, out
    assert "2 scenarios: 2 passed" in out and "unknown order" not in out


def test_a_failing_scenario_says_what_differs_and_where_the_journey_went(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    scenario = tmp_path / "failing.scenario.yaml"
    scenario.write_text(FAILING)
    status, out = run(capsys, str(scenario))
    assert status == 1
    first, second = out.split("FAIL parcel-return: a submission")
    assert "FAIL parcel-return: expects the wrong label and a call never made" in first
    assert "output.labelId: expected 'L-2', got 'L-1'" in first
    assert (
        "path: expected lookupOrder -> bookLabel, got lookupOrder -> checkOrder -> bookLabel -> awaitDropOff" in first
    )
    assert "calls: expected 1 downstream calls, got 2" in first
    assert "calls[0].url: expected 'https://returns.example.test/v2/orders/o-2', got " in first
    assert "path taken: lookupOrder -> checkOrder -> bookLabel -> awaitDropOff -> received -> done" in first
    assert "GET https://returns.example.test/v2/orders/o-1 -> 200 (orders.getOrder)" in first
    assert "POST https://returns.example.test/v2/orders/o-1/return-labels -> 201 (orders.createReturnLabel)" in first
    # The refused submission stops the scenario there: the advance after it is not played.
    assert "steps[0] submit awaitDropOff: expected a 2xx answer, got 400" in second
    assert "journey " in second and "phase Running at awaitDropOff" in second
    assert "steps[1]" not in second
    assert out.strip().splitlines()[-1].startswith("2 scenarios: 0 passed, 2 failed")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("journey: [unclosed", "not valid YAML"),
        (f"journey: {JOURNEY}\nscenarios: []\n", "scenarios: must be a non-empty list"),
        ("journey: nowhere.journey.yaml\nscenarios: [{name: a}]\n", "journey: 'nowhere.journey.yaml' is not a file"),
        (f"journey: {JOURNEY}\nscenarios: [{{name: a, expct: {{}}}}]\n", "scenarios[0]: unknown field(s) ['expct']"),
        (
            f"journey: {JOURNEY}\nscenarios: [{{name: a, steps: [{{advance: soon}}]}}]\n",
            "scenarios[0] (a).steps[0].advance: 'soon' is not a duration",
        ),
        (
            f"journey: {JOURNEY}\nscenarios: [{{name: a, responses: {{getOrdr: {{status: 200}}}}}}]\n",
            "scenario 'a': responses.getOrdr: no operation 'getOrdr' (known: orders.getOrder, orders.createReturnLa",
        ),
        (
            f"journey: {JOURNEY}\nscenarios: [{{name: a, expect: {{outputPaths: {{'a..b': 1}}}}}}]\n",
            "outputPaths: 'a..b' is not a path",
        ),
        (f"journey: {JOURNEY}\nscenarios: [{{name: a}}, {{name: a}}]\n", "names must be unique, repeated: ['a']"),
    ],
)
def test_a_malformed_file_exits_2_naming_the_file_and_field(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str, message: str
) -> None:
    scenario = tmp_path / "broken.scenario.yaml"
    scenario.write_text(text)
    status, out = run(capsys, str(PASSING), str(scenario))
    assert status == 2
    assert f"error: {scenario}: " in out and message in out, out
    assert "PASS" not in out  # every file is checked before any scenario runs


def test_a_journey_that_does_not_load_is_a_malformed_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    journey = tmp_path / "broken.journey.yaml"
    journey.write_text(JOURNEY.read_text().replace("start: lookupOrder", "start: nowhere"))
    (tmp_path / "apis").symlink_to(FIXTURES / "apis")
    scenario = tmp_path / "a.scenario.yaml"
    scenario.write_text("journey: broken.journey.yaml\nscenarios: [{name: a}]\n")
    status, out = run(capsys, str(scenario))
    assert status == 2 and "does not load" in out and "nowhere" in out


def test_junit_xml_has_a_suite_per_file_and_a_case_per_scenario(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    failing = tmp_path / "failing.scenario.yaml"
    failing.write_text(FAILING)
    report = tmp_path / "report.xml"
    status, _ = run(capsys, str(PASSING), str(failing), "--junit-xml", str(report))
    assert status == 1
    root = ElementTree.parse(report).getroot()
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("6", "2", "0")
    suites = root.findall("testsuite")
    assert [suite.get("name") for suite in suites] == [str(PASSING), str(failing)]
    assert [(s.get("tests"), s.get("failures")) for s in suites] == [("4", "0"), ("2", "2")]
    cases = suites[1].findall("testcase")
    assert [case.get("classname") for case in cases] == ["parcel-return", "parcel-return"]
    assert cases[0].get("name") == "expects the wrong label and a call never made"
    assert float(cases[0].get("time") or "x") > 0
    failure = cases[0].find("failure")
    assert failure is not None and failure.get("message") == "output.labelId: expected 'L-2', got 'L-1'"
    assert "path taken: lookupOrder -> checkOrder" in (failure.text or "")
    assert all(case.find("failure") is None for case in suites[0].findall("testcase"))


def test_junit_xml_reports_a_malformed_file_as_an_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    broken = tmp_path / "broken.scenario.yaml"
    broken.write_text("journey: nowhere.journey.yaml\nscenarios: [{name: a}]\n")
    report = tmp_path / "report.xml"
    assert run(capsys, str(broken), "--junit-xml", str(report))[0] == 2
    root = ElementTree.parse(report).getroot()
    assert root.get("errors") == "1"
    error = root.find("testsuite/testcase/error")
    assert error is not None and "is not a file" in (error.get("message") or "")


def test_a_kind_api_is_called_once_and_checked_by_its_answer(capsys: pytest.CaptureFixture[str]) -> None:
    status, out = run(capsys, str(FIXTURES / "order-lookup.scenario.yaml"))
    assert status == 0, out
    assert "PASS order-lookup: a known order answers with its status" in out


@pytest.mark.parametrize(
    ("scenario", "message"),
    [
        ("{name: a, steps: [{advance: 1s}]}", "a kind: Api runs in one request, it has no steps"),
        ("{name: a, expect: {phase: Succeeded}}", "a kind: Api stores no journey; check its answer with start.expect"),
    ],
)
def test_a_kind_api_scenario_has_no_steps_or_journey_checks(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, scenario: str, message: str
) -> None:
    broken = tmp_path / "api.scenario.yaml"
    broken.write_text(f"journey: {API}\nscenarios: [{scenario}]\n")
    status, out = run(capsys, str(broken))
    assert status == 2 and message in out, out


def test_an_advance_fires_the_wait_timeout_only_once_it_is_due(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The drop-off wait has `timeoutSec: 604800`: 6 days keep it waiting, the 7th day fires `onTimeout`."""
    scenario = tmp_path / "timer.scenario.yaml"
    scenario.write_text(
        f"""
journey: {JOURNEY}
scenarios:
  - name: too early
    start: {{ body: {{ orderId: o-1 }} }}
    steps:
      - advance: 6d
        expect: {{ phase: Failed }}
  - name: on time
    start: {{ body: {{ orderId: o-1 }} }}
    steps:
      - advance: 6d
        expect: {{ phase: Running, currentState: awaitDropOff }}
      - advance: 23h59m59s
        expect: {{ phase: Running }}
      - advance: 1s
        expect: {{ phase: Failed, currentState: expired }}
"""
    )
    status, out = run(capsys, str(scenario))
    assert status == 1
    assert "FAIL parcel-return: too early" in out
    assert "steps[0] advance 6d: phase: expected 'Failed', got 'Running'" in out
    assert "PASS parcel-return: on time" in out
