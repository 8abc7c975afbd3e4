"""Read the curated tables under ``datasets/`` into Arrow, each row remembering its file and line.

Why it is built this way: a curator needs every problem with its file and line, and a million-event tree
must still parse in about a second. So files are checked cheaply one by one (encoding, header, shape),
the well-formed ones are joined and parsed by pyarrow in one multithreaded pass, and only a file that
pyarrow rejects (an unclosed quote, a ragged row, a quoted line break) is re-read with the standard
``csv`` module, which knows line numbers and lets us keep every good row of a broken file.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .report import Problem
from .schema import CURATED_TABLES, Schema

if TYPE_CHECKING:
    import pyarrow as pa

EVENT_FILE = re.compile(r"^(\d{4})-(\d{2})\.csv$")
ISO3_DIR = re.compile(r"^[A-Z]{3}$")
BOM = b"\xef\xbb\xbf"


@dataclass
class CuratedTable:
    """One curated table: string columns, plus ``_file`` (index into ``files``) and ``_line``."""

    name: str
    columns: list[str]
    table: pa.Table
    files: list[str]
    #: per file: ISO3 of its folder and (year, month) of its name (events), or ISO3 (locations)
    file_iso3: list[str] = field(default_factory=list)
    file_month: list[tuple[int, int] | None] = field(default_factory=list)

    @property
    def num_rows(self) -> int:
        return int(self.table.num_rows)


@dataclass
class Curated:
    root: Path
    tables: dict[str, CuratedTable]
    problems: list[Problem]
    files_read: int


def find_root(path: Path) -> Path:
    """The datasets root holding ``path``: the nearest folder (itself or a parent) with ``actors.csv``
    or an ``events/`` folder."""
    path = path.resolve()
    for candidate in [path, *path.parents]:
        if candidate.is_dir() and ((candidate / "actors.csv").exists() or (candidate / "events").is_dir()):
            return candidate
    return path if path.is_dir() else path.parent


def _display(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root.parent))
    except ValueError:
        return str(path)


def list_files(root: Path) -> tuple[dict[str, list[Path]], list[Problem]]:
    """The files of each curated table, and problems with names or missing files."""
    problems: list[Problem] = []
    files: dict[str, list[Path]] = {t: [] for t in CURATED_TABLES}
    for name in ("actors", "sources", "deletions"):
        path = root / f"{name}.csv"
        if path.is_file():
            files[name].append(path)
        else:
            problems.append(Problem(_display(path, root), 0, "", "file.missing", f"the {name} registry is missing"))
    events_dir = root / "events"
    if events_dir.is_dir():
        for country_dir in sorted(p for p in events_dir.iterdir() if p.is_dir()):
            if not ISO3_DIR.match(country_dir.name):
                problems.append(Problem(_display(country_dir, root), 0, "", "file.name",
                                        "event folders are named by ISO 3166-1 alpha-3 code", country_dir.name))
                continue
            for path in sorted(p for p in country_dir.iterdir() if p.is_file()):
                if path.name.startswith("."):
                    continue  # editor and OS files (.DS_Store, .~lock) are not tables
                m = EVENT_FILE.match(path.name)
                if not m or not 1 <= int(m.group(2)) <= 12:
                    problems.append(Problem(_display(path, root), 0, "", "file.name",
                                            "event files are named YYYY-MM.csv", path.name))
                    continue
                files["events"].append(path)
    else:
        problems.append(Problem(_display(events_dir, root), 0, "", "file.missing", "the events folder is missing"))
    loc_dir = root / "locations"
    if loc_dir.is_dir():
        for path in sorted(p for p in loc_dir.iterdir() if p.is_file() and not p.name.startswith(".")):
            if path.suffix != ".csv" or not ISO3_DIR.match(path.stem):
                problems.append(Problem(_display(path, root), 0, "", "file.name",
                                        "location files are named <ISO3>.csv", path.name))
                continue
            files["locations"].append(path)
    else:
        problems.append(Problem(_display(loc_dir, root), 0, "", "file.missing", "the locations folder is missing"))
    return files, problems


@dataclass
class _Parsed:
    """Rows of one file before they join the table: either a raw body for pyarrow or parsed rows."""

    index: int
    body: bytes | None = None
    rows: int = 0
    records: list[list[str]] | None = None
    lines: list[int] | None = None


def _check_file(path: Path, shown: str, columns: list[str]) -> tuple[bytes | None, list[str] | None, list[Problem]]:
    """File-level checks. Returns (text bytes after BOM, header if usable, problems)."""
    problems: list[Problem] = []
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, None, [Problem(shown, 0, "", "file.unreadable", f"cannot read the file: {exc.strerror}")]
    if data.startswith(BOM):
        data = data[len(BOM):]
    if not data or data.isspace():
        return None, None, [Problem(shown, 1, "", "file.empty", "the file is empty; it needs at least the header row")]
    try:
        if not data.isascii():  # isascii is a fast scan; only non-ASCII files need the full decode
            data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        bad = data[exc.start: exc.start + 4].hex(" ")
        problems.append(Problem(shown, line, "", "file.encoding", "the file is not valid UTF-8", f"bytes {bad}"))
        data = data.decode("utf-8", errors="replace").encode("utf-8")
    first_end = data.find(b"\n")
    first = (data if first_end < 0 else data[:first_end]).decode("utf-8").rstrip("\r")
    try:
        header = next(csv.reader([first]))
    except (csv.Error, StopIteration):
        header = []
    header = [h.strip() for h in header]
    if header != columns:
        missing = [c for c in columns if c not in header]
        extra = [h for h in header if h not in columns]
        parts = []
        if missing:
            parts.append("missing " + ", ".join(missing))
        if extra:
            parts.append("unexpected " + ", ".join(extra))
        if not parts:
            parts.append("columns out of order")
        problems.append(Problem(shown, 1, "", "file.header", "header must be exactly: " + ",".join(columns)
                                + " (" + "; ".join(parts) + ")", first))
        if missing:
            return data, None, problems
    return data, header, problems


def _slow_parse(data: bytes, shown: str, header: list[str], columns: list[str]) -> tuple[list[list[str]], list[int], list[Problem]]:
    """Parse with the csv module, keeping good rows and reporting bad ones by line."""
    problems: list[Problem] = []
    records: list[list[str]] = []
    lines: list[int] = []
    text = data.decode("utf-8")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    order = [header.index(c) for c in columns]
    width = len(header)
    start = 1
    try:
        next(reader)  # header
        while True:
            start = reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                break
            if not row or (len(row) == 1 and row[0] == ""):
                continue
            if len(row) != width:
                problems.append(Problem(shown, start, "", "csv.columns",
                                        f"expected {width} cells, found {len(row)}", ",".join(row)[:200]))
                continue
            records.append([row[i] for i in order])
            lines.append(start)
    except csv.Error as exc:
        problems.append(Problem(shown, start, "", "csv.malformed",
                                f"the CSV cannot be parsed from here on ({exc}); check for an unclosed quote"))
    return records, lines, problems


def read_table(name: str, paths: list[Path], root: Path, columns: list[str]) -> tuple[CuratedTable, list[Problem]]:
    """Read all files of one curated table."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv

    problems: list[Problem] = []
    shown = [_display(p, root) for p in paths]
    parsed: list[_Parsed] = []
    for i, path in enumerate(paths):
        data, header, file_problems = _check_file(path, shown[i], columns)
        problems.extend(file_problems)
        if data is None or header is None:
            continue
        if header != columns:
            records, lines, more = _slow_parse(data, shown[i], header, columns)
            problems.extend(more)
            parsed.append(_Parsed(i, records=records, lines=lines))
            continue
        first_end = data.find(b"\n")
        body = b"" if first_end < 0 else data[first_end + 1:]
        if body and not body.endswith(b"\n"):
            body += b"\n"
        parsed.append(_Parsed(i, body=body, rows=body.count(b"\n")))

    def arrow_parse(body: bytes, newlines_in_values: bool) -> pa.Table:
        return pacsv.read_csv(
            io.BytesIO(body),
            read_options=pacsv.ReadOptions(column_names=columns, use_threads=True, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(newlines_in_values=newlines_in_values, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in columns}, strings_can_be_null=False,
                quoted_strings_can_be_null=False, check_utf8=False,
            ),
        )

    empty = pa.table({c: pa.array([], pa.string()) for c in columns})
    pieces: list[pa.Table] = []
    file_idx: list[np.ndarray] = []
    line_no: list[np.ndarray] = []
    fast = [p for p in parsed if p.body is not None and p.rows > 0]
    joined_ok = False
    if fast:
        try:
            table = arrow_parse(b"".join(p.body for p in fast if p.body), newlines_in_values=False)
            joined_ok = table.num_rows == sum(p.rows for p in fast)
        except (pa.ArrowInvalid, pa.ArrowException):
            joined_ok = False
        if joined_ok:
            pieces.append(table)
            file_idx.append(np.repeat(np.array([p.index for p in fast], dtype=np.int32), [p.rows for p in fast]))
            line_no.append(np.concatenate([np.arange(2, p.rows + 2, dtype=np.int64) for p in fast]))
    if not joined_ok:
        for p in fast:
            assert p.body is not None
            try:
                table = arrow_parse(p.body, newlines_in_values=False)
                ok = table.num_rows == p.rows
            except (pa.ArrowInvalid, pa.ArrowException):
                ok = False
            if ok:
                pieces.append(table)
                file_idx.append(np.full(p.rows, p.index, dtype=np.int32))
                line_no.append(np.arange(2, p.rows + 2, dtype=np.int64))
            else:
                records, lines, more = _slow_parse(paths[p.index].read_bytes().removeprefix(BOM)
                                                   .decode("utf-8", errors="replace").encode("utf-8"),
                                                   shown[p.index], columns, columns)
                problems.extend(more)
                p.records, p.lines = records, lines
    for p in parsed:
        if p.records:
            assert p.lines is not None
            cols = list(zip(*p.records, strict=True))
            pieces.append(pa.table({c: pa.array(list(cols[k]), pa.string()) for k, c in enumerate(columns)}))
            file_idx.append(np.full(len(p.records), p.index, dtype=np.int32))
            line_no.append(np.asarray(p.lines, dtype=np.int64))
    table = pa.concat_tables(pieces) if pieces else empty
    files_arr = np.concatenate(file_idx) if file_idx else np.array([], dtype=np.int32)
    lines_arr = np.concatenate(line_no) if line_no else np.array([], dtype=np.int64)
    table = table.append_column("_file", pa.array(files_arr, pa.int32()))
    table = table.append_column("_line", pa.array(lines_arr, pa.int64()))
    result = CuratedTable(name, columns, table, shown)
    if name == "events":
        for path in paths:
            m = EVENT_FILE.match(path.name)
            result.file_iso3.append(path.parent.name)
            result.file_month.append((int(m.group(1)), int(m.group(2))) if m else None)
    elif name == "locations":
        result.file_iso3 = [p.stem for p in paths]
    return result, problems


def read_curated(root: Path, schema: Schema) -> Curated:
    """Read every curated table under ``root``."""
    files, problems = list_files(root)
    tables: dict[str, CuratedTable] = {}
    count = 0
    for name in CURATED_TABLES:
        table, more = read_table(name, files[name], root, schema.columns("curated", name))
        tables[name] = table
        problems.extend(more)
        count += len(files[name])
    return Curated(root, tables, problems, count)
