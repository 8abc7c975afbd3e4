"""The latest published release, as a build reads it: its registries whole, its events one column at a time.

Why its own module: a later build compares its events with the previous release's (the diff), and that
release is as large as the new one; how it is read decides a good part of a later build's time and memory
(issue 12). The release was checked against the ledger before it is read here.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from openconflict.errors import BuildError
from openconflict.ledger import Ledger
from openconflict.release.plan import REGISTRY_TABLES, LatestRelease

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["ReleasedColumns", "read_latest"]


class ReleasedColumns:
    """A published Parquet table that hands out one column at a time, the way the diff compares releases.

    Why not the whole table: the previous release's events are as large as the new ones (about 1 GB in
    memory for a million events), and the diff (:func:`openconflict.changeset.compare_events`) only ever
    holds one column of each release at a time; reading them whole kept the old release in memory for the
    whole build. Offers what the diff uses of a table: ``column_names``, ``num_rows`` and ``column(name)``.
    Reads happen on background threads, a few columns ahead of the one asked for. (The build reads the
    previous release country by country instead, :mod:`openconflict.release.parts`; this serves the whole
    plan, which every refused build takes, and its tests.)
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._shape: tuple[list[str], int] | None = None
        self._reader: ThreadPoolExecutor | None = None
        self._ahead: dict[str, Future[pa.ChunkedArray]] = {}
        self._local = threading.local()

    @property
    def column_names(self) -> list[str]:
        return self._read_shape()[0]

    @property
    def num_rows(self) -> int:
        return self._read_shape()[1]

    def _read_shape(self) -> tuple[list[str], int]:
        """The column names and row count, read from the footer when first asked for: a build in parts never
        asks (it reads the file by country, :class:`~openconflict.release.parts.PreviousEvents`), and the
        parsed footer of a 10M-event release takes about 100 MB that glibc keeps once freed."""
        import pyarrow.parquet as pq

        if self._shape is None:
            try:
                file = pq.ParquetFile(self.path)
            except (OSError, ValueError) as exc:
                raise BuildError(f"cannot read the latest published release's events ({self.path}): {exc}") from None
            self._shape = (list(file.schema_arrow.names), file.metadata.num_rows)
        return self._shape

    def _read(self, name: str) -> pa.ChunkedArray:
        import pyarrow.parquet as pq

        file = getattr(self._local, "file", None)
        if file is None:  # one reader per thread: a ParquetFile is not shared between threads
            file = self._local.file = pq.ParquetFile(self.path)
        return file.read(columns=[name], use_threads=False).column(0)

    def _submit(self, name: str) -> Future[pa.ChunkedArray]:
        if self._reader is None:
            self._reader = ThreadPoolExecutor(max_workers=self.AHEAD, thread_name_prefix="released-columns")
        return self._reader.submit(self._read, name)

    #: Columns read ahead of the one asked for (each on its own reader thread).
    AHEAD = 2

    def column(self, name: str) -> pa.ChunkedArray:
        """One column; the next ``AHEAD`` ones (in file order) are read meanwhile on reader threads, so reads
        overlap each other and the caller's comparison, and at most ``AHEAD + 1`` columns are held."""
        if name not in self.column_names:
            raise BuildError(f"cannot read column {name!r} of the latest published release ({self.path}): it has "
                             f"no such column")
        pending = self._ahead.pop(name, None) or self._submit(name)
        names = self.column_names
        at = names.index(name) if name in names else len(names)
        for ahead in names[at + 1:at + 1 + self.AHEAD]:
            if ahead not in self._ahead:
                self._ahead[ahead] = self._submit(ahead)
        try:
            return pending.result()
        except (OSError, ValueError, KeyError, IndexError) as exc:
            raise BuildError(f"cannot read column {name!r} of the latest published release ({self.path}): "
                             f"{exc}") from None

    def close(self) -> None:
        """Stop the reader thread and drop any column read ahead."""
        self._ahead.clear()
        if self._reader is not None:
            self._reader.shutdown(wait=True, cancel_futures=True)
            self._reader = None


def read_latest(releases_dir: Path, ledger: Ledger,
                registries: tuple[str, ...] = REGISTRY_TABLES) -> LatestRelease | None:
    """The latest published release, from its folder (already checked against the ledger): its registries
    in full (those named in ``registries``: a build in parts compares the sources batch by batch, see
    :mod:`openconflict.release.sources_out`), its events one column at a time (:class:`ReleasedColumns`)."""
    import pyarrow.parquet as pq

    if not ledger.entries:
        return None
    entry = ledger.latest
    folder = releases_dir / entry.version
    try:
        desc = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
        fields = next((r["schema"]["fields"] for r in desc.get("resources", []) if r.get("name") == "events"), None)
        tables = {n: pq.read_table(folder / "data" / f"{n}.parquet") for n in registries}
        events = ReleasedColumns(folder / "data" / "events.parquet")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BuildError(f"cannot read the latest published release {entry.version} in {folder}: {exc}") from None
    return LatestRelease(entry.version, dt.date.fromisoformat(entry.date), events, fields, tables)
