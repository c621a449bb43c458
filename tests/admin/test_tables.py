"""Text layouts: columns line up on a terminal whatever the cells hold."""

from __future__ import annotations

from journeys.admin.tables import fields, table, truncate, width


def test_wide_characters_take_two_columns_and_combining_marks_none() -> None:
    assert width("支払い") == 6
    assert width("cafe\u0301") == 4  # "café" with a combining accent
    out = table(["state", "phase"], [["支払い待ち", "Running"], ["paid", "Succeeded"]])
    assert out.splitlines() == [
        "state       phase",
        "支払い待ち  Running",
        "paid        Succeeded",
    ]


def test_wide_cells_are_cut_but_the_last_column_is_whole() -> None:
    long = "x" * 60
    first, row = table(["a", "b"], [[long, long]], max_width=10).splitlines()
    assert row == "xxxxxxxxx…  " + long
    assert width(row.split("  ")[0]) == 10
    assert first == "a           b"


def test_truncation_counts_columns_not_characters() -> None:
    assert truncate("支払い待ち", 6) == "支払…"
    assert width(truncate("支払い待ち", 6)) == 5
    assert truncate("short", 6) == "short"


def test_control_and_format_characters_are_written_out() -> None:
    """A newline would break the row, an escape sequence would drive the terminal, U+202E would reorder it."""
    out = table(["detail"], [["line one\nline two"], ["\x1b[31mred"], ["\u202eevil"]])
    assert out.splitlines()[1:] == ["line one\\nline two", "\\x1b[31mred", "\\u202eevil"]


def test_json_values_are_compact_and_none_is_empty() -> None:
    assert table(["a", "b", "c"], [[{"k": [1, "é"]}, None, 3]]).splitlines()[1] == '{"k":[1,"é"]}     3'


def test_fields_align_values_and_leave_out_what_is_absent() -> None:
    assert fields([("phase", "Failed"), ("error", None), ("currentState", "declined")]) == (
        "phase         Failed\ncurrentState  declined"
    )
