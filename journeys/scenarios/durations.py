"""Durations as scenario files write them: seconds (`90`), units (`90s`, `15m`, `48h`, `2d`, `2h30m`) or ISO 8601
(`PT48H`, `P2DT3H`, `P1M`, read as timer states read them). Timeouts in definitions are seconds; people think of
SLAs in hours and days, so both read."""

from __future__ import annotations

import re
from datetime import timedelta

from journeys.definitions.durations import Duration, TimeFormatError
from journeys.definitions.durations import parse_duration as parse_iso_duration

_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*")
_UNITS_ONLY = re.compile(rf"^(?:{_PART.pattern})+$")
_UNITS = {"ms": "milliseconds", "s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_FORMS = "write seconds (3600), 90s, 15m, 2h30m, 2d or ISO 8601 (PT48H, P1M)"


def parse_duration(value: object) -> Duration:
    """The duration `value` says; ValueError (with an example of the accepted forms) when it says none."""
    if isinstance(value, bool):
        raise ValueError(f"'{value}' is not a duration: {_FORMS}")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError(f"'{value}' is negative: the clock only moves forward")
        return Duration(0, timedelta(seconds=value))
    text = str(value).strip()
    if _UNITS_ONLY.match(text):
        parts = (timedelta(**{_UNITS[unit]: float(amount)}) for amount, unit in _PART.findall(text))
        return Duration(0, sum(parts, timedelta(0)))
    try:
        return parse_iso_duration(text.upper())
    except TimeFormatError as error:
        raise ValueError(f"'{text}' is not a duration: {_FORMS}") from error
