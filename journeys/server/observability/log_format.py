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
from typing import Any, cast

import orjson

from journeys.server.http_protocol import RedactingFilter, redact

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

    def line(self, created: float, level: str, logger: str, message: str, fields: dict[str, object]) -> str:
        """What `format` writes for a record of these values without an exception (`write_line`)."""
        return f"{self._seconds(created)},{_msecs(created):03d} {level} {logger}: {message}"


class JsonFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__()
        self._seconds = _Seconds("%Y-%m-%dT%H:%M:%S", time.gmtime)

    def format(self, record: logging.LogRecord) -> str:
        document = self._document(
            f"{self._seconds(record.created)}.{int(record.msecs):03d}Z",
            record.levelname,
            record.name,
            record.getMessage(),
            getattr(record, FIELDS, None),
        )
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            document["exc"] = record.exc_text
        if record.stack_info:
            document["stack"] = self.formatStack(record.stack_info)
        return orjson.dumps(document, default=str).decode()

    def line(self, created: float, level: str, logger: str, message: str, fields: dict[str, object]) -> str:
        """What `format` writes for a record of these values without an exception (`write_line`)."""
        ts = f"{self._seconds(created)}.{_msecs(created):03d}Z"
        return orjson.dumps(self._document(ts, level, logger, message, fields), default=str).decode()

    @staticmethod
    def _document(ts: str, level: str, logger: str, message: str, fields: object) -> dict[str, object]:
        document: dict[str, object] = {"ts": ts, "level": level, "logger": logger, "message": message}
        if fields:
            for key, value in fields.items():  # type: ignore[attr-defined]
                if key not in _CORE:
                    document[key] = redact(value) if isinstance(value, str) else value
        return document


def _msecs(created: float) -> int:
    return int((created - int(created)) * 1000)  # as logging.LogRecord computes `msecs`


_FORMATTERS = (TextFormatter, JsonFormatter)


def _plain_handlers(logger: logging.Logger, level: int) -> list[logging.StreamHandler[Any]] | None:
    """The handlers a record of `logger` at `level` reaches when each is a StreamHandler that `configure_logging`
    set up (our formatter, the redacting filter only) and no logger on the way filters: else None."""
    found: list[logging.StreamHandler[Any]] = []
    current: logging.Logger | None = logger
    while current is not None:
        if current.filters or current.disabled:
            return None
        for handler in current.handlers:
            if (
                type(handler) is not logging.StreamHandler
                or type(handler.formatter) not in _FORMATTERS
                or level < handler.level
                or len(handler.filters) != 1
                or type(handler.filters[0]) is not RedactingFilter
            ):
                return None
            found.append(handler)
        current = current.parent if current.propagate else None
    return found or None


def write_line(
    logger: logging.Logger, level: int, template: str, args: tuple[Any, ...], fields: dict[str, Any]
) -> None:
    """`logger.log(level, template, *args, extra={FIELDS: fields})`, writing the same line without a LogRecord
    when the process log is as `configure_logging` and `install_redaction` set it up (`journeys serve`): 5 us a
    line instead of 9. The access and transition lines are written for every request and every advance (five a
    journey; logging none saved 14 % of a journey's CPU in bench/ceiling_compare.py). Any other set-up (a test's
    capturing handler, a library's own configuration) gets the record through `logging`, as before."""
    if not logger.isEnabledFor(level):
        return
    handlers = _plain_handlers(logger, level)
    if handlers is None:
        logger.log(level, template, *args, extra={FIELDS: fields})
        return
    created = time.time()
    message = redact(template % args if args else template)  # what getMessage and RedactingFilter make of it
    level_name = logging.getLevelName(level)
    for handler in handlers:
        line = cast(TextFormatter | JsonFormatter, handler.formatter).line(
            created, level_name, logger.name, message, fields
        )
        handler.acquire()
        try:
            handler.stream.write(line + handler.terminator)
            handler.flush()
        except Exception:
            handler.handleError(
                logger.makeRecord(logger.name, level, "", 0, template, args, None, extra={FIELDS: fields})
            )
        finally:
            handler.release()


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
