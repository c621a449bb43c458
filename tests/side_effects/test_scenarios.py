"""`journeys test` with the cache and event checks (docs/scenarios.md): seeded entries are read by the journey,
`expect.cache` and `expect.events` pass when the journey did what they say and explain each difference otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from journeys.cli import main

HERE = Path(__file__).parent
PASSING = HERE / "side-effects.scenario.yaml"


def _run(capsys: pytest.CaptureFixture[str], path: Path) -> tuple[int, str]:
    status = main(["test", str(path)])
    return status, capsys.readouterr().out


def test_the_cache_scenarios_pass(capsys: pytest.CaptureFixture[str]) -> None:
    status, out = _run(capsys, PASSING)
    assert status == 0, out
    assert out.strip().splitlines()[-1].startswith("3 scenarios: 3 passed, 0 failed")


def test_wrong_cache_and_event_expectations_are_explained(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scenario = tmp_path / "wrong.scenario.yaml"
    scenario.write_text(
        f"""
journey: {HERE / "journeys" / "remember-after-step.journey.yaml"}
scenarios:
  - name: expects another choice and record
    start: {{ body: {{}} }}
    steps:
      - submit: confirm
        body: {{ choice: blue }}
    expect:
      phase: Succeeded
      cache: {{ choice: red }}
      events:
        - {{ topic: choices.made, key: red }}
        - {{ topic: choices.made }}
""",
        encoding="utf-8",
    )
    status, out = _run(capsys, scenario)
    assert status == 1, out
    assert "cache.choice: expected 'red', got 'blue'" in out
    assert "events: expected 2 published records, got 1" in out
    assert "events[0].key: expected 'red', got 'blue'" in out


def test_a_malformed_seed_stops_the_run_naming_the_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scenario = tmp_path / "bad.scenario.yaml"
    journey = HERE / "journeys" / "profile-cache.journey.yaml"
    scenario.write_text(
        f"journey: {journey}\nscenarios:\n  - name: bad seed\n    cache: [{{ key: k, value: 1, ttlSeconds: 0 }}]\n",
        encoding="utf-8",
    )
    status, out = _run(capsys, scenario)
    assert status == 2, out
    assert "cache[0].ttlSeconds" in out
