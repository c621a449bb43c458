"""The deployment files in server/: what can be checked without Docker, systemd or a PostgreSQL server.

Each assertion stands for a way the files could break a deploy: a config `serve` would refuse, a command line
naming a flag that no longer exists, a replica that starts before its database, a unit without its hardening.
"""

from __future__ import annotations

import configparser
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from journeys.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
SERVER = ROOT / "server"
PRODUCTION = SERVER / "production.yaml"
# A valid Standard Webhooks secret, made for this test only.
PUSH_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def _check_config(environ: dict[str, str], *flags: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("JOURNEYS_")}
    return subprocess.run(
        [sys.executable, "-m", "journeys.cli", "serve", "--check-config", "--config", str(PRODUCTION), *flags],
        capture_output=True,
        text=True,
        env=clean | environ,
        timeout=60,
    )


def test_the_production_config_passes_check_config_with_its_environment() -> None:
    environ = {
        "JOURNEYS_DATABASE_URL": "postgresql://journeys:pw-in-env@postgres:5432/journeys",
        "JOURNEYS_RESULT_PUSH_SECRET": PUSH_SECRET,
        "JOURNEYS_DEFINITIONS": str(ROOT / "definitions"),  # the image copies these to /etc/journeys/definitions
    }
    done = _check_config(environ, "--host", "0.0.0.0")  # as the Dockerfile runs it: clients make that allowed
    assert done.returncode == 0, done.stderr
    assert "database postgresql://journeys:***@postgres:5432/journeys" in done.stdout
    assert "clients ops, prometheus, shop-backend" in done.stdout


def test_without_its_database_variable_the_production_config_still_points_at_postgresql() -> None:
    done = _check_config({"JOURNEYS_DEFINITIONS": str(ROOT / "definitions")})
    assert done.returncode == 0, done.stderr
    assert "database postgresql://" in done.stdout  # never a local SQLite file by accident


def test_the_example_environment_is_refused_until_filled_in() -> None:
    """journeys.env.example holds placeholders: a server started with it as is must not come up."""
    example = {}
    for line in (SERVER / "journeys.env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            example[name.strip()] = value.strip()
    assert {"JOURNEYS_DATABASE_URL", "JOURNEYS_RESULT_PUSH_SECRET"} <= set(example)
    done = _check_config(example | {"JOURNEYS_DEFINITIONS": str(ROOT / "definitions")})
    assert done.returncode == 2
    assert "JOURNEYS_RESULT_PUSH_SECRET" in done.stderr


def _parses(argv: list[str]) -> None:
    args = build_parser().parse_args(argv)  # exits (SystemExit) on a flag `serve` does not have
    assert args.command == "serve" and args.config == "/etc/journeys/production.yaml"


def test_the_dockerfile_runs_the_checked_config_as_a_non_root_user() -> None:
    text = (SERVER / "Dockerfile").read_text().replace("\\\n", " ")  # continuation lines joined
    assert re.search(r"^FROM python:3\.11-slim\b", text, re.M)
    users = re.findall(r"^USER (\S+)", text, re.M)
    assert users and users[-1] not in ("root", "0")
    assert re.search(r"^COPY server/production\.yaml /etc/journeys/production\.yaml$", text, re.M)
    healthcheck = re.search(r"^HEALTHCHECK .*$", text, re.M)
    assert healthcheck and "/healthz" in healthcheck[0]
    command = re.search(r"^CMD (.*)$", text, re.M)
    assert command is not None
    runs = [shlex.split(run) for run in re.findall(r"journeys (serve[^&\"]*)", command[1])]
    assert [run[:2] for run in runs] == [["serve", "--check-config"], ["serve", "--config"]]
    for run in runs:
        _parses(run)
    assert "--host" in runs[-1] and runs[-1][runs[-1].index("--host") + 1] == "0.0.0.0"


def test_compose_runs_two_replicas_on_a_healthy_postgresql_behind_one_port() -> None:
    compose = yaml.safe_load((SERVER / "compose.yaml").read_text())
    services = compose["services"]
    journeys = sorted(n for n, s in services.items() if s.get("build", {}).get("dockerfile") == "server/Dockerfile")
    assert len(journeys) == 2
    postgres = [s for s in services.values() if str(s.get("image", "")).startswith("postgres:15")]
    assert len(postgres) == 1
    (database,) = [n for n, s in services.items() if s is postgres[0]]
    assert postgres[0]["healthcheck"]["test"] and postgres[0]["volumes"]
    named_volume = postgres[0]["volumes"][0].split(":")[0]
    assert named_volume in compose["volumes"]
    for name in journeys:
        assert services[name]["depends_on"][database]["condition"] == "service_healthy"
    published = [n for n, s in services.items() if s.get("ports")]
    assert len(published) == 1 and published[0] not in journeys  # one port, in front of both replicas
    upstreams = re.findall(r"^\s*server (\S+):8080", (SERVER / "nginx.conf").read_text(), re.M)
    assert sorted(upstreams) == journeys
    assert (SERVER / services[journeys[0]]["build"]["context"]).resolve() == ROOT  # the Dockerfile COPYs from it


def test_the_systemd_unit_is_hardened_and_runs_the_checked_config() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None, empty_lines_in_values=False)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read_string((SERVER / "journeys.service").read_text())
    service = unit["Service"]
    assert service.get("DynamicUser") == "yes" or service.get("User") not in (None, "", "root")
    assert service["ProtectSystem"] == "strict"
    assert service["Restart"] == "on-failure"
    assert service["EnvironmentFile"].lstrip("-")
    assert service.get("NoNewPrivileges") == "yes"
    for key in ("ExecStartPre", "ExecStart"):
        argv = shlex.split(service[key])
        assert Path(argv[0]).name == "journeys"
        _parses(argv[1:])
    assert "--check-config" in service["ExecStartPre"] and "--check-config" not in service["ExecStart"]
    assert unit["Install"]["WantedBy"]


def _container_tool() -> str | None:
    return next((tool for tool in ("docker", "podman") if shutil.which(tool)), None)


def test_the_image_builds() -> None:
    tool = _container_tool()
    if tool is None:
        pytest.skip("neither docker nor podman is installed")
    pulled = subprocess.run([tool, "pull", "python:3.11-slim"], capture_output=True, text=True, timeout=300)
    if pulled.returncode != 0:
        pytest.skip(f"{tool} cannot reach the base image python:3.11-slim: {pulled.stderr.strip()[-200:]}")
    built = subprocess.run(
        [tool, "build", "-f", "server/Dockerfile", "-t", "journeys-ci-check", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert built.returncode == 0, built.stderr[-2000:]
