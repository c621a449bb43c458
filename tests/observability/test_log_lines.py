"""The access and transition lines are written without a LogRecord when the log is set up as `journeys serve` sets
it up (`write_line`): the bytes must be those `logging` would have written, secrets redacted alike, and any other
set-up must still get real records."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import orjson
import pytest

from journeys.server.http_protocol import RedactingFilter
from journeys.server.observability.log_format import FIELDS, JsonFormatter, TextFormatter, write_line

TEMPLATE = "%s %s %d %.1fms%s"
ARGS = ("POST", "/api/v1/journeys/{journeyId}/steps/{stepId}", 200, 12.25, " journeyId=" + "a" * 32)
FIELDS_OF_LINE = {"method": "POST", "status": 200, "durationMs": 12.2, "note": "x-webhook-secret: s3cr3t"}


@pytest.fixture(params=[TextFormatter, JsonFormatter])
def logged(request: pytest.FixtureRequest) -> Iterator[tuple[logging.Logger, io.StringIO, logging.Formatter]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    formatter = request.param()
    handler.setFormatter(formatter)
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger(f"journeys.test-lines.{request.param.__name__}")
    logger.handlers, logger.propagate, logger.level = [handler], False, logging.INFO
    yield logger, stream, formatter
    logger.handlers = []


def test_a_line_is_what_logging_writes(logged: tuple[logging.Logger, io.StringIO, logging.Formatter]) -> None:
    logger, stream, formatter = logged
    for level, template, args in [
        (logging.INFO, TEMPLATE, ARGS),
        (logging.WARNING, "%s failed: %s", ("j", "Authorization: Bearer abc.def")),
        (logging.INFO, "100%% done", ()),
    ]:
        record = logger.makeRecord(logger.name, level, "", 0, template, args, None, extra={FIELDS: FIELDS_OF_LINE})
        RedactingFilter().filter(record)
        line = formatter.line(  # type: ignore[attr-defined]
            record.created, record.levelname, logger.name, record.getMessage(), FIELDS_OF_LINE
        )
        assert line == formatter.format(record)
        assert "abc.def" not in line and "s3cr3t" not in line

        write_line(logger, level, template, args, FIELDS_OF_LINE)
        written = stream.getvalue().splitlines()[-1]
        if isinstance(formatter, JsonFormatter):
            document, expected = orjson.loads(written), orjson.loads(line)
            assert {k: v for k, v in document.items() if k != "ts"} == {k: v for k, v in expected.items() if k != "ts"}
        else:
            assert written.split(" ", 2)[2] == line.split(" ", 2)[2]  # all but the time stamp


def test_another_set_up_gets_records(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="journeys")
    logger = logging.getLogger("journeys.test-lines.captured")
    write_line(logger, logging.INFO, TEMPLATE, ARGS, FIELDS_OF_LINE)
    [record] = [r for r in caplog.records if r.name == logger.name]
    assert record.getMessage() == TEMPLATE % ARGS and getattr(record, FIELDS) == FIELDS_OF_LINE
    assert (record.msg, record.args) == (TEMPLATE, ARGS)


def test_a_disabled_level_writes_nothing(logged: tuple[logging.Logger, io.StringIO, logging.Formatter]) -> None:
    logger, stream, _ = logged
    write_line(logger, logging.DEBUG, TEMPLATE, ARGS, FIELDS_OF_LINE)
    logging.disable(logging.INFO)
    try:
        write_line(logger, logging.INFO, TEMPLATE, ARGS, FIELDS_OF_LINE)
    finally:
        logging.disable(logging.NOTSET)
    assert stream.getvalue() == ""
