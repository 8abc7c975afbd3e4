"""Read the curated tables under ``datasets/`` into Arrow, each row remembering its file and line.

Why it is built this way: a curator needs every problem with its file and line, and a million-event tree
must still parse in about a second. So the layout is walked first (every path accounted for, see
``layout``), each file is checked as text (encoding, line endings, header, see ``text``), the well-formed
ones are joined and parsed by pyarrow in one multithreaded pass, and only a file that pyarrow rejects is
read row by row (see ``parse``), keeping every good row of a broken file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..problems import Problem
from ..schema import CURATED_TABLES, Schema
from .bulk import read_text
from .chunked import NeedsWholeRead, numbered, read_chunks
from .layout import EVENT_FILE, display_all, list_files, walk_layout
from .parse import tolerant_parse, try_arrow

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

__all__ = ["Curated", "CuratedTable", "NeedsWholeRead", "find_root", "list_files", "numbered", "read_chunks",
           "read_curated", "read_table", "read_tables", "walk_layout"]


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
    #: False when a file of the table could not be read at all (references to it are not checked)
    usable: bool = True
    #: locations: countries whose file could not be read
    unusable_iso3: set[str] = field(default_factory=set)
    #: a file of the table holds control characters (the per-cell rule runs only then)
    suspect_controls: bool = False

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


@dataclass
class _Piece:
    index: int
    table: pa.Table
    lines: np.ndarray


def read_table(name: str, paths: list[Path], root: Path, columns: list[str]) -> tuple[CuratedTable, list[Problem]]:
    """Read all files of one curated table."""
    import numpy as np
    import pyarrow as pa

    shown = display_all(paths, root)
    text = read_text(paths, shown, columns, name)
    problems = text.problems
    loaded = text.loaded
    suspect = any(item.suspect_controls for item in loaded)

    pieces: list[_Piece] = []
    fast = [item for item in loaded if item.header == columns and not item.empty]
    rows = text.rows(fast)
    joined = try_arrow(text.parser_input(fast), int(rows.sum()), columns) if fast else None
    if joined is not None:
        text.buffer = bytearray()  # parsed: the bodies still needed below have bytes of their own
        starts = np.cumsum(rows) - rows
        total = int(rows.sum())
        # line of each row: 2 + its position within its file (line 1 is the header)
        pieces.append(_Piece(-1, joined, np.arange(total, dtype=np.int64) - np.repeat(starts, rows) + 2))
        file_idx = [np.repeat(np.array([item.index for item in fast], dtype=np.int32), rows)]
    else:
        file_idx = []
    for item in loaded:
        if joined is not None and item.header == columns:
            continue  # parsed above (or empty)
        if item.empty:
            continue
        body = text.body(item)
        table = try_arrow(body, body.count(b"\n"), columns) if item.header == columns else None
        if table is not None:
            pieces.append(_Piece(item.index, table, np.arange(2, table.num_rows + 2, dtype=np.int64)))
            continue
        records, starts_, more = tolerant_parse(body, shown[item.index], item.header or columns, columns)
        problems.extend(more)
        if records:
            cols = list(zip(*records, strict=True))
            table = pa.table({c: pa.array(list(cols[k]), pa.string()) for k, c in enumerate(columns)})
            pieces.append(_Piece(item.index, table, np.asarray(starts_, dtype=np.int64)))
    for p in pieces:
        if p.index >= 0:
            file_idx.append(np.full(p.table.num_rows, p.index, dtype=np.int32))
    table = pa.concat_tables([p.table for p in pieces]) if pieces else \
        pa.table({c: pa.array([], pa.string()) for c in columns})
    files_arr = np.concatenate(file_idx) if file_idx else np.array([], dtype=np.int32)
    lines_arr = np.concatenate([p.lines for p in pieces]) if pieces else np.array([], dtype=np.int64)
    table = table.append_column("_file", pa.array(files_arr, pa.int32()))
    table = table.append_column("_line", pa.array(lines_arr, pa.int64()))
    unusable = text.unusable
    result = CuratedTable(name, columns, table, shown, usable=not unusable, suspect_controls=suspect)
    if name == "events":
        for path in paths:
            m = EVENT_FILE.fullmatch(path.name)
            result.file_iso3.append(path.parent.name)
            result.file_month.append((int(m.group(1)), int(m.group(2))) if m else None)
    elif name == "locations":
        result.file_iso3 = [p.stem for p in paths]
        result.unusable_iso3 = {paths[i].stem for i in unusable}
        result.usable = True  # per country: see unusable_iso3
    return result, problems


def read_tables(root: Path, schema: Schema, files: dict[str, list[Path]], broken: dict[str, list[Path]],
                names: tuple[str, ...] = CURATED_TABLES) -> tuple[dict[str, CuratedTable], list[Problem]]:
    """Read the curated tables ``names`` from the files a layout walk found (:func:`walk_layout`).

    Why apart from :func:`read_curated`: a large build reads the registries once and the events a few
    countries at a time (:mod:`openconflict.release.stream`), with the same reader.
    """
    tables: dict[str, CuratedTable] = {}
    problems: list[Problem] = []
    for name in names:
        table, more = read_table(name, files[name], root, schema.columns("curated", name))
        if name in ("actors", "sources") and (broken[name] or not files[name]):
            table.usable = False  # missing or not a file: its own problem names the cause
        table.unusable_iso3 |= {p.stem for p in broken[name]} if name == "locations" else set()
        tables[name] = table
        problems.extend(more)
    return tables, problems


def read_curated(root: Path, schema: Schema) -> Curated:
    """Read every curated table under ``root``."""
    files, problems, broken = walk_layout(root)
    tables, more = read_tables(root, schema, files, broken)
    problems.extend(more)
    return Curated(root, tables, problems, sum(len(files[name]) for name in CURATED_TABLES))
