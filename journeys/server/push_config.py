"""The `resultPush` settings of the server config: the signing secret(s), when to give up, the host allow-list.

In the config file:

    resultPush:
      secret: whsec_...              # or `secrets: [whsec_new, whsec_old]` while receivers move to the new one
      giveUpHours: 24                # how long a push is retried before it is abandoned
      allowedHosts: [hooks.example.com, "*.partner.example"]   # the only hosts callback URLs may name

and as environment variables: JOURNEYS_RESULT_PUSH_SECRET (several separated by spaces),
JOURNEYS_RESULT_PUSH_GIVE_UP_HOURS, JOURNEYS_RESULT_PUSH_ALLOWED_HOSTS (comma-separated). Errors name the setting,
never the secret.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta

from journeys.engine.push_signing import signing_key
from journeys.engine.result_push import PushSettings
from journeys.settings_blocks import known_keys

FIELDS = ("secret", "secrets", "giveUpHours", "allowedHosts")


def _keys(secrets: object, where: str) -> tuple[bytes, ...]:
    texts = [secrets] if isinstance(secrets, str) else secrets
    if not isinstance(texts, list) or not texts or not all(isinstance(text, str) for text in texts):
        raise ValueError(f"{where} must be a whsec_ secret or a list of them")
    try:
        return tuple(signing_key(text) for text in texts)
    except ValueError as error:
        raise ValueError(f"{where}: {error}") from None


def _give_up_after(value: object, where: str) -> timedelta:
    hours = value if isinstance(value, int | float) and not isinstance(value, bool) else None
    if hours is None or not 0 < hours <= 24 * 365:
        raise ValueError(f"{where} must be a number of hours above 0 (at most a year), got {value!r}")
    return timedelta(hours=hours)


def _hosts(value: object, where: str) -> frozenset[str]:
    if not isinstance(value, list) or not all(isinstance(host, str) and host.strip() for host in value):
        raise ValueError(f"{where} must be a list of host names, e.g. [hooks.example.com, '*.partner.example']")
    return frozenset(host.strip().lower() for host in value)


def from_document(current: PushSettings, value: object, where: str) -> PushSettings:
    """`current` with the `resultPush` block of a config file applied; ValueError names the bad field."""
    value = known_keys(value, where, FIELDS)
    settings = current
    for name in ("secret", "secrets"):
        if name in value:
            settings = replace(settings, keys=_keys(value[name], f"{where}.{name}"))
    if "giveUpHours" in value:
        settings = replace(settings, give_up_after=_give_up_after(value["giveUpHours"], f"{where}.giveUpHours"))
    if "allowedHosts" in value:
        settings = replace(settings, allowed_hosts=_hosts(value["allowedHosts"], f"{where}.allowedHosts"))
    return settings


def from_environment(current: PushSettings, environ: Mapping[str, str]) -> PushSettings:
    """`current` with the JOURNEYS_RESULT_PUSH_* variables applied; ValueError names the bad variable."""
    settings = current
    if environ.get("JOURNEYS_RESULT_PUSH_SECRET"):
        secrets = environ["JOURNEYS_RESULT_PUSH_SECRET"].split()
        settings = replace(settings, keys=_keys(secrets, "JOURNEYS_RESULT_PUSH_SECRET"))
    if environ.get("JOURNEYS_RESULT_PUSH_GIVE_UP_HOURS"):
        text = environ["JOURNEYS_RESULT_PUSH_GIVE_UP_HOURS"]
        try:
            hours: object = float(text)
        except ValueError:
            hours = text
        settings = replace(settings, give_up_after=_give_up_after(hours, "JOURNEYS_RESULT_PUSH_GIVE_UP_HOURS"))
    if environ.get("JOURNEYS_RESULT_PUSH_ALLOWED_HOSTS"):
        hosts = [host for host in environ["JOURNEYS_RESULT_PUSH_ALLOWED_HOSTS"].split(",") if host.strip()]
        settings = replace(settings, allowed_hosts=_hosts(hosts, "JOURNEYS_RESULT_PUSH_ALLOWED_HOSTS"))
    return settings
