"""The released sources table, typed and written a batch at a time by a build in parts.

Why: the sources registry grows with the events (3.3M reports at 10M synthetic events, 0.7 GB in memory);
made whole, the released copy doubled that at the very end of a large build. Here its rows (cut to the
reports the events cite, in id order: :func:`~openconflict.release.derive.sources_order`) are taken from the
registry's store on disk (:mod:`openconflict.release.sources_in`), typed and handed to the parts writer a
batch at a time, and what the plan needs of the table is gathered on the way: its publishers, its newest
report date and the two columns the report counts; then whether it equals the previous release's table
(:func:`_same_as`). The files are the bytes the whole table gives
(:class:`~openconflict.release.write.PartsWriter`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openconflict.release.plan import Written

if TYPE_CHECKING:
    import pyarrow as pa

    from openconflict.release.sources_in import SourceStore
    from openconflict.schema import Schema

__all__ = ["BATCH_ROWS", "ReleasedSources", "write_sources"]

#: Rows typed and written at a time.
BATCH_ROWS = 65_536


@dataclass
class ReleasedSources:
    """What the plan needs of the released sources table, which is on disk."""

    written: Written
    publishers: list[str]
    newest: dt.date | None
    #: whether the table equals the previous release's (None: there is no previous release)
    same: bool | None
    #: the columns the report counts (``openconflict.reporting.SOURCE_COLUMNS``)
    report: pa.Table


class _Rows:
    """The rows of a Parquet file, handed out in runs of any length (its own batches need not line up)."""

    def __init__(self, path: Path) -> None:
        import pyarrow.parquet as pq

        self.file = pq.ParquetFile(path)
        self._batches: Iterator[Any] = self.file.iter_batches(batch_size=BATCH_ROWS, use_threads=False)
        self._held: list[Any] = []
        self._count = 0

    def take(self, n: int) -> pa.Table:
        import pyarrow as pa

        while self._count < n:
            batch = next(self._batches, None)
            if batch is None:
                break
            self._held.append(batch)
            self._count += batch.num_rows
        table = pa.Table.from_batches(self._held, self.file.schema_arrow)
        out, rest = table.slice(0, n), table.slice(n)
        self._held = rest.to_batches()
        self._count = rest.num_rows
        return out


def write_sources(curated: SourceStore, schema: Schema, cited: Any, data: Path, finish: Any = None,
                  previous: Path | None = None, previous_sha256: str | None = None) -> ReleasedSources:
    """Write the released sources of the ``curated`` registry (cut to ``cited``: a mask of its rows) into
    ``data``; ``previous`` is the previous release's ``sources.parquet`` (None for a first release), and
    ``previous_sha256`` its digest where the ledger gives it (else the file is hashed)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from openconflict.release.derive import release_arrow_schema, sources_order, typed_sources
    from openconflict.release.write import PartsWriter
    from openconflict.reporting import SOURCE_COLUMNS

    order = sources_order(pa.table({"source_id": curated.ids}), cited)
    target = release_arrow_schema(schema, "sources")
    publishers: set[str] = set()
    newest: dt.date | None = None
    report: list[pa.Table] = []
    writer = PartsWriter(data, "sources", target, finish=finish)
    try:
        for at in range(0, len(order), BATCH_ROWS):
            batch = typed_sources(curated.take(order.slice(at, BATCH_ROWS)), schema)
            writer.add(batch)
            publishers.update(pc.unique(batch.column("publisher")).to_pylist())
            last = pc.max(batch.column("published")).as_py()
            if last is not None:
                newest = last if newest is None else max(newest, last)
            report.append(batch.select(SOURCE_COLUMNS))
        writer.close()
    except BaseException:
        writer.abort()
        raise
    table = pa.concat_tables(report) if report else target.empty_table().select(SOURCE_COLUMNS)
    same = (_same_as(previous, writer.paths[0], target, previous_sha256)
            if previous is not None and previous.is_file() else None)
    return ReleasedSources(Written(writer.num_rows), sorted(publishers), newest, same, table)


def _same_as(previous: Path, written: Path, target: pa.Schema, previous_sha256: str | None) -> bool:
    """Whether the sources just ``written`` equal the previous release's table (``previous``).

    Why bytes first: both digests are known already (the new file's from when it was sealed, the previous
    one's from the ledger the published release was checked against), and equal bytes are equal tables, so
    a release that only corrects events answers without reading the previous file or decoding either.
    Different bytes may still hold the same table (a previous release written by another writer version),
    so then the two are compared a batch at a time.
    """
    from openconflict.files import sha256_file

    old, new = _Rows(previous), _Rows(written)
    if old.file.metadata.num_rows != new.file.metadata.num_rows or not old.file.schema_arrow.equals(target):
        return False
    if (previous_sha256 or sha256_file(previous)) == sha256_file(written):
        return True
    for _ in range(0, new.file.metadata.num_rows, BATCH_ROWS):
        if not new.take(BATCH_ROWS).equals(old.take(BATCH_ROWS)):
            return False
    return True
