"""Bad auth-task definitions are load errors naming the field; bad profiles or TLS settings stop the start-up with
a message naming the config key; a journey whose profile is missing is warned about."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from journeys.definitions import DefinitionErrors, load_definition_text
from journeys.definitions.context_reads import unwritten_reads
from journeys.server.config import ConfigError, ServerConfig, load_config
from journeys.server.credential_config import credential_changes
from journeys.server.reloading import unconfigured_secrets
from tests.credentials.certificates import authority, leaf

JOURNEY = """\
apiVersion: v1
kind: Journey
metadata: {{ name: auth-config, version: "1" }}
spec:
  start: check
  states:
    check:
      type: task
      task: {task}
      next: done
    done: {{ type: succeed }}
"""


@pytest.mark.parametrize(
    ("task", "field", "message"),
    [
        ("{kind: jwtValidate:v1, source: {location: body, name: t}}", "task.source.location", "must be one of"),
        ("{kind: jwtValidate:v1, source: {location: header}}", "task.source.name", "missing required field"),
        ("{kind: jwtValidate:v1, audience: x}", "task.audience", "unknown field 'audience'"),
        ("{kind: mtlsValidate:v1, trustAnchors: [{pem: nope}]}", "task.trustAnchors[0]", "PEM certificate"),
        ("{kind: mtlsValidate:v1, allowSubjects: ['not a name']}", "task.allowSubjects[0]", "distinguished name"),
        ("{kind: mtlsValidate:v1, allowSans: [{email: a@b.c}]}", "task.allowSans[0]", "{dns: <name>}"),
        ("{kind: mtlsValidate:v1, allowSans: [{ip: 999.1.1.1}]}", "task.allowSans[0]", "not an IP address"),
        ("{kind: mtlsValidate:v1, allowSerials: [xyz]}", "task.allowSerials[0]", "not a hex serial"),
        ("{kind: mtlsValidate:v1, allowSubjects: []}", "task.allowSubjects", "non-empty list"),
        ("{kind: mtlsValidate:v1, allowAnyFromTrusted: yes please}", "task.allowAnyFromTrusted", "true or false"),
    ],
)
def test_a_bad_task_block_is_a_load_error_naming_the_field(task: str, field: str, message: str) -> None:
    with pytest.raises(DefinitionErrors) as raised:
        load_definition_text(JOURNEY.format(task=task), "auth-config.journey.yaml")
    errors = raised.value.errors
    assert [error.field for error in errors] == [f"spec.states.check.{field}"], errors
    assert message in errors[0].message and errors[0].state == "check"


def test_a_task_with_inline_anchors_and_lists_loads() -> None:
    task = {
        "kind": "mtlsValidate:v1",
        "trustAnchors": [{"pem": authority().pem}],
        "allowSerials": ["0A:1b"],
        "allowSans": [{"ip": "::1"}, {"uri": "spiffe://x"}],
    }
    definition = load_definition_text(JOURNEY.format(task=json.dumps(task)), "auth-config.journey.yaml")
    loaded = definition.states["check"].task  # type: ignore[union-attr]
    assert loaded.filters.serials == (0x0A1B,) and len(loaded.trust_anchors) == 1


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"jwtProfiles": {"default": {"issuer": "x"}}}, "jwtProfiles.default: give the keys"),
        ({"jwtProfiles": {"default": {"secret": ["s" * 32], "scopes": 1}}}, "unknown keys ['scopes']"),
        (
            {"jwtProfiles": {"default": {"secret": ["s" * 32], "source": {"location": "body"}}}},
            "jwtProfiles.default.source",
        ),
        ({"mtlsProfiles": {"default": {"trustAnchors": ["missing.pem"]}}}, "mtlsProfiles.default.trustAnchors[0]"),
        ({"mtlsProfiles": {"default": {"allowAnyFromTrusted": "yes"}}}, "allowAnyFromTrusted must be true or false"),
        ({"tls": {"certificate": "server.pem"}}, "tls needs certificate and key"),
        (
            {"tls": {"certificate": "server.pem", "key": "server-key.pem", "clientCert": "required"}},
            "needs tls.clientCa",
        ),
        ({"tls": {"certificate": "server-key.pem", "key": "server.pem"}}, "tls: cannot use"),
        ({"clientCertHeader": "X Client Cert"}, "clientCertHeader must be a header name"),
    ],
)
def test_bad_settings_stop_the_start_up_naming_the_key(tmp_path: Path, settings: dict, message: str) -> None:
    leaf(authority(), "CN=journeys.test", ips=("127.0.0.1",), server=True).write(tmp_path, "server")
    config = tmp_path / "server.yaml"
    config.write_text(yaml.safe_dump(settings))
    with pytest.raises(ConfigError) as raised:
        load_config(config_file=str(config))
    assert message in str(raised.value)


def test_a_journey_whose_profile_is_not_configured_is_warned_about(tmp_path: Path) -> None:
    jwt_task = load_definition_text(JOURNEY.format(task="{kind: jwtValidate:v1, profile: partners}"), "a.yaml")
    mtls_task = load_definition_text(JOURNEY.format(task="{kind: mtlsValidate:v1}"), "b.yaml")
    changes = credential_changes(
        ServerConfig().credentials, {"jwtProfiles": {"partners": {"secret": ["s" * 32]}}}, tmp_path
    )
    warnings = unconfigured_secrets([jwt_task, mtls_task], [], ServerConfig(**changes))
    assert len(warnings) == 1 and "mtlsValidate:v1 profile 'default'" in warnings[0] and "mtlsProfiles" in warnings[0]


READS = """\
apiVersion: v1
kind: Journey
metadata: {{ name: reads, version: "1" }}
spec:
  input: {{ schema: {{ type: object, properties: {{ orderId: {{ type: string }} }} }} }}
  start: check
  states:
    check:
      type: task
      task: {{ kind: {kind}, authVar: caller }}
      next: route
    route:
      type: choice
      choices:
        - when: {{ predicate: {{ lang: dataweave, expr: "context.{read}.problem == null" }} }}
          next: done
      default: done
    done: {{ type: succeed }}
"""


@pytest.mark.parametrize("kind", ["jwtValidate:v1", "mtlsValidate:v1"])
def test_validate_knows_what_an_auth_task_writes(kind: str) -> None:
    mechanism = "jwt" if kind.startswith("jwt") else "mtls"
    written = load_definition_text(READS.format(kind=kind, read=f"caller.{mechanism}"), "reads.journey.yaml")
    assert unwritten_reads(written) == []
    misread = load_definition_text(READS.format(kind=kind, read=f"auth.{mechanism}"), "reads.journey.yaml")
    [warning] = unwritten_reads(misread)
    assert warning.message.startswith("reads context.auth, which nothing writes")
