"""Export any table of a release to the formats other tools read, as ``openconflict export`` does.

Why its own module: the command line promises parity with ``load_events`` (every filter, every table,
ACLED's text labels) and each format has rules a frame's own writer gets wrong for our readers: JSON Lines
must carry dates as ``YYYY-MM-DD`` and slashes unescaped (pandas writes ``2016-01-01T00:00:00.000`` and
``https:\\/\\/``), a file must appear whole or not at all, a missing output folder is a mistake to report
rather than paper over, and a large export shows progress to a person at a terminal. Stata and map formats
are written by :mod:`openconflict.stata` and :mod:`openconflict.export_geo`.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from openconflict.errors import ExportError

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

__all__ = ["AGGREGATE_TABLES", "FORMATS", "STDOUT", "TABLES", "TEXT_FORMATS", "check_output", "export_events",
           "export_table", "format_for", "read_table", "write_frame"]

FORMATS = ("csv", "parquet", "jsonl", "dta", "geoparquet", "geojson", "gpkg")
AGGREGATE_TABLES = ("aggregates_admin1_month", "aggregates_admin2_month")
TABLES = ("events", "actors", "locations", "sources", "deletions", "changes", *AGGREGATE_TABLES)
#: The output name that means standard output, and the formats that can stream there.
STDOUT = "-"
TEXT_FORMATS = ("csv", "jsonl")
_SUFFIXES = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl",
             ".dta": "dta", ".geojson": "geojson", ".gpkg": "gpkg"}
#: Rows written per step (and per progress update); a bar is drawn from BIG_EXPORT rows on.
CHUNK = 65_536
BIG_EXPORT = 100_000
#: pandas' JSON writer escapes "/" as "\/"; undo exactly that (an escaped backslash is left alone).
_ESCAPES = re.compile(r"\\\\|\\/")


def format_for(output: str | Path, fmt: str | None) -> str:
    """The format to write: ``fmt`` when given, else from the file's extension (csv for standard output)."""
    if fmt is not None:
        if fmt not in FORMATS:
            raise ExportError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
        return fmt
    if str(output) == STDOUT:
        return "csv"
    found = _SUFFIXES.get(Path(output).suffix.lower())
    if found is None:
        raise ExportError(f"cannot tell the format from the file name {str(output)!r}; give --format "
                          f"{'|'.join(FORMATS)} or use an extension {', '.join(_SUFFIXES)}")
    return found


def check_output(output: str | Path, fmt: str, *, mkdirs: bool = False) -> None:
    """Refuse, before any data is read, an output that cannot be written as asked."""
    if str(output) == STDOUT:
        if fmt not in TEXT_FORMATS:
            raise ExportError(f"{fmt} cannot stream to standard output (it needs a file it can seek in); "
                              f"write it to a file, or choose {' or '.join(TEXT_FORMATS)} for '-'")
        return
    path = Path(output)
    if path.is_dir():
        raise ExportError(f"{path} is a folder; name the file to write")
    _refuse_protected(path)
    if not path.parent.is_dir():
        if path.parent.exists():
            raise ExportError(f"{path.parent} is not a folder")
        if not mkdirs:
            raise ExportError(f"the folder {path.parent} does not exist; create it, or pass --mkdirs")
        path.parent.mkdir(parents=True, exist_ok=True)


def _refuse_protected(path: Path) -> None:
    """Never write into a releases folder, a mirror (anything under a ``registry.json`` ledger) or the
    loader's cache: an export there would replace a published or verified file."""
    from openconflict.config import cache_root
    from openconflict.errors import ConfigError
    from openconflict.ledger import LEDGER_FILE

    target = path.resolve()
    try:
        cache = cache_root().resolve()
    except ConfigError:
        cache = None
    for folder in target.parents:
        if (folder / LEDGER_FILE).is_file() or folder == cache:
            kind = "the loader's cache" if folder == cache else "a releases folder or mirror"
            raise ExportError(f"refusing to write {path}: it is inside {kind} ({folder}), whose files must "
                              "stay as published; write the export somewhere else")


