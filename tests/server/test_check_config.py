"""`journeys serve --check-config`: the start-up checks without the port or the database; every problem listed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from journeys.cli import main
from tests.support import BROKEN_JOURNEY

JOURNEY = """\
apiVersion: v1
kind: Journey
metadata: { name: greet, version: "1" }
spec:
  platform:
    config:
      greeting: { type: string, required: true }
  start: done
  states:
    done: { type: succeed }
"""


KEYED = """\
apiVersion: v1
kind: Journey
metadata: { name: keyed, version: "1" }
spec:
  start: check
  states:
    check:
      type: task
      task:
        kind: apiKeyValidate:v1
        profile: gateway
        source: { location: header, name: X-Key }
      next: done
    done: { type: succeed }
"""


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The checks read JOURNEYS_* as `serve` does: none may leak in from the shell running the tests."""
    for name in [name for name in os.environ if name.startswith("JOURNEYS_")]:
        monkeypatch.delenv(name)


@pytest.fixture
def definitions(tmp_path: Path) -> Path:
    folder = tmp_path / "definitions"
    folder.mkdir()
    (folder / "greet.journey.yaml").write_text(JOURNEY)
    return folder


def _config(tmp_path: Path, **document: object) -> str:
    path = tmp_path / "journeys.yaml"
    path.write_text(yaml.safe_dump(document))
    return str(path)


def _check(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["serve", "--check-config", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_good_config_prints_one_summary_line_and_touches_no_database(
    tmp_path: Path, definitions: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    database = tmp_path / "journeys.db"
    config = _config(
        tmp_path,
        definitions="definitions",
        databaseUrl=f"sqlite:///{database}",
        platformConfig={"greet": {"greeting": "hello"}},
        clients={"shop": {"keys": ["k" * 32], "scopes": ["journeys:read"]}},
    )
    monkeypatch.setenv("JOURNEYS_PORT", "9123")  # the environment counts, as for `serve`
    code, out, err = _check(capsys, "--config", config, "--host", "0.0.0.0")
    assert (code, err) == (0, "")
    assert out.count("\n") == 1
    assert "ok: 1 journeys" in out
    assert "listen 0.0.0.0:9123" in out
    assert "clients shop" in out
    assert not database.exists()  # no database was opened, so none was created


def test_the_database_password_is_never_printed(
    tmp_path: Path, definitions: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JOURNEYS_DATABASE_URL", "postgresql://journeys:hunter2-secret@db.internal:5432/journeys")
    code, _, err = _check(capsys, "--definitions", str(definitions))
    assert code == 2 and "greeting" in err  # greet's required platformConfig value is missing
    assert "hunter2-secret" not in err
    code, out, err = _check(
        capsys, "--config", _config(tmp_path, definitions="definitions", platformConfig={"greet": {"greeting": "x"}})
    )
    assert code == 0, err
    assert "db.internal" in out and "hunter2-secret" not in out


def test_an_unknown_config_key_is_named(tmp_path: Path, definitions: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _check(capsys, "--config", _config(tmp_path, definitions="definitions", databaseURL="x"))
    assert (code, out) == (2, "")
    assert "unknown config keys ['databaseURL']" in err


def test_every_problem_is_listed_at_once(tmp_path: Path, definitions: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A definition that fails to load, a missing definitions directory, a listener with no client authentication
    and an unusable database URL: all of them in one run, so a deploy is fixed in one go."""
    (definitions / "broken.journey.yaml").write_text(BROKEN_JOURNEY)
    config = _config(
        tmp_path, definitions=["definitions", "missing"], databaseUrl="mysql://db/journeys", host="0.0.0.0"
    )
    code, out, err = _check(capsys, "--config", config)
    assert (code, out) == (2, "")
    assert "broken.journey.yaml" in err and "outputVariable" in err  # the file and the field at fault
    assert f"{tmp_path / 'missing'}: no such file or directory" in err
    assert "refusing to listen on 0.0.0.0 without client authentication" in err
    assert "unsupported database URL" in err
    assert "4 problem(s)" in err


def test_a_platform_config_the_definitions_do_not_accept_is_refused(
    tmp_path: Path, definitions: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path, definitions="definitions", platformConfig={"greet": {"greeting": 42}})
    code, _, err = _check(capsys, "--config", config)
    assert code == 2
    assert "platformConfig" in err and "greeting" in err


def test_a_missing_secret_is_a_warning_not_a_refusal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`serve` starts without an apiKeyValidate profile's keys (that step answers 500): the check says so, exits 0."""
    (tmp_path / "keyed.journey.yaml").write_text(KEYED)
    code, out, err = _check(capsys, "--definitions", str(tmp_path))
    assert code == 0 and "ok: 1 journeys" in out
    assert "warning: journey 'keyed' state 'check' uses API key profile 'gateway', which has no keys" in err
    monkeypatch.setenv("JOURNEYS_API_KEYS", '{"gateway": ["a-gateway-secret-key"]}')
    assert _check(capsys, "--definitions", str(tmp_path)) == (0, out, "")


def test_the_command_line_exits_2_on_a_broken_config(tmp_path: Path) -> None:
    """The real entry point, as a deploy script or `ExecStartPre=` runs it: the exit status is what they read."""
    config = _config(tmp_path, definitions="nowhere")
    environ = {k: v for k, v in os.environ.items() if not k.startswith("JOURNEYS_")}
    done = subprocess.run(
        [sys.executable, "-m", "journeys.cli", "serve", "--check-config", "--config", config],
        capture_output=True,
        text=True,
        env=environ,
        timeout=60,
    )
    assert done.returncode == 2
    assert "nowhere: no such file or directory" in done.stderr


def test_workers_need_postgresql(tmp_path: Path, definitions: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Several processes on one SQLite file would only queue for its one writer: refused before anything starts."""
    code, out, err = _check(capsys, "--definitions", str(definitions), "--workers", "3")
    assert (code, out) == (2, "")
    assert "workers: 3 needs PostgreSQL" in err
    config = _config(tmp_path, definitions="definitions", workers=0, platformConfig={"greet": {"greeting": "x"}})
    code, _, err = _check(capsys, "--config", config)
    assert code == 2 and "workers must be a whole number from 1 to 64 (got 0)" in err
    code, _, err = _check(capsys, "--config", _config(tmp_path, definitions="definitions", databasePoolSize="many"))
    assert code == 2 and "databasePoolSize must be a whole number (got 'many')" in err
    code, out, err = _check(
        capsys,
        "--config",
        _config(tmp_path, definitions="definitions", workers=4, platformConfig={"greet": {"greeting": "x"}}),
        "--database-url",
        "postgresql://journeys@db.internal:5432/journeys",
    )
    assert code == 0, err
    assert "listen 127.0.0.1:8080 with 4 workers" in out
