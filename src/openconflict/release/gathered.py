"""What the rules need of a whole release, gathered part by part, and put together at the end.

Why apart from :mod:`openconflict.release.stream`: each merge here must give exactly the table the whole
plan makes in one go (same rows, same order), and says why it does; the parts' loop only feeds them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openconflict.release.parts import Country
from openconflict.release.plan import Written

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["AggregateParts", "Gathered", "merged_changes"]


@dataclass
class Gathered:
    """What the rules need of the whole release, gathered part by part."""

    aggregates: AggregateParts
    cited: Any  # which rows of the curated sources the events cite (a numpy mask; None before the first part)
    rows: int = 0
    newest: dt.date | None = None
    changes: list[Any] = field(default_factory=list)
    modified: int = 0
    countries: dict[str, Country] = field(default_factory=dict)


def merged_changes(pieces: list[Any], later: bool) -> pa.Table:
    """The parts' changes as one table: a first release's in the events' order (all added), a later one's
    sorted by the keys that order every row (:func:`~openconflict.changeset.in_change_order`)."""
    import pyarrow as pa

    from openconflict.changeset import empty_changes, in_change_order

    table = pa.concat_tables(pieces) if pieces else empty_changes()
    return in_change_order(table) if later else table


class AggregateParts:
    """The parts' aggregate tables, kept on disk until the last part, then written a country at a time.

    Why: the aggregates count units x months x event types, about one row per event at admin2 level (860k
    rows at 1M events, ~0.6 GB at 10M); held until the end they were most of what a large build gathered.
    Each part's tables (each sorted, as :func:`~openconflict.release.aggregates.aggregate_tables` makes
    them) go to an Arrow file in a scratch folder, one record batch per country. At the end every
    country's batches are read back, sorted as
    :func:`~openconflict.release.aggregates.grouped_reference` sorts (units, month, event type's rank) and
    written, in country-code order, which is the whole table's order: its units start with the country.
    A (unit, month, event type) group never spans parts, because a part holds whole months of a country.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder  # an empty scratch folder the caller removes
        self._files: dict[str, list[Path]] = {}
        self._batches: dict[str, dict[str, list[tuple[int, int]]]] = {}  # name -> iso3 -> (file, batch)
        self._schemas: dict[str, pa.Schema] = {}

    def add(self, tables: dict[str, pa.Table]) -> None:
        """Keep one part's aggregate tables."""
        import pyarrow as pa
        import pyarrow.compute as pc

        for name, table in tables.items():
            files = self._files.setdefault(name, [])
            at = len(files)
            files.append(self.folder / f"{name}-{at}.arrow")
            self._schemas.setdefault(name, table.schema)
            batches = self._batches.setdefault(name, {})
            runs = pc.run_end_encode(table.column("iso3").combine_chunks())
            start, n = 0, 0
            with pa.OSFile(str(files[-1]), "wb") as sink, pa.ipc.new_file(sink, table.schema) as out:
                for iso3, end in zip(runs.values.to_pylist(), runs.run_ends.to_pylist(), strict=True):
                    out.write_batch(table.slice(start, end - start).combine_chunks().to_batches()[0])
                    batches.setdefault(iso3, []).append((at, n))
                    start, n = end, n + 1

    def write(self, data: Path, event_types: list[str], finish: Any = None) -> dict[str, Written]:
        """Write every aggregate table into ``data``; their row counts."""
        import pyarrow as pa
        import pyarrow.compute as pc

        from openconflict.release.aggregates import AGGREGATES
        from openconflict.release.write import PartsWriter

        out = {}
        for name, files in self._files.items():
            writer = PartsWriter(data, name, self._schemas[name], finish=finish)
            try:
                readers = [pa.ipc.open_file(pa.OSFile(str(p))) for p in files]
                for iso3 in sorted(self._batches[name]):
                    table = pa.Table.from_batches([readers[k].get_batch(b) for k, b in self._batches[name][iso3]],
                                                  self._schemas[name])
                    rank = pc.index_in(table.column("event_type"), value_set=pa.array(event_types, pa.string()))
                    order = pc.sort_indices(table.append_column("_rank", rank),
                                            sort_keys=[*((u, "ascending") for u in AGGREGATES[name]),
                                                       ("month", "ascending"), ("_rank", "ascending")])
                    writer.add(table.take(order))
                writer.close()
            except BaseException:
                writer.abort()
                raise
            out[name] = Written(writer.num_rows)
        return out
