"""ISO-8601 durations (`PT5M`, `P1DT12H`, `P2W`, `P1M`) and RFC 3339 instants, as timer states and policies use them.

Months and years are calendar units: `P1M` after 31 January is the last day of February, as a person reading
"one month" expects (a fixed 30 days would drift). Everything else is exact. Used at load (literals are checked
and parsed once) and at run time (a mapper's result), so both reject the same strings with the same words.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

_DURATION = re.compile(
    r"P(?!$)(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?"
)
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})")


class TimeFormatError(ValueError):
    """A duration or instant that does not parse; the message says what was expected."""


@dataclass(frozen=True, slots=True)
class Duration:
    months: int
    exact: timedelta

    def after(self, instant: datetime) -> datetime:
        """`instant` plus this duration (calendar months first, clamped to the month's last day)."""
        if self.months:
            month0 = instant.month - 1 + self.months
            year, month = instant.year + month0 // 12, month0 % 12 + 1
            day = min(instant.day, calendar.monthrange(year, month)[1])
            instant = instant.replace(year=year, month=month, day=day)
        return instant + self.exact


def parse_duration(text: str) -> Duration:
    """An ISO-8601 duration such as `PT30S`, `PT5M`, `P1D`, `P1Y2M3DT4H` or `P2W`."""
    match = _DURATION.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise TimeFormatError(f"{text!r} is not an ISO-8601 duration (e.g. PT30S, PT5M, P1D, P1DT12H)")
    part = {name: float(value) if value else 0.0 for name, value in match.groupdict().items()}
    exact = timedelta(
        weeks=part["weeks"], days=part["days"], hours=part["hours"], minutes=part["minutes"], seconds=part["seconds"]
    )
    return Duration(int(part["years"]) * 12 + int(part["months"]), exact)


def parse_instant(text: str) -> datetime:
    """An RFC 3339 timestamp with its offset, e.g. `2026-12-31T23:59:00Z`, as UTC."""
    if not isinstance(text, str) or not _RFC3339.fullmatch(text.strip()):
        raise TimeFormatError(f"{text!r} is not an RFC 3339 timestamp with an offset (e.g. 2026-12-31T23:59:00Z)")
    return datetime.fromisoformat(text.strip().replace("z", "Z")).astimezone(UTC)
