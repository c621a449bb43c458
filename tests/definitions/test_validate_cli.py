"""`journeys validate` as a user runs it: a subprocess, its exit status and its output."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BROKEN = Path(__file__).parent / "broken"

VALID = """
apiVersion: v1
kind: Journey
metadata: { name: hello, version: 0.1.0 }
spec:
  start: check
  states:
    check:
      type: task
      task: { kind: apiKeyValidate:v1 }
      next: done
    done: { type: succeed }
"""


def validate(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "journeys.cli", "validate", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_valid_files_print_ok_and_exit_zero(tmp_path: Path) -> None:
    path = tmp_path / "hello.journey.yaml"
    path.write_text(VALID)

    result = validate(tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == f"OK {path} (hello 0.1.0, 2 states)\n"


def test_invalid_files_print_every_error_and_exit_one(tmp_path: Path) -> None:
    valid = tmp_path / "hello.journey.yaml"
    valid.write_text(VALID)
    dangling = BROKEN / "dangling-next.journey.yaml"
    unknown_type = BROKEN / "unknown-state-type.journey.yaml"

    result = validate(valid, dangling, unknown_type)

    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0] == f"OK {valid} (hello 0.1.0, 2 states)"
    assert lines[1].startswith(f"{dangling}:11: state 'checkKey': spec.states.checkKey.next: no state 'dne'")
    assert lines[2].startswith(f"{unknown_type}:9: state 'pause': spec.states.pause.type: unknown state type")
    assert lines[3] == "2 of 3 definition file(s) invalid"


def test_duplicate_names_fail_the_second_file() -> None:
    directory = BROKEN / "duplicate-names"

    result = validate(directory)

    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"OK {directory / 'first.journey.yaml'} (same-name 0.1.0, 1 states)",
        f"{directory / 'second.journey.yaml'}: metadata.name: duplicate journey name 'same-name' "
        f"(also defined in {directory / 'first.journey.yaml'})",
        "1 of 2 definition file(s) invalid",
    ]


def test_missing_path_and_empty_directory_fail(tmp_path: Path) -> None:
    assert validate(tmp_path).returncode == 1
    assert "no definition files found" in validate(tmp_path).stdout

    result = validate(tmp_path / "absent.journey.yaml")

    assert result.returncode == 1
    assert f"{tmp_path / 'absent.journey.yaml'}: no such file or directory" in result.stdout
