"""One curated file read a chunk of whole lines at a time, each chunk a curated table of its own.

Why: a registry that grows with the events (``sources.csv``: 673 MB at 10M synthetic events) held whole
as text and as Arrow costs a build in parts more memory than any of its parts (issue 12). A chunk is read,
checked as text and parsed the way :func:`~openconflict.curated.read_table` reads a file, and numbered with
the lines a whole read gives it, so the rules can run on it alone.

A chunk of plain text (printable ASCII, LF line breaks; the first led by exactly the expected header) is
parsed as it is; any other goes through the full text checks, a later chunk led by the expected header.
A chunk can be judged alone only when each of its lines is one row: a blank line, a line break inside a
quoted cell, text with problems (bad bytes, a lone carriage return) or a header that is not exactly the
expected one raise :class:`NeedsWholeRead`, and the caller reads the file whole, which reports them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .layout import display
from .parse import try_arrow
from .text import is_plain, load_bytes

if TYPE_CHECKING:
    import pyarrow as pa

    from . import CuratedTable

__all__ = ["NeedsWholeRead", "numbered", "read_chunks"]


class NeedsWholeRead(Exception):  # noqa: N818 - a signal to the caller, not a problem of the file
    """The file holds something a chunk cannot judge alone: read it whole (:func:`~.read_table`)."""


def read_chunks(name: str, path: Path, root: Path, columns: list[str], size: int) -> Iterator[CuratedTable]:
    """The rows of ``path`` (table ``name``) as curated tables of about ``size`` bytes of text each, with the
    file and line numbers a whole read gives; raise :class:`NeedsWholeRead` where a chunk cannot judge."""
    import numpy as np

    from . import CuratedTable

    shown = display(path, root)
    header = ",".join(columns).encode() + b"\n"
    first = 0
    for k, chunk in enumerate(_texts(path, size)):
        if is_plain(chunk) and (k or chunk.startswith(header)):  # the common file: taken as it is
            body, suspect = chunk[len(header):] if k == 0 else chunk, False
        else:  # everything else is checked as a file of its own would be (a later chunk led by the header)
            text, problems = load_bytes(chunk if k == 0 else header + chunk, shown, columns)
            if text is None or problems or text.header != columns:
                raise NeedsWholeRead(f"{shown} needs the full text checks")
            body, suspect = text.body, text.suspect_controls
        if not body:
            continue  # (the file's header alone)
        if not body.endswith(b"\n"):
            body += b"\n"
        table = try_arrow(body, body.count(b"\n"), columns)
        if table is None:
            raise NeedsWholeRead(f"{shown} has rows that are not one line each")
        rows = np.arange(first, first + table.num_rows)
        yield CuratedTable(name, columns, numbered(table.combine_chunks(), rows), [shown], suspect_controls=suspect)
        first += table.num_rows


def numbered(table: pa.Table, rows: Any) -> pa.Table:
    """``table`` with ``_file`` (the one file, 0) and ``_line`` of the rows numbered ``rows`` (0 the first
    after the header) of a file whose every line after the header is one row: line = row + 2."""
    import numpy as np
    import pyarrow as pa

    lines = np.asarray(rows.to_numpy(zero_copy_only=False) if isinstance(rows, (pa.Array, pa.ChunkedArray))
                       else rows, dtype=np.int64) + 2
    table = table.append_column("_file", pa.array(np.zeros(table.num_rows, np.int32)))
    return table.append_column("_line", pa.array(lines))


def _texts(path: Path, size: int) -> Iterator[bytes]:
    """The file as texts of whole lines, about ``size`` bytes each (the last may lack its final line break)."""
    rest = b""
    first = True
    try:
        with path.open("rb") as f:
            while True:
                block = f.read(size)
                data = rest + block if rest else block
                cut = len(data) if not block else data.rfind(b"\n") + 1
                if cut > 0:
                    yield data[:cut] if cut < len(data) else data
                    first = False
                rest = data[cut:]
                if not block:
                    break
    except OSError as exc:
        raise NeedsWholeRead(str(exc)) from None
    if first:
        raise NeedsWholeRead(f"{path.name} is empty")
