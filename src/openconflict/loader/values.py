"""What one release file holds, cheaply: the distinct values of a column and the dates it covers.

Why: a filter whose value occurs nowhere in the release must say so (and what the release calls it) rather
than return an empty frame, and a case-insensitive filter must learn the release's exact spelling before
the scan, so the scan keeps its exact, prunable comparisons. The dates come from the Parquet row-group
statistics the scan already parsed; a column's distinct values cost one read of that single column
(dictionary-encoded), once per file: they depend only on the file's verified bytes, so they are kept under
its sha256 in this process and (as small JSON facts) in the cache, like the categories of polars output.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from openconflict.loader.columns import events_types
from openconflict.loader.kernels import call
from openconflict.loader.scan import FileFormat, dataset, parquet_index

__all__ = ["ASSOC_ACTORS", "PRIMARY_ACTORS", "Values"]

#: Pseudo-columns: the names in actor1 or actor2, and the elements of the '; '-joined associated actors.
PRIMARY_ACTORS = "actor1|actor2"
ASSOC_ACTORS = "assoc_actor_1|assoc_actor_2"
_MEMO: dict[tuple[str, str], list[Any]] = {}
_COVERAGE: dict[str, tuple[dt.date, dt.date] | None] = {}
_LOCK = threading.Lock()
FactStore = tuple[Callable[[str], Any], Callable[[str, Any], None]]


class Values:
    """Distinct values and coverage of one verified events file (identified by its sha256)."""

    def __init__(self, path: Path, file_format: FileFormat, sha256: str, facts: FactStore | None,
                 version: str) -> None:
        self.path, self.file_format, self.sha256, self.facts, self.version = path, file_format, sha256, facts, version

    def distinct(self, column: str) -> list[Any]:
        """The sorted distinct non-empty values of ``column`` (or of a pseudo-column above)."""
        key = (f"{self.sha256}:{self.file_format}", column)
        with _LOCK:
            known = _MEMO.get(key)
        if known is not None:
            return known
        name = f"values-{self.sha256}-{self.file_format}-{column.replace('|', '+')}.json"
        values = self._saved(name, column)
        if values is None:
            values = self._read(column)
            if self.facts is not None:
                self.facts[1](name, {"sha256": self.sha256, "column": column, "values": values})
        with _LOCK:
            _MEMO[key] = values
        return values

    def coverage(self) -> tuple[dt.date, dt.date] | None:
        """The first and last event date of the file (None for a file without events)."""
        key = f"{self.sha256}:{self.file_format}"
        with _LOCK:
            if key in _COVERAGE:
                return _COVERAGE[key]
        found: tuple[dt.date, dt.date] | None = None
        if self.file_format == "parquet":
            md, stats = parquet_index(self.path)
            bounds = [s["event_date"] for s in stats if "event_date" in s]
            if md.num_rows == 0:
                found = None
            elif len(bounds) == md.num_row_groups:
                found = (min(b[0] for b in bounds), max(b[1] for b in bounds))
            else:
                found = self._read_coverage()
        else:
            found = self._read_coverage()
        with _LOCK:
            _COVERAGE[key] = found
        return found

    # ------------------------------------------------------------------------------------------- reading

    def _saved(self, name: str, column: str) -> list[Any] | None:
        if self.facts is None:
            return None
        saved = self.facts[0](name)
        if not isinstance(saved, dict) or saved.get("sha256") != self.sha256 or saved.get("column") != column:
            return None
        values = saved.get("values")
        if not isinstance(values, list):
            return None
        kind = int if column in ("interaction", "year") else str
        if not all(isinstance(v, kind) and not isinstance(v, bool) for v in values):
            return None
        return values

    def _column(self, column: str) -> Any:
        """One column of the file as an Arrow ChunkedArray (strings dictionary-encoded when Parquet)."""
        if self.file_format == "parquet":
            import pyarrow.parquet as pq

            md = parquet_index(self.path)[0]
            text = events_types().get(column)
            pf = pq.ParquetFile(self.path, metadata=md, memory_map=True,
                                read_dictionary=[column] if text is not None and str(text) == "string" else None)
            return pf.read(columns=[column], use_threads=True).column(0)
        return dataset(self.path, self.file_format, events_types()).to_table(columns=[column]).column(0)

    def _unique(self, column: str) -> set[Any]:
        import pyarrow as pa

        col = self._column(column)
        if pa.types.is_dictionary(col.type):
            col = col.unify_dictionaries() if isinstance(col, pa.ChunkedArray) else col
            out: set[Any] = set()
            for chunk in col.chunks:
                used = call("drop_null", call("unique", chunk.indices))
                out.update(call("take", chunk.dictionary, used).to_pylist())
            return out
        return set(call("drop_null", call("unique", col)).to_pylist())

    def _read(self, column: str) -> list[Any]:
        if column == PRIMARY_ACTORS:
            found = self._unique("actor1") | self._unique("actor2")
        elif column == ASSOC_ACTORS:
            found = {part for c in ("assoc_actor_1", "assoc_actor_2") for v in self._unique(c)
                     for part in str(v).split("; ")}
        else:
            found = self._unique(column)
        found.discard(None)
        found.discard("")
        return sorted(found)

    def _read_coverage(self) -> tuple[dt.date, dt.date] | None:
        col = self._column("event_date")
        bounds = call("min_max", col).as_py()
        if bounds["min"] is None:
            return None
        return bounds["min"], bounds["max"]
