"""The `resultPush` server settings and the definition's `spec.lifecycle.callbackUrl`, as an operator and an author
meet them: what is accepted, and what is refused with a message naming the setting or field (never the secret)."""

from __future__ import annotations

import base64
import textwrap
from datetime import timedelta
from pathlib import Path

import pytest

from journeys.definitions import DefinitionErrors, load_definition
from journeys.engine.push_signing import signing_key
from journeys.server.config import ConfigError, load_config
from tests.push.conftest import SECRET

OLD_SECRET = "whsec_" + base64.b64encode(b"the-previous-result-push-key-32b").decode()


def _config_file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "journeys.yaml"
    path.write_text(textwrap.dedent(text))
    return str(path)


def test_the_config_file_sets_secrets_give_up_time_and_allowed_hosts(tmp_path: Path) -> None:
    config_file = _config_file(
        tmp_path,
        f"""
        resultPush:
          secrets: [{SECRET}, {OLD_SECRET}]
          giveUpHours: 2.5
          allowedHosts: [Hooks.Example.com, "*.partner.example"]
        """,
    )
    settings = load_config(config_file=config_file, environ={}).result_push
    assert settings.keys == (signing_key(SECRET), signing_key(OLD_SECRET))
    assert settings.give_up_after == timedelta(hours=2.5)
    assert settings.allowed_hosts == frozenset({"hooks.example.com", "*.partner.example"})


def test_the_environment_overrides_the_file(tmp_path: Path) -> None:
    config_file = _config_file(tmp_path, f"resultPush: {{secret: {OLD_SECRET}, giveUpHours: 1}}\n")
    environ = {
        "JOURNEYS_RESULT_PUSH_SECRET": f"{SECRET} {OLD_SECRET}",
        "JOURNEYS_RESULT_PUSH_GIVE_UP_HOURS": "48",
        "JOURNEYS_RESULT_PUSH_ALLOWED_HOSTS": "a.example, b.example",
    }
    settings = load_config(config_file=config_file, environ=environ).result_push
    assert settings.keys == (signing_key(SECRET), signing_key(OLD_SECRET))
    assert settings.give_up_after == timedelta(hours=48)
    assert settings.allowed_hosts == frozenset({"a.example", "b.example"})
    assert load_config(environ={}).result_push.keys == ()  # unset: no secret, nothing is sent


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("resultPush: {secret: not-a-whsec-secret}", "whsec_"),
        ("resultPush: {secret: whsec_!!!notbase64}", "not valid base64"),
        (f"resultPush: {{secret: whsec_{base64.b64encode(b'short').decode()}}}", "24 to 64 bytes"),
        ("resultPush: {giveUpHours: 0}", "giveUpHours"),
        ("resultPush: {allowedHosts: hooks.example.com}", "allowedHosts must be a list"),
        ("resultPush: {retries: 3}", "unknown keys ['retries']"),
    ],
)
def test_an_unusable_setting_is_refused_by_name_without_quoting_the_secret(
    tmp_path: Path, text: str, said: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        load_config(config_file=_config_file(tmp_path, text + "\n"), environ={})
    assert said in str(refused.value) and "resultPush" in str(refused.value)
    assert "not-a-whsec-secret" not in str(refused.value) and "notbase64" not in str(refused.value)


def test_a_bad_secret_in_the_environment_names_the_variable() -> None:
    with pytest.raises(ConfigError, match="JOURNEYS_RESULT_PUSH_SECRET") as refused:
        load_config(environ={"JOURNEYS_RESULT_PUSH_SECRET": "whsec_c2hvcnQ="})
    assert "c2hvcnQ" not in str(refused.value)


def _journey(tmp_path: Path, callback_url: str) -> Path:
    path = tmp_path / "pushing.journey.yaml"
    path.write_text(
        "apiVersion: v1\nkind: Journey\nmetadata: {name: pushing, version: '1'}\n"
        f"spec:\n  lifecycle:\n    callbackUrl: {callback_url!r}\n"
        "  start: done\n  states:\n    done: {type: succeed}\n"
    )
    return path


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("ftp://hooks.example.com/x", "absolute http or https URL"),
        ("/hooks/relative", "absolute http or https URL"),
        ("https://user:secret@hooks.example.com/", "credentials"),
    ],
)
def test_a_definition_naming_an_unusable_callback_url_does_not_load(tmp_path: Path, url: str, said: str) -> None:
    with pytest.raises(DefinitionErrors) as refused:
        load_definition(_journey(tmp_path, url))
    message = str(refused.value)
    assert "pushing.journey.yaml" in message and "spec.lifecycle.callbackUrl" in message and said in message


def test_a_definition_naming_a_callback_url_loads_with_it(tmp_path: Path) -> None:
    assert load_definition(_journey(tmp_path, "https://hooks.example.com/j")).callback_url == (
        "https://hooks.example.com/j"
    )
