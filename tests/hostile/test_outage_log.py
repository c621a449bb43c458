"""The outage log's promise, on a clock the test moves: the first failure is logged at once, then at most one
line per second with the number of failures it stands for, and one line when the database answers again."""

from __future__ import annotations

import logging

import pytest

from journeys.outages import OutageLog, is_database_unavailable


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_storm_of_failures_is_one_line_per_second_with_counts(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    outage = OutageLog("database", logging.getLogger("tests.outage"), clock=clock)
    outage.succeeded()  # no outage: nothing to say
    with caplog.at_level(logging.INFO, logger="tests.outage"):
        for _ in range(2500):  # 2.5 s of 1,000 failures a second
            outage.failed(ConnectionRefusedError(111, "Connect call failed"), "GET /api/v1/journeys")
            clock.now += 0.001
        outage.succeeded()  # half a second after the last line: kept for the next success
        clock.now += 1.0
        outage.succeeded()
        outage.succeeded()
    lines = [record.getMessage() for record in caplog.records]
    assert len(lines) == 4, lines
    assert lines[0].startswith("database unavailable for 0.0 s: 1 failed operations")
    assert "ConnectionRefusedError" in lines[0]
    assert [line.split(": ")[1].split(" failed")[0] for line in lines[1:3]] == ["1000", "1000"]
    assert lines[3] == "database available again after 3.5 s of outage; 2500 operations failed"
    assert outage.failures == 0


def test_only_unreachable_databases_count_as_outages() -> None:
    assert is_database_unavailable(ConnectionResetError(104, "reset"))
    wrapped = RuntimeError("store failed")
    wrapped.__cause__ = ConnectionRefusedError(111, "refused")
    assert is_database_unavailable(wrapped)
    assert is_database_unavailable(OSError("Multiple exceptions: [Errno 111] Connect call failed ..."))
    assert not is_database_unavailable(FileNotFoundError(2, "No such file", "definitions/x.yaml"))
    assert not is_database_unavailable(ValueError("a bug"))
    assert not is_database_unavailable(KeyError("journey"))
