"""Rows of the curated files: one fast pyarrow pass, and a tolerant reader for files it rejects.

Why two readers: a million-event tree must parse in about a second, so well-formed files are joined and
parsed by pyarrow at once. A file pyarrow rejects (an unclosed quote, a ragged row, a quoted line break)
is read row by row: each row starts on a known line, a row that cannot be parsed is reported and the
reader carries on with the next line, so one bad row (or one huge cell) never hides the rows after it.
"""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

from ..problems import Problem

if TYPE_CHECKING:
    import pyarrow as pa

#: A quoted cell may span at most this many lines; a quote left open longer is reported as unclosed.
MAX_SPAN = 1000
#: Cells may be long (a 200 KB note is fine); the csv module's default limit is 128 KB.
FIELD_LIMIT = 2**31 - 1


def arrow_parse(body: bytes | bytearray, columns: list[str]) -> pa.Table:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    return pacsv.read_csv(
        pa.BufferReader(pa.py_buffer(body)),  # read in place: no copy through a Python file object
        read_options=pacsv.ReadOptions(column_names=columns, use_threads=True, block_size=1 << 24),
        parse_options=pacsv.ParseOptions(newlines_in_values=False, ignore_empty_lines=True),
        convert_options=pacsv.ConvertOptions(
            column_types={c: pa.string() for c in columns}, strings_can_be_null=False,
            quoted_strings_can_be_null=False, check_utf8=False,
        ),
    )


def try_arrow(body: bytes | bytearray, rows: int, columns: list[str]) -> pa.Table | None:
    """The body parsed by pyarrow when it holds exactly ``rows`` one-line rows, else None.

    Blank lines are skipped by pyarrow, so a body with a blank line (or a quoted line break) yields fewer
    rows than lines and goes to the tolerant reader, which numbers its rows by line.
    """
    import pyarrow as pa

    try:
        table = arrow_parse(body, columns)
    except (pa.ArrowInvalid, pa.ArrowException):
        return None
    return table if table.num_rows == rows else None


def tolerant_parse(body: bytes, shown: str, header: list[str], columns: list[str]
                   ) -> tuple[list[list[str]], list[int], list[Problem]]:
    """Parse row by row: (records in ``columns`` order, their first lines, problems)."""
    csv.field_size_limit(FIELD_LIMIT)
    problems: list[Problem] = []
    records: list[list[str]] = []
    starts: list[int] = []
    lines = body.decode("utf-8", errors="replace").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    order = [header.index(c) for c in columns]
    width = len(header)
    odd = [line.count('"') % 2 == 1 for line in lines]
    # next_odd[i]: the first line at or after i with an odd number of quotes (closes a quoted span).
    next_odd = [len(lines)] * (len(lines) + 1)
    for i in range(len(lines) - 1, -1, -1):
        next_odd[i] = i if odd[i] else next_odd[i + 1]
    i = 0
    while i < len(lines):
        line_no = i + 2  # line 1 is the header
        end = i
        if odd[i]:
            end = next_odd[i + 1]
            if end >= len(lines) or end - i > MAX_SPAN:
                problems.append(Problem(shown, line_no, "", "csv.malformed",
                                        "a quote opened on this line is never closed; the row is skipped"))
                i += 1
                continue
        chunk = "\n".join(lines[i:end + 1])
        if not chunk:  # a blank line holds no record
            i = end + 1
            continue
        try:
            rows = list(csv.reader(io.StringIO(chunk, newline=""), strict=True))
        except csv.Error as exc:
            problems.append(Problem(shown, line_no, "", "csv.malformed", f"the row cannot be parsed ({exc})"))
            i += 1
            continue
        if not rows or (len(rows) == 1 and rows[0] in ([], [""])):
            i = end + 1
            continue
        if len(rows) != 1:
            problems.append(Problem(shown, line_no, "", "csv.malformed",
                                    f"a quote opened on this line closes only on line {end + 2}"))
            i += 1
            continue
        row = rows[0]
        if len(row) != width:
            if end > i:
                problems.append(Problem(shown, line_no, "", "csv.malformed",
                                        f"a quote opened on this line closes only on line {end + 2}, and the "
                                        f"row between has {len(row)} cells instead of {width}"))
                i += 1
                continue
            problems.append(Problem(shown, line_no, "", "csv.columns",
                                    f"expected {width} cells, found {len(row)}", ",".join(row)[:200]))
        else:
            records.append([row[k] for k in order])
            starts.append(line_no)
        i = end + 1
    return records, starts, problems
