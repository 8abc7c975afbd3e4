"""The columnar copy's format: an uncompressed Arrow IPC file with repeated text stored as dictionaries.

Why this format (issue 12, one event type over all countries): a filter that row-group statistics cannot
prune reads every column of every row group of the Parquet file. At 4,096-row groups (the size the
country-year loads need) a million events are about 20,000 zstd pages; pyarrow's reader creates a
decompression context for every page and builds every string of every row, and the filter then keeps
one row in five. Here nothing is decompressed: the file is memory-mapped, the filter's own columns are
decoded, the mask computed, and only the matching rows of the other columns are copied out. Text
columns whose values repeat (:data:`~.columns.REPEATED_TEXT_COLUMNS`) are stored as dictionaries, so a
non-matching row costs a 4-byte index instead of its string, and the file stays far smaller than the
plain table (a million synthetic events: 535 MB against 792 MB).

The copy is written from the verified Parquet file a row-group batch at a time (memory does not grow with
the release): a first pass collects each repeated column's distinct values from the Parquet dictionaries,
a second converts and writes. Rows keep the Parquet file's order, so a scan of the copy returns exactly
the table the Parquet scan returns.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, BinaryIO

from openconflict.loader.columns import REPEATED_TEXT_COLUMNS
from openconflict.loader.filters import Filters
from openconflict.loader.kernels import call, filter_rows, index_in
from openconflict.loader.scan import group_runs, parquet_index

if TYPE_CHECKING:
    from pathlib import Path

    import pyarrow as pa

__all__ = ["BATCH_ROWS", "THREADS", "estimated_bytes", "scan_copy", "write_copy"]

#: Rows per record batch of the copy (the unit of the scan's parallel filter).
BATCH_ROWS = 65_536
#: At most this many threads filter the batches (never more than the machine's cores).
THREADS = 8


def _runs(md: Any) -> Iterator[list[int]]:
    """The file's row groups in runs of about :data:`BATCH_ROWS` rows (one record batch of the copy each)."""
    groups = list(range(md.num_row_groups))
    return (groups[run] for run in group_runs(md, groups, BATCH_ROWS))


def estimated_bytes(source: Path) -> int:
    """About how large the copy of ``source`` will be (its uncompressed size; dictionaries make it smaller)."""
    md = parquet_index(source)[0]
    return sum(md.row_group(g).total_byte_size for g in range(md.num_row_groups))


def _dictionaries(source: Path, names: list[str]) -> dict[str, pa.Array]:
    """Each column's distinct values, gathered from the Parquet dictionaries (no string is built per row)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(source, metadata=parquet_index(source)[0], memory_map=True, read_dictionary=names)
    seen: dict[str, list[pa.Array]] = {n: [] for n in names}
    for groups in _runs(pf.metadata):
        table = pf.read_row_groups(groups, columns=names, use_threads=True)
        for n in names:
            seen[n].extend(chunk.dictionary for chunk in table.column(n).chunks)
    return {n: call("unique", pa.concat_arrays(parts) if parts else pa.array([], pa.string()))
            for n, parts in seen.items()}


def write_copy(source: Path, sink: str | BinaryIO) -> None:
    """Write the columnar copy of the Parquet file ``source`` to ``sink``, one row-group batch at a time."""
    import pyarrow as pa
    import pyarrow.ipc as ipc
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(source, metadata=parquet_index(source)[0], memory_map=True)
    schema = pf.schema_arrow
    names = [n for n in REPEATED_TEXT_COLUMNS if n in schema.names and pa.types.is_string(schema.field(n).type)]
    dictionaries = _dictionaries(source, names)
    fields = [f.with_type(pa.dictionary(pa.int32(), f.type)) if f.name in dictionaries else f for f in schema]
    out = pa.schema(fields, metadata=schema.metadata)
    with ipc.new_file(sink, out) as writer:
        for groups in _runs(pf.metadata):
            table = pf.read_row_groups(groups, use_threads=True)
            arrays = []
            for f in out:
                column = table.column(f.name).combine_chunks()
                if f.name in dictionaries:
                    column = pa.DictionaryArray.from_arrays(index_in(column, dictionaries[f.name]),
                                                            dictionaries[f.name])
                arrays.append(column)
            writer.write_batch(pa.RecordBatch.from_arrays(arrays, schema=out))


def _decoded(column: Any) -> Any:
    """A column with its dictionary chunks turned back into plain text (new buffers, never the mapping's)."""
    import pyarrow as pa

    if not pa.types.is_dictionary(column.type):
        return column
    # take(dictionary, indices) is dictionary_decode() without its import of pyarrow.compute (see kernels).
    return pa.chunked_array([call("take", c.dictionary, c.indices) for c in column.chunks], column.type.value_type)


def scan_copy(buffer: Any, columns: list[str], filters: Filters) -> pa.Table:
    """The rows of the copy in ``buffer`` (a memory map) that ``filters`` keep, columns ``columns``, as plain text.

    Each record batch is filtered on its own, on up to :data:`THREADS` threads (the kernels release the GIL);
    the filter copies the kept rows, so the table returned holds no reference to the mapping.
    """
    import pyarrow as pa
    import pyarrow.ipc as ipc

    reader = ipc.open_file(pa.BufferReader(buffer))
    schema = reader.schema
    keys = filters.columns
    need = list(dict.fromkeys([*columns, *keys]))
    # Read the batches here, not on the workers: the reader loads its dictionaries on first use.
    batches = [reader.get_batch(i) for i in range(reader.num_record_batches)]

    def one(batch: pa.RecordBatch) -> pa.Table:
        table = pa.Table.from_batches([batch]).select(need)
        probe = pa.table({k: _decoded(table.column(k)) for k in keys})
        return filter_rows(table, filters.mask(probe)).select(columns)

    workers = min(THREADS, os.cpu_count() or 1, len(batches))
    if workers > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(workers, thread_name_prefix="openconflict-columnar") as pool:
            parts = list(pool.map(one, batches))
    else:
        parts = [one(b) for b in batches]
    kept = pa.concat_tables(parts) if parts else pa.Table.from_batches([], schema).select(columns)
    fields = [schema.field(n) for n in columns]
    plain = [f.with_type(f.type.value_type) if pa.types.is_dictionary(f.type) else f for f in fields]
    return pa.table([_decoded(kept.column(n)) for n in columns], schema=pa.schema(plain, metadata=schema.metadata))
