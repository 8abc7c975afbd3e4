"""Append one row to a curated CSV file in the file's own style, without touching a byte of what is there.

Why style matters: curators edit these files in spreadsheets and editors that write CRLF or LF and quote
every cell or only where needed; a tool that rewrote them in its own style would turn a one-line change into
a whole-file diff. So the line ending and the quoting are read from the file (its header line), the new row
is written with the csv module in that style, a missing final line break is added first, a byte-order mark
stays where it is, and the file is replaced atomically (:func:`openconflict.files.atomic_write`), so a
crash leaves the old file or the new one, never half a row.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from ..errors import CurationError
from ..files import atomic_write

BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class Style:
    newline: str
    quote_all: bool


@dataclass(frozen=True)
class Appended:
    path: Path
    line: int  # the physical line the new row starts on
    created: bool
    text: str  # the row as written, without its line break


def detect_style(data: bytes) -> Style:
    """Line ending and quoting of a file, read from its first line (LF and minimal quoting if unclear)."""
    body = data.removeprefix(BOM)
    end = body.find(b"\n")
    cr = body.find(b"\r")
    if end > 0 and body[end - 1: end] == b"\r":
        newline = "\r\n"
    elif end < 0 and cr >= 0:
        newline = "\r"
    else:
        newline = "\n"
    first = body[: end if end >= 0 else len(body)].rstrip(b"\r").decode("utf-8", errors="replace")
    cells = _raw_cells(first)
    quote_all = bool(cells) and all(len(c) >= 2 and c.startswith('"') and c.endswith('"') for c in cells)
    return Style(newline, quote_all)


def _raw_cells(line: str) -> list[str]:
    """The cells of one CSV line as written (quotes kept), to see how the file quotes."""
    cells, cur, quoted = [], [], False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        if ch == "," and not quoted:
            cells.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    cells.append("".join(cur))
    return cells


def read_header(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return [h.strip() for h in next(csv.reader(fh), [])]


def format_row(values: list[str], style: Style) -> str:
    buf = io.StringIO()
    quoting = csv.QUOTE_ALL if style.quote_all else csv.QUOTE_MINIMAL
    # The csv module quotes a cell holding a character of the line terminator; with "\n" alone a lone "\r"
    # would go out unquoted and split the row. Write with "\r\n" (quotes both), then end the row in style.
    csv.writer(buf, lineterminator="\r\n", quoting=quoting).writerow(values)
    return buf.getvalue()[:-2] + style.newline


def append_row(path: Path, columns: list[str], row: dict[str, str]) -> Appended:
    """Append ``row`` (column -> value) under the file's own header; create the file with ``columns``.

    A value for a column the file's header lacks is refused (it would be lost); a column of the header
    that ``row`` does not name is left empty.
    """
    if path.exists():
        try:
            data = path.read_bytes()
            header = read_header(path)
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise CurationError(f"cannot read {path}: {exc}") from None
        created = not data.removeprefix(BOM).strip()  # an empty file gets its header, like a new one
        if created:
            data, header = data[: len(BOM)] if data.startswith(BOM) else b"", list(columns)
    else:
        data, header, created = b"", list(columns), True
    unknown = [c for c in row if row[c] != "" and c not in header]
    if unknown:
        raise CurationError(f"{path} has no column {', '.join(unknown)} (its header: {','.join(header)}); "
                            "nothing was written")
    style = detect_style(data) if data.removeprefix(BOM) else Style("\n", False)
    prefix = data
    if created:
        prefix = data + format_row(header, style).encode("utf-8")
    elif prefix.removeprefix(BOM) and not prefix.endswith((b"\n", b"\r")):
        prefix += style.newline.encode()
    text = format_row([row.get(c, "") for c in header], style)
    sep = b"\r" if style.newline == "\r" else b"\n"
    line = prefix.count(sep) + 1
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, prefix + text.encode("utf-8"))
    except OSError as exc:
        raise CurationError(f"cannot write {path}: {exc.strerror or exc}; nothing was written") from None
    return Appended(path, line, created, text.rstrip("\r\n"))