def export_table(output: str | Path, fmt: str | None = None, version: str | None = None, *, table: str = "events",
                 columns: list[str] | None = None, acled_labels: bool = False, mkdirs: bool = False,
                 quiet: bool = False, stream: IO[str] | None = None, **filters: Any) -> int:
    """Write ``table`` of release ``version`` (None = latest) to ``output`` (``"-"``: standard output);
    returns the number of rows written. ``filters`` are :func:`openconflict.load_events`'s keyword
    arguments; the aggregate tables are then computed from the filtered events."""
    fmt = format_for(output, fmt)
    check_output(output, fmt, mkdirs=mkdirs)
    frame = read_table(table, version, fmt, columns=columns, acled_labels=acled_labels, **filters)
    release = _release_version(version) if fmt == "dta" else None
    return write_frame(frame, output, fmt, version=release, quiet=quiet, stream=stream)


def export_events(output: str | Path, fmt: str, version: str | None = None, **filters: Any) -> int:
    """The events of ``version`` (filtered) to ``output``; the output folder is created when missing."""
    return export_table(output, fmt, version, mkdirs=True, **filters)


def read_table(table: str, version: str | None, fmt: str, *, columns: list[str] | None = None,
               acled_labels: bool = False, **filters: Any) -> Any:
    """The frame to write: pyarrow for Parquet and map formats (no pandas round trip), pandas otherwise."""
    from openconflict import loader

    if table not in TABLES:
        raise ExportError(f"unknown table {table!r}; choose one of {', '.join(TABLES)}")
    given = {k: v for k, v in filters.items() if v is not None and v != [] and v != ()}
    output = "arrow" if fmt in ("parquet", "geoparquet", "geojson", "gpkg") else "pandas"
    if fmt in ("geoparquet", "geojson", "gpkg") and table != "events":
        raise ExportError(f"{fmt} is a map format and needs events (points at longitude/latitude); "
                          f"export the {table} table as csv, parquet, jsonl or dta")
    if table == "events":
        if acled_labels:
            given["inter_labels"] = True
        _check_keywords(loader.load_events, given)
        return loader.load_events(version, columns=columns or None, output=output, **given)
    if acled_labels:
        raise ExportError("--acled-labels changes the events' inter1, inter2 and interaction; "
                          f"the {table} table has none")
    if table in AGGREGATE_TABLES:
        return _aggregates(table, version, output, columns, given)
    if given:
        raise ExportError(f"filters select events; the {table} table takes none (given: {', '.join(given)})")
    return loader.load_table(table, version, columns=columns or None, output=output)


def _check_keywords(function: Any, given: dict[str, Any]) -> None:
    """Name a filter this installation's loader does not have yet, instead of a TypeError."""
    import inspect

    accepted = inspect.signature(function).parameters
    unknown = [k for k in given if k not in accepted]
    if unknown:
        raise ExportError(f"this installation's load_events has no {', '.join(unknown)} "
                          f"filter{'s' if len(unknown) > 1 else ''}; update the package to use it")


def _aggregates(table: str, version: str | None, output: str, columns: list[str] | None,
                filters: dict[str, Any]) -> Any:
    """The release's own aggregate table when it ships one and nothing is filtered; otherwise computed
    from the (filtered) events by the function the release step uses, so both give the same rows."""
    from openconflict import loader
    from openconflict.analysis.aggregate import release_aggregates

    ships = f"data/{table}.parquet" in {f["path"] for f in loader.info(version)["files"]}
    if ships and not filters and table in loader.TABLES:
        return loader.load_table(table, version, columns=columns or None, output=output)
    _check_keywords(loader.load_events, filters)
    computed = release_aggregates(loader.load_events(version, output="arrow", **filters))[table]
    if columns:
        missing = [c for c in columns if c not in computed.column_names]
        if missing:
            raise ExportError(f"the {table} table has no column {', '.join(missing)}; "
                              f"it has: {', '.join(computed.column_names)}")
        computed = computed.select(columns)
    if output == "arrow":
        return computed
    return computed.to_pandas()


def _release_version(version: str | None) -> str:
    from openconflict.loader import info

    return str(info(version)["version"])


def write_frame(frame: Any, output: str | Path, fmt: str, *, version: str | None = None, quiet: bool = False,
                stream: IO[str] | None = None) -> int:
    """Write a pandas DataFrame or pyarrow Table as ``fmt``; a file appears whole or not at all."""
    from openconflict.export_geo import GEO_FORMATS, replacing, write_geo

    if fmt in GEO_FORMATS:
        with _status(frame, fmt, quiet):
            return write_geo(frame, output, fmt)
    if fmt == "dta":
        from openconflict.stata import write_dta

        with _status(frame, fmt, quiet):
            return write_dta(_pandas(frame), output, version=version)
    if fmt == "parquet":
        with replacing(output) as tmp:
            return _write_parquet(_arrow(frame), tmp, quiet)
    if fmt not in TEXT_FORMATS:
        raise ExportError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    df = _pandas(frame)
    if str(output) == STDOUT:
        return _write_text(df, stream or sys.stdout, fmt, quiet)
    with replacing(output) as tmp, open(tmp, "w", encoding="utf-8", newline="") as fh:
        return _write_text(df, fh, fmt, quiet)


