"""The process log of `journeys serve`: text for people (the default), or `--log-format json` for machines.

JSON is one object per line: `ts` (UTC, RFC 3339 with milliseconds), `level`, `logger`, `message`, then the
structured fields the line was logged with (`extra={FIELDS: {...}}`: the access log's method, route, status,
durationMs and journeyId; a transition's journey, state and event), and `exc` with a traceback. Both formats are
written through `RedactingFilter` (installed by `journeys serve`), which redacts the message and the traceback;
the JSON formatter redacts the string values of the fields the same way. Warnings (`warnings.warn`) are logged
too, so no line of the process's output is anything but a log line.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import orjson

from journeys.server.http_protocol import redact

FIELDS = "journeys_fields"  # the LogRecord attribute holding a line's structured fields
LOG_FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_CORE = ("ts", "level", "logger", "message")


class _Seconds:
    """A time stamp's date and time to the second, formatted once a second rather than once a line (a third of what
    formatting a line otherwise costs, and there is a line per request). Formatters run under their handler's lock."""

    def __init__(self, pattern: str, convert: Callable[[float], time.struct_time]) -> None:
        self._pattern, self._convert = pattern, convert
        self._second: int | None = None
        self._text = ""

    def __call__(self, created: float) -> str:
        second = int(created)
        if second != self._second:
            self._second, self._text = second, time.strftime(self._pattern, self._convert(created))
        return self._text


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)
        self._seconds = _Seconds(self.default_time_format, self.converter)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return f"{self._seconds(record.created)},{int(record.msecs):03d}"  # as logging.Formatter writes it


class JsonFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__()
        self._seconds = _Seconds("%Y-%m-%dT%H:%M:%S", time.gmtime)

    def format(self, record: logging.LogRecord) -> str:
        document: dict[str, object] = {
            "ts": f"{self._seconds(record.created)}.{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, FIELDS, None)
        if fields:
            for key, value in fields.items():
                if key not in _CORE:
                    document[key] = redact(value) if isinstance(value, str) else value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            document["exc"] = record.exc_text
        if record.stack_info:
            document["stack"] = self.formatStack(record.stack_info)
        return orjson.dumps(document, default=str).decode()


def configure_logging(log_format: str) -> None:
    """Log INFO and above to standard error in `log_format` (one of LOG_FORMATS)."""
    # Neither format shows where a line was logged from, nor its thread or process: not looking them up (the logging
    # HOWTO's "Optimization") saves a third of a line's cost, and there is a line per request and per transition.
    logging._srcfile = None
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    logging.captureWarnings(True)
