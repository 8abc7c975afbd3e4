"""Vectorised lookups of curated columns in the registries: the joins the release tables are made of.

Why apart from :mod:`openconflict.release.derive`: these are the few generic kernels (look a key up, turn a
'; '-separated id list into joined values, combine source scales ACLED's way: :class:`IdLists`) that
derive composes; each is
a handful of pyarrow/numpy calls with no per-row Python, so a million events join in well under a second.
"""

from __future__ import annotations

from typing import Any

__all__ = ["IdLists", "lookup", "null_if_empty", "take_grouped", "take_rows", "to_int"]


def null_if_empty(arr: Any) -> Any:
    """Empty text as null; the column itself (no copy) when it holds no empty text."""
    import pyarrow.compute as pc

    empty = pc.equal(arr, "")
    if not pc.any(empty).as_py():
        return arr
    return pc.if_else(empty, None, arr)


def lookup(keys: Any, table_keys: Any, values: Any) -> Any:
    import pyarrow.compute as pc

    return pc.take(values, pc.index_in(keys, value_set=table_keys))


def take_rows(table: Any, rows: Any) -> Any:
    """``table.take(rows)`` without joining the table's chunks first.

    Why: Arrow's ``take`` on a chunked table concatenates every chunk of every column before it takes,
    each call; taking the released sources a batch at a time from a 3.3M-row curated table (10M events)
    copied the whole 0.7 GB table once per batch. Here each chunk gives its own rows (:func:`take_grouped`).
    """
    import numpy as np
    import pyarrow as pa

    batches = table.to_batches()
    if len(batches) <= 1 or len(rows) == 0:
        return table.take(rows if isinstance(rows, (pa.Array, pa.ChunkedArray)) else pa.array(rows, pa.int64()))
    starts = np.cumsum([0] + [b.num_rows for b in batches])
    return take_grouped(starts, batches.__getitem__, rows)


def take_grouped(starts: Any, batch: Any, rows: Any) -> Any:
    """The rows numbered ``rows`` (any order) of a table held as batches: ``batch(k)`` is the k-th, which
    begins at row ``starts[k]``. Each batch is asked for once and gives its own rows; only the (small) result
    is put back in the order asked for. The batches may be in memory or on disk
    (:class:`openconflict.release.sources_in.SourceStore`)."""
    import numpy as np
    import pyarrow as pa

    rows = np.asarray(rows.to_numpy(zero_copy_only=False) if isinstance(rows, (pa.Array, pa.ChunkedArray))
                      else rows, dtype=np.int64)
    chunk = np.searchsorted(starts, rows, side="right") - 1
    by_chunk = np.argsort(chunk, kind="stable")
    pieces = []
    for k in np.unique(chunk).tolist():
        mine = by_chunk[chunk[by_chunk] == k]
        pieces.append(pa.Table.from_batches([batch(k).take(pa.array(rows[mine] - starts[k]))]))
    grouped = pa.concat_tables(pieces).combine_chunks()
    if np.array_equal(by_chunk, np.arange(len(rows))):
        return grouped  # asked for batch by batch already
    back = np.empty(len(rows), dtype=np.int64)
    back[by_chunk] = np.arange(len(rows))
    return grouped.take(pa.array(back))


def to_int(arr: Any, type_: Any = None) -> Any:
    import pyarrow as pa
    import pyarrow.compute as pc

    return pc.cast(null_if_empty(arr), type_ or pa.int32())


class IdLists:
    """A column of '; '-separated id lists, split and matched against a registry's keys once.

    Why once: an event's sources give three released columns (publishers, scale, URLs); splitting the
    lists and finding each id in the registry (``index_in`` over about 1.3M ids at 1M events) is most of the
    cost of each, so it is done here once and shared (issue 12).
    """

    def __init__(self, lists: Any, keys: Any) -> None:
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        split = pc.split_pattern(lists, pattern="; ")
        if isinstance(split, pa.ChunkedArray):
            split = split.combine_chunks()
        self.n = len(lists)
        self.parents = np.asarray(pc.list_parent_indices(split).to_numpy(), dtype=np.int64)
        self.positions = pc.index_in(pc.list_flatten(split), value_set=keys)

    def values(self, column: Any) -> Any:
        """The registry's ``column`` for every id of every list, flattened (null for an unknown id)."""
        import pyarrow as pa
        import pyarrow.compute as pc

        flat = pc.take(column, self.positions)
        return flat.combine_chunks() if isinstance(flat, pa.ChunkedArray) else flat

    def joined(self, column: Any, sep: str, distinct: bool) -> Any:
        """Each list's values of ``column`` joined with ``sep`` (first-seen order).

        Vectorised: the looked-up values are put back into the lists' own offsets, so no group-by is
        needed; with ``distinct`` a repeated value within one row (two reports by one publisher) is
        dropped with a numpy first-occurrence mask.
        """
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        flat, parents = self.values(column), self.parents
        if distinct and len(flat):
            codes = np.asarray(pc.dictionary_encode(flat).indices.to_numpy(zero_copy_only=False), dtype=np.int64)
            pair = parents * (int(codes.max()) + 1) + codes
            _, first = np.unique(pair, return_index=True)
            keep = np.zeros(len(pair), dtype=bool)
            keep[first] = True
            flat = flat.filter(pa.array(keep))
            parents = parents[keep]
        offsets = np.zeros(self.n + 1, dtype=np.int32)
        np.cumsum(np.bincount(parents, minlength=self.n), out=offsets[1:])
        rebuilt = pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), flat)
        return pc.binary_join(rebuilt, sep)

    def scale(self, scales: Any, order: list[str]) -> Any:
        """ACLED's ``source_scale`` of each list: its sources' one scale, or the narrowest and widest joined
        by '-'.

        ``order`` is the canonical order of the scales (``schema/vocabularies/source_scales.csv``, narrow to
        wide). A source whose own scale already joins several counts with each of them. Vectorised: each
        event's scales become ranks, and numpy's ``minimum.at``/``maximum.at`` find the two ends per event;
        the labels are taken from the small table of every (narrowest, widest) pair.
        """
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        per_source = pc.split_pattern(self.values(scales), pattern="-")
        if isinstance(per_source, pa.ChunkedArray):
            per_source = per_source.combine_chunks()
        parents = self.parents[np.asarray(pc.list_parent_indices(per_source).to_numpy(), dtype=np.int64)]
        ranks = pc.index_in(pc.list_flatten(per_source), value_set=pa.array(order, pa.string()))
        known = np.asarray(pc.is_valid(ranks).to_numpy(zero_copy_only=False), dtype=bool)
        rank = np.asarray(pc.fill_null(ranks, 0).to_numpy(), dtype=np.int64)[known]
        parents = parents[known]
        width = len(order)
        lo = np.full(self.n, width, dtype=np.int64)
        hi = np.full(self.n, -1, dtype=np.int64)
        np.minimum.at(lo, parents, rank)
        np.maximum.at(hi, parents, rank)
        labels = pa.array([f"{a}-{b}" if i != j else a for i, a in enumerate(order) for j, b in enumerate(order)],
                          pa.string())
        has = hi >= 0
        pair = np.where(has, lo * width + np.maximum(hi, 0), 0)
        return labels.take(pa.array(pair, mask=~has))
