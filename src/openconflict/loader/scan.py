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
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from openconflict.files import hash_key
from openconflict.loader.columns import arrow_type, events_types
from openconflict.loader.filters import Filters
from openconflict.loader.kernels import call, filter_rows
from openconflict.loader.literals import literal

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.dataset as pads

__all__ = ["COPY_SHARE", "PRUNABLE_COLUMNS", "CopyOpener", "FileFormat", "check_columns", "conform", "dataset", "file_columns",
           "group_runs", "parquet_index", "row_groups", "scan"]

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


#: Above this many row groups left after the statistics, a filtered scan first reads only the filters' columns.
TWO_PHASE_GROUPS = 8
#: Rows read at a time in the second phase (see :func:`_read_matches`).
BATCH_ROWS = 65_536


#: The columnar copy (:mod:`.columnar`) answers a filtered scan when the statistics leave more than this share
#: of the row groups (the queries that read the whole file; a country-year stays on the Parquet file).
COPY_SHARE = 0.5
#: Gives a memory map of the file's columnar copy, or None (see :func:`scan`).
CopyOpener = Callable[[], Any]


def _scan_parquet(path: Path, columns: list[str] | None, filters: Filters | None,
                  columnar: CopyOpener | None = None) -> pa.Table:
    """Row groups the statistics admit, then (when many are left) only those the filters' columns match.

    Why two phases: a filter the statistics cannot prune (one actor, one event type over all countries)
    leaves every row group; reading every column of every group to keep a few rows costs as much as the whole
    release. Reading the filters' columns first (a few narrow columns), evaluating the predicate there and
    reading the other columns only for the groups with a match reads one actor's events in about the time of
    a country-year. The predicate is :meth:`Filters.mask` (compute kernels, no pandas import); rows come out
    in file order either way, so the table equals a one-phase scan's.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    md, stats = parquet_index(path)
    pf = pq.ParquetFile(path, metadata=md, memory_map=True)
    groups = row_groups(stats, filters)
    wanted = list(pf.schema_arrow.names) if columns is None else columns
    keys = [] if filters is None else filters.columns
    if not groups:
        return pf.schema_arrow.empty_table().select(wanted)
    if not keys:
        return pf.read_row_groups(groups, columns=columns, use_threads=True)
    assert filters is not None
    if len(groups) > TWO_PHASE_GROUPS:
        mapped = columnar() if columnar is not None and len(groups) > COPY_SHARE * md.num_row_groups else None
        if mapped is not None:
            from openconflict.loader.columnar_scan import scan_copy

            return scan_copy(mapped, wanted, filters)
        probe = pf.read_row_groups(groups, columns=keys, use_threads=True)
        hit = call("coalesce", filters.mask(probe), literal(False, pa.bool_())).combine_chunks()
        offset, kept, masks = 0, [], []
        for g in groups:
            n = md.row_group(g).num_rows
            part = hit.slice(offset, n)
            offset += n
            if part.true_count:
                kept.append(g)
                masks.append(part)
        if not kept:
            return pf.schema_arrow.empty_table().select(wanted)
        return _read_matches(pf, kept, masks, list(dict.fromkeys([*wanted, *keys]))).select(wanted)
    table = pf.read_row_groups(groups, columns=list(dict.fromkeys([*wanted, *keys])), use_threads=True)
    return filter_rows(table, filters.mask(table)).select(wanted)


def _read_matches(pf: Any, groups: list[int], masks: list[pa.BooleanArray], columns: list[str]) -> pa.Table:
    """The matching rows of ``groups`` (``masks[i]`` for ``groups[i]``), read and filtered a batch at a time.

    Why batches: reading every column of every group before filtering allocates the whole release (about
    0.7 GB at a million events) to keep a fifth of it, and in a fresh process those pages are new memory
    the kernel must hand over one by one; filtering each ~64k-row batch as it is read reuses the same
    memory and took one event type over all countries from 0.8-1.6 s to about 0.5 s.
    """
    import pyarrow as pa

    parts: list[pa.Table] = []
    for run in group_runs(pf.metadata, groups, BATCH_ROWS):
        table = pf.read_row_groups(groups[run], columns=columns, use_threads=True)
        parts.append(filter_rows(table, pa.chunked_array(masks[run], pa.bool_())))
    return pa.concat_tables(parts)


def group_runs(md: Any, groups: Sequence[int], rows: int) -> Iterator[slice]:
    """``groups`` (row groups of the file whose footer is ``md``) cut into runs of about ``rows`` rows: each
    run ends at the first group that brings it to ``rows`` or more (one group at least)."""
    start = 0
    while start < len(groups):
        stop, held = start, 0
        while stop < len(groups) and (stop == start or held < rows):
            held += md.row_group(groups[stop]).num_rows
            stop += 1
        yield slice(start, stop)
        start = stop


def scan(path: Path, file_format: FileFormat, types: dict[str, pa.DataType] | None, columns: list[str] | None,
         filters: Filters | None, columnar: CopyOpener | None = None) -> pa.Table:
    """Read only the row groups and columns needed; the filter runs inside the scan.

    ``columnar`` (Parquet only) opens the file's columnar copy, called only when the statistics leave most row
    groups; the copy gives the same table, faster (:mod:`.columnar_scan`).
    """
    types = events_types() if types is None else types
    if file_format == "parquet":
        return conform(_scan_parquet(path, columns, filters, columnar), types)
    table = dataset(path, file_format, types).to_table(columns=columns, filter=filters.arrow() if filters else None)
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