@contextmanager
def _status(frame: Any, fmt: str, quiet: bool) -> Iterator[None]:
    """Staged status lines around a writer that reports no progress of its own (Stata, GDAL, map files):
    on a terminal, for large frames, unless quiet."""
    from openconflict.progress import is_terminal

    rows = frame.num_rows if hasattr(frame, "num_rows") else len(frame)
    show = not quiet and rows >= BIG_EXPORT and is_terminal(sys.stderr)
    started = time.monotonic()
    if show:
        sys.stderr.write(f"export {fmt}: writing {rows:,} rows...\n")
    yield
    if show:
        sys.stderr.write(f"export {fmt}: done in {time.monotonic() - started:.1f} s\n")


def _bar(rows: int, fmt: str, quiet: bool) -> Any:
    from openconflict.progress import progress

    return progress(total=rows, desc=f"export {fmt}", unit="row", quiet=quiet, min_total=BIG_EXPORT)


def _write_parquet(table: pa.Table, path: str, quiet: bool) -> int:
    import pyarrow.parquet as pq

    with _bar(table.num_rows, "parquet", quiet) as bar, pq.ParquetWriter(path, table.schema,
                                                                          compression="zstd") as writer:
        for start in range(0, table.num_rows, CHUNK):
            part = table.slice(start, CHUNK)
            writer.write_table(part)
            bar.update(part.num_rows)
    return table.num_rows


def _write_text(df: pd.DataFrame, fh: IO[str], fmt: str, quiet: bool) -> int:
    if fmt == "jsonl":
        df = _json_ready(df)
    with _bar(len(df), fmt, quiet) as bar:
        for start in range(0, max(len(df), 1), CHUNK):
            part = df.iloc[start:start + CHUNK]
            if fmt == "csv":
                part.to_csv(fh, index=False, header=start == 0, date_format="%Y-%m-%d", lineterminator="\n")
            elif len(part):
                text = part.to_json(orient="records", lines=True, force_ascii=False, date_format="iso")
                text = _unescape_slashes(text)
                fh.write(text if text.endswith("\n") else text + "\n")
            bar.update(len(part))
    fh.flush()
    return len(df)


def _unescape_slashes(text: str) -> str:
    """pandas' ``\\/`` back to ``/``; an escaped backslash (``\\\\``) is kept, so ``a\\/b`` survives."""
    if "\\\\" not in text:
        return text.replace("\\/", "/")  # the common case, at the speed of str.replace
    return _ESCAPES.sub(lambda m: "/" if m.group() == "\\/" else m.group(), text)


def _json_ready(df: pd.DataFrame) -> pd.DataFrame:
    """Dates as ``YYYY-MM-DD`` (date-times as ISO 8601 to the second) instead of pandas' timestamps."""
    import numpy as np
    import pandas as pd

    out = df
    for col in df.columns:
        s = df[col]
        if pd.api.types.is_datetime64_any_dtype(s.dtype) and not isinstance(s.dtype, pd.DatetimeTZDtype):
            values = s.to_numpy(dtype="datetime64[ns]")
            days = values.astype("datetime64[D]")
            midnight = bool((days.astype("datetime64[ns]") == values)[~np.isnat(values)].all())
            text = (days if midnight else values.astype("datetime64[s]")).astype(str).astype(object)
            text[np.isnat(values)] = None
            out = out.copy() if out is df else out
            out[col] = text
        elif pd.api.types.is_datetime64_any_dtype(s.dtype):  # with a time zone: ISO 8601 with its offset
            out = out.copy() if out is df else out
            out[col] = s.map(lambda v: None if pd.isna(v) else v.isoformat(), na_action="ignore")
    return out


def _pandas(frame: Any) -> pd.DataFrame:
    if type(frame).__module__.startswith("pyarrow"):
        return frame.to_pandas()
    return frame


def _arrow(frame: Any) -> pa.Table:
    import pyarrow as pa

    if isinstance(frame, pa.Table):
        return frame
    return pa.Table.from_pandas(frame, preserve_index=False)
