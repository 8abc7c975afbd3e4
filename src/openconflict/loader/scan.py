"""Reading only what a query needs from one verified release file.

Why a hand-planned Parquet scan: releases are sorted by country, then date, and written in small row groups
with statistics, so a country-year lives in a few row groups. We read the footer once per file and
process, keep each row group's min/max of the columns filters can prune on, and read only the row groups
that can match; the filter expression then runs on those rows. A CSV twin is read with the same column
types, so both formats give identical tables.
"""

from __future__ import annotations

import csv
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from openconflict.files import hash_key
from openconflict.loader.columns import arrow_type, events_types
from openconflict.loader.filters import Filters

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.dataset as pads

__all__ = ["PRUNABLE_COLUMNS", "FileFormat", "check_columns", "conform", "dataset", "file_columns",
           "parquet_index", "row_groups", "scan"]

FileFormat = Literal["parquet", "csv"]
PRUNABLE_COLUMNS = frozenset({"iso3", "country", "admin1", "event_type", "sub_event_type", "event_date"})
_INDEX: dict[tuple[str, tuple[int, ...]], tuple[Any, list[dict[str, tuple[Any, Any]]]]] = {}
_INDEX_LOCK = threading.Lock()


def dataset(path: Path, file_format: FileFormat, types: dict[str, pa.DataType]) -> pads.Dataset:
    """A pyarrow dataset over one file; CSV columns get ``types`` (text where a column is not listed)."""
    import pyarrow.csv as pcsv
    import pyarrow.dataset as ds

    if file_format == "parquet":
        return ds.dataset(path, format="parquet")
    with open(path, newline="", encoding="utf-8") as fh:
        header = next(csv.reader(fh), [])
    column_types = {c: types.get(c, arrow_type("string")) for c in header}
    fmt = ds.CsvFileFormat(
        convert_options=pcsv.ConvertOptions(column_types=column_types, strings_can_be_null=True,
                                            quoted_strings_can_be_null=True),
        read_options=pcsv.ReadOptions(block_size=1 << 24),
    )
    return ds.dataset(path, format=fmt)


def check_columns(columns: Sequence[str] | None, available: Sequence[str], table: str) -> list[str] | None:
    """``columns`` as a list, or a ValueError naming the unknown ones and the available ones."""
    if columns is None:
        return None
    if isinstance(columns, str):
        columns = [columns]
    unknown = [c for c in columns if c not in available]
    if unknown:
        raise ValueError(f"unknown {table} column(s) {unknown}; available: {', '.join(available)}")
    return list(columns)


def parquet_index(path: Path) -> tuple[Any, list[dict[str, tuple[Any, Any]]]]:
    """The Parquet footer and each row group's min/max per prunable column, read once per file state.

    Why not a pyarrow dataset per call: building one re-reads and re-parses the footer every time, which
    costs more than reading the one or two row groups a country-year needs. The memo is keyed by the file's
    identity and state (:func:`openconflict.files.hash_key`), so a replaced file is read again.
    """
    import pyarrow.parquet as pq

    key = (str(path), hash_key(os.stat(path)))
    with _INDEX_LOCK:
        known = _INDEX.get(key)
    if known is not None:
        return known
    pf = pq.ParquetFile(path, memory_map=True)
    md = pf.metadata
    names = [md.schema.column(j).path for j in range(md.num_columns)]
    # Only the columns filters can prune on: every column's statistics of a file with hundreds of row
    # groups would cost more than the load it speeds up.
    prunable = [j for j, n in enumerate(names) if n in PRUNABLE_COLUMNS]
    stats: list[dict[str, tuple[Any, Any]]] = []
    for i in range(md.num_row_groups):
        rg = md.row_group(i)
        entry: dict[str, tuple[Any, Any]] = {}
        for j in prunable:
            s = rg.column(j).statistics
            if s is not None and s.has_min_max:
                entry[names[j]] = (s.min, s.max)
        stats.append(entry)
    # Keep the parsed footer, not the open file: a ParquetFile is not safe to share between threads.
    with _INDEX_LOCK:
        _INDEX[key] = (md, stats)
    return md, stats


def row_groups(stats: list[dict[str, tuple[Any, Any]]], filters: Filters | None) -> list[int]:
    """Row groups whose statistics admit a match (equality sets and the date range)."""
    keep = []
    for i, entry in enumerate(stats):
        ok = True
        if filters is not None:
            for col, values in filters.equals.items():
                bounds = entry.get(col)
                if bounds is not None and not any(bounds[0] <= v <= bounds[1] for v in values):
                    ok = False
                    break
            dates = entry.get("event_date")
            if ok and dates is not None:
                if filters.start is not None and dates[1] < filters.start:
                    ok = False
                if filters.end is not None and dates[0] > filters.end:
                    ok = False
        if ok:
            keep.append(i)
    return keep


def file_columns(path: Path, file_format: FileFormat, types: dict[str, pa.DataType]) -> list[str]:
    """The column names of one release file, cheaply (the memoised footer for Parquet)."""
    if file_format == "parquet":
        return list(parquet_index(path)[0].schema.to_arrow_schema().names)
    return list(dataset(path, file_format, types).schema.names)


def _scan_parquet(path: Path, columns: list[str] | None, filters: Filters | None, expr: Any) -> pa.Table:
    import pyarrow.parquet as pq

    md, stats = parquet_index(path)
    pf = pq.ParquetFile(path, metadata=md, memory_map=True)
    groups = row_groups(stats, filters)
    needed = None if columns is None else list(dict.fromkeys([*columns, *(filters.columns if filters else [])]))
    if groups:
        table = pf.read_row_groups(groups, columns=needed, use_threads=True)
    else:
        schema = pf.schema_arrow
        table = schema.empty_table() if needed is None else schema.empty_table().select(needed)
    if expr is not None:
        table = table.filter(expr)
    return table if columns is None else table.select(columns)


def scan(path: Path, file_format: FileFormat, types: dict[str, pa.DataType] | None, columns: list[str] | None,
         filters: Filters | None) -> pa.Table:
    """Read only the row groups and columns needed; the filter runs inside the scan."""
    types = events_types() if types is None else types
    expr = filters.arrow() if filters else None
    if file_format == "parquet":
        return conform(_scan_parquet(path, columns, filters, expr), types)
    table = dataset(path, file_format, types).to_table(columns=columns, filter=expr)
    return conform(table, types)


def conform(table: pa.Table, types: dict[str, pa.DataType]) -> pa.Table:
    """Cast to the canonical types so every format (and any writer's quirks) read alike."""
    import pyarrow as pa

    fields = []
    for f in table.schema:
        t = types.get(f.name, f.type)
        if pa.types.is_large_string(t) or pa.types.is_string_view(t):
            t = pa.string()
        fields.append(pa.field(f.name, t))
    target = pa.schema(fields)
    return table if target.equals(table.schema) else table.cast(target)
