"""The parts a large release is planned in, and the previous release read a country at a time.

Why apart from :mod:`openconflict.release.stream`: how the event files are cut (runs in the release's
order) and how the previous release is found again by id are the two facts the byte-for-byte equality of
a release planned in parts rests on; each is tested on its own (`tests/release/test_release_parts.py`).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from concurrent.futures import Future

    import pyarrow as pa

    from openconflict.schema import Schema

__all__ = ["Country", "Part", "PreviousEvents", "Whole", "plan_parts"]


class Whole(Exception):  # noqa: N818 - a signal, not an error: "plan this release whole"
    """The parts found something that refuses the release (or that they do not handle): plan it whole."""


@dataclass
class Part:
    """A run of event files in the release's order: countries by name, each country's months in order."""

    countries: list[str] = field(default_factory=list)  # every country with files (or deletions) here
    files: list[Path] = field(default_factory=list)
    size: int = 0
    ends: list[str] = field(default_factory=list)  # countries whose last files are here


def plan_parts(files: list[Path], schema: Schema, previous: set[str], budget: int) -> list[Part]:
    """Cut the event files into parts of about ``budget`` bytes, in the release's order (country name, then
    month; a large country spans parts); countries only the previous release holds join in too, so that
    their deleted events are found. Always at least one part."""
    by_country: dict[str, list[Path]] = {iso3: [] for iso3 in previous}
    for path in files:
        by_country.setdefault(path.parent.name, []).append(path)
    unknown = sorted(c for c in by_country if c not in schema.countries)
    if unknown:
        raise Whole(f"event folders or released countries not in the countries vocabulary: {unknown}")
    parts = [Part()]
    for iso3 in sorted(by_country, key=lambda c: schema.countries[c].name):
        for path in [None] if not by_country[iso3] else sorted(by_country[iso3], key=lambda p: p.name):
            if parts[-1].size >= budget and path is not None:
                parts.append(Part())
            part = parts[-1]
            if iso3 not in part.countries:
                part.countries.append(iso3)
            if path is not None:
                part.files.append(path)
                try:
                    part.size += path.stat().st_size
                except OSError as exc:
                    raise Whole(str(exc)) from None
        parts[-1].ends.append(iso3)
    return parts


class PreviousEvents:
    """The latest release's events, read a country at a time: its ids, then the rows the parts ask for.

    Why by id and not by month: a corrected event may move to another month (or file), so a part's events
    are matched with the previous release by id, over the whole country; rows are read a row group at a
    time (row groups chosen by the statistics of ``iso3``), never the whole release.
    """

    def __init__(self, path: Path) -> None:
        import numpy as np
        import pyarrow.parquet as pq

        self._path = path
        self.file = pq.ParquetFile(path)
        self._reader: ThreadPoolExecutor | None = None
        self._reader_file: Any = None
        names = self.file.schema_arrow.names
        if "iso3" not in names:
            raise Whole("the latest release has no iso3 column")
        at = names.index("iso3")
        meta = self.file.metadata
        self._ranges: list[tuple[str, str] | None] = []
        sizes = []
        for g in range(meta.num_row_groups):
            group = meta.row_group(g)
            stats = group.column(at).statistics
            ok = stats is not None and stats.has_min_max
            self._ranges.append((stats.min, stats.max) if ok else None)
            sizes.append(group.num_rows)
        self._starts = np.concatenate([[0], np.cumsum(sizes, dtype=np.int64)])

    def countries(self) -> set[str]:
        """The countries (ISO3) the release holds, read one batch at a time."""
        import pyarrow.compute as pc

        found: set[str] = set()
        for batch in self.file.iter_batches(batch_size=65_536, columns=["iso3"], use_threads=False):
            found.update(pc.unique(batch.column(0)).to_pylist())
        return {c for c in found if c is not None}

    def country_ids(self, iso3: str) -> tuple[pa.Array, Any]:
        """The ids of ``iso3``'s events and their row numbers in the file."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        groups = np.array([g for g, r in enumerate(self._ranges) if r is None or r[0] <= iso3 <= r[1]], np.int64)
        if not len(groups):
            return pa.array([], pa.string()), np.array([], np.int64)
        # one read of the groups that may hold the country (a few, in a file sorted by country)
        table = self.file.read_row_groups(groups.tolist(), columns=["event_id_cnty", "iso3"], use_threads=False)
        mask = pc.fill_null(pc.equal(table.column("iso3"), iso3), False)
        ids = table.column("event_id_cnty").filter(mask)
        ids = ids.combine_chunks() if ids.num_chunks else pa.array([], pa.string())
        # a row's number in the file: its place among the groups read, moved to where its group starts
        read_starts = self._read_starts(groups)
        local = np.flatnonzero(mask.to_numpy(zero_copy_only=False))
        group_of = np.searchsorted(read_starts, local, side="right") - 1
        return ids, local - read_starts[group_of] + self._starts[groups[group_of]]

    def _read_starts(self, groups: Any) -> Any:
        """Where each of ``groups`` (ascending) begins in the table one read of them gives, and its end."""
        import numpy as np

        return np.concatenate([[0], np.cumsum(self._starts[groups + 1] - self._starts[groups])])

    def take_soon(self, rows: Any) -> Future[pa.Table]:
        """:meth:`take` on a reader thread (with a file handle of its own), while the caller validates and
        derives the part these rows are compared with."""
        if self._reader is None:
            import pyarrow.parquet as pq

            self._reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="previous-release")
            # its own handle, sharing the parsed footer (about 100 MB at 10M events) with the first
            self._reader_file = pq.ParquetFile(self._path, metadata=self.file.metadata)
        return self._reader.submit(self.take, rows, self._reader_file)

    def close(self) -> None:
        """Stop the reader thread."""
        if self._reader is not None:
            self._reader.shutdown(wait=True, cancel_futures=True)
            self._reader = None

    def take(self, rows: Any, file: Any = None) -> pa.Table:
        """The rows numbered ``rows`` (ascending), every column."""
        import numpy as np
        import pyarrow as pa

        if not len(rows):
            return self.file.schema_arrow.empty_table()
        group_of = np.searchsorted(self._starts, rows, side="right") - 1
        groups = np.unique(group_of)
        table = (file or self.file).read_row_groups(groups.tolist())
        local = rows - self._starts[group_of] + self._read_starts(groups)[np.searchsorted(groups, group_of)]
        if len(local) == 1 or bool(np.all(np.diff(local) == 1)):
            # One run of rows (a country's events, most often): a slice of what was read, not a copy of it.
            return table.slice(int(local[0]), len(local))
        return table.take(pa.array(local))


@dataclass
class Country:
    """A country spanning parts: its previous ids (which were matched), and its current ids so far."""

    previous_ids: Any
    previous_rows: Any
    seen: Any
    current: list[Any] = field(default_factory=list)
