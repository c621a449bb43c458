"""Plain text layouts for a terminal: aligned tables and label/value blocks, with no dependency.

What the server sends may hold anything (a state name in Japanese, a reason with a newline, an escape sequence a
caller put in a body), so every cell is made printable first: control and format characters are written as
escapes, which keeps the columns straight and the terminal from obeying them. Widths count East Asian wide
characters as two columns and combining marks as none, so a table with non-ASCII text still lines up.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

import orjson

MAX_CELL_WIDTH = 48
ELLIPSIS = "…"
GAP = "  "


def printable(value: Any) -> str:
    """`value` as one line of text: strings as they are, other JSON values compact, anything unprintable escaped
    (`\\n`, `\\x1b`, `\\u202e`)."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else orjson.dumps(value).decode()
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


def _char_width(ch: str) -> int:
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def width(text: str) -> int:
    """The columns `text` takes on a terminal."""
    return sum(_char_width(ch) for ch in text)


def truncate(text: str, limit: int = MAX_CELL_WIDTH) -> str:
    """`text` cut to at most `limit` columns, ending in an ellipsis when something was cut."""
    if width(text) <= limit:
        return text
    kept, used = [], width(ELLIPSIS)
    for ch in text:
        used += _char_width(ch)
        if used > limit:
            break
        kept.append(ch)
    return "".join(kept) + ELLIPSIS


def _cell(value: Any, max_width: int | None) -> str:
    text = printable(value)
    return text if max_width is None else truncate(text, max_width)


def _pad(text: str, columns: int) -> str:
    return text + " " * (columns - width(text))


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]], *, max_width: int = MAX_CELL_WIDTH) -> str:
    """Columns aligned on their widest cell; cells wider than `max_width` truncated, but for the last column's:
    nothing follows it to push out of line, so it is printed whole. No trailing spaces."""
    last = len(headers) - 1
    cells = [[_cell(value, max_width if i < last else None) for i, value in enumerate(row)] for row in rows]
    lines = [list(headers), *cells]
    widths = [max(width(line[i]) for line in lines) for i in range(len(headers))]
    return "\n".join(GAP.join(_pad(cell, w) for cell, w in zip(line, widths, strict=True)).rstrip() for line in lines)


def fields(pairs: Iterable[tuple[str, Any]]) -> str:
    """`label  value` lines with the values aligned; pairs whose value is None are left out. Values are not
    truncated: a reason or an output is read whole here (the tables cut theirs)."""
    shown = [(label, printable(value)) for label, value in pairs if value is not None]
    if not shown:
        return ""
    label_width = max(width(label) for label, _ in shown)
    return "\n".join(f"{_pad(label, label_width)}{GAP}{value}".rstrip() for label, value in shown)
