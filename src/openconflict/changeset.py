"""The changes between two released events tables: which events were added, deleted, and which cells changed.

Why its own module: the release step writes each release's ``data/changes`` table, and the loader compares
two releases that are not consecutive; both must give the same rows in the same order, so both call this one
implementation. Events are matched by ``event_id_cnty``; values are compared column by column and stored as
text; the ``timestamp`` bookkeeping column is left out. It imports nothing of the package (pyarrow lazily),
so the build side and the loader can both depend on it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["CHANGE_COLUMNS", "IGNORED_IN_DIFF", "KEY", "changes_schema", "compare_events", "empty_changes", "labelled",
           "in_change_order"]

#: The column events are matched by.
KEY = "event_id_cnty"
#: Bookkeeping columns whose change is not a change of the event (the build re-stamps them).
IGNORED_IN_DIFF = frozenset({"timestamp"})
CHANGE_COLUMNS: tuple[str, ...] = ("event_id", "change", "field", "old_value", "new_value")


def changes_schema() -> pa.Schema:
    import pyarrow as pa

    return pa.schema([(c, pa.string()) for c in CHANGE_COLUMNS])


def empty_changes() -> pa.Table:
    return changes_schema().empty_table()


def _as_text(arr: Any) -> Any:
    """Old and new values are stored as text so that one changes table holds every column's type."""
    import pyarrow as pa
    import pyarrow.compute as pc

    return pc.cast(arr, pa.string())


def labelled(ids: Any, change: str, field: Any = None, old: Any = None, new: Any = None) -> pa.Table:
    """One block of the changes table: ``ids`` with one change kind (and, for modified cells, the values)."""
    import pyarrow as pa

    n = len(ids)
    return pa.table({"event_id": ids, "change": pa.array([change] * n, pa.string()),
                     "field": pa.array([field] * n, pa.string()) if field else pa.nulls(n, pa.string()),
                     "old_value": old if old is not None else pa.nulls(n, pa.string()),
                     "new_value": new if new is not None else pa.nulls(n, pa.string())}, schema=changes_schema())


#: A chunked text column larger than this is taken from in 64-bit offsets (see :func:`_take`).
LARGE_TEXT = 1 << 30


def _take(column: Any, indices: Any) -> Any:
    """``column.take(indices)`` that also works on a text column of more than 2 GB.

    Arrow concatenates a chunked text column before taking from it, and a ``string`` array holds at most
    2 GB: the notes of a 10M-event release do not fit (a later build failed with "offset overflow"). Such
    a column is taken from as ``large_string`` (chunk by chunk, no concatenation of the original); the
    values are the same, and :func:`_as_text` turns the (small) result back into ``string``.
    """
    import pyarrow as pa

    typ = column.type
    if isinstance(column, pa.ChunkedArray) and column.num_chunks > 1 and column.nbytes > LARGE_TEXT:
        if pa.types.is_string(typ):
            column = column.cast(pa.large_string())
        elif pa.types.is_binary(typ):
            column = column.cast(pa.large_binary())
    return column.take(indices)


def _aligned(column: Any, positions: Any, identity: bool) -> Any:
    """``column`` at ``positions`` (rows of the events both releases hold), without a copy when they are
    the column's first rows in order (the usual case: a new release appends to the old order)."""
    return column.slice(0, len(positions)) if identity else _take(column, positions)


def _is_prefix(positions: Any) -> bool:
    """Whether ``positions`` is 0, 1, ..., len-1."""
    import pyarrow.compute as pc

    n = len(positions)
    if n == 0:
        return True
    if positions[0].as_py() != 0 or positions[n - 1].as_py() != n - 1:
        return False
    steps = pc.subtract(positions.slice(1), positions.slice(0, n - 1))
    return bool(pc.all(pc.equal(steps, 1)).as_py())


def compare_events(old: pa.Table | None, new: pa.Table) -> tuple[pa.Table, int]:
    """The changes table from ``old`` to ``new`` (None: everything added) and the number of modified events.

    Rows are ordered by event number, change kind, field and id (:func:`in_change_order`). Events are matched by id with a hash lookup
    (``index_in``), never by joining the two tables: each column of the common events is lined up (a slice
    when both releases keep the same order, else a ``take``) and compared on its own, so only one column of
    each release is copied at a time and only the changed cells are kept.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if old is None:
        return labelled(new.column(KEY), "added"), 0
    old_ids, new_ids = old.column(KEY), new.column(KEY)
    where_old = pc.index_in(new_ids, value_set=old_ids)  # per new row: its row in old, null when added
    in_old = pc.is_valid(where_old)
    added_ids = pc.filter(new_ids, pc.invert(in_old))
    new_pos = pc.indices_nonzero(in_old)
    old_pos = pc.cast(pc.filter(where_old, in_old), pa.uint64())
    # Deleted: the old rows no new row points at (marked from the lookup above, not a second hash of the ids).
    kept = np.zeros(len(old_ids), dtype=bool)
    kept[old_pos.to_numpy(zero_copy_only=False)] = True
    deleted_ids = pc.filter(old_ids, pa.array(~kept))
    same_new, same_old = _is_prefix(new_pos), _is_prefix(old_pos)
    common_ids = _aligned(new_ids, new_pos, same_new)
    common = [c for c in new.column_names if c in old.column_names and c not in IGNORED_IN_DIFF and c != KEY]
    pieces: list[pa.Table] = []
    touched = None
    for col in common:
        a = _aligned(new.column(col), new_pos, same_new)
        b = _aligned(old.column(col), old_pos, same_old)
        if a.type != b.type:  # one side taken as large_string above: compare in the wider type
            a, b = (x.cast(pa.large_string()) if pa.types.is_string(x.type) else x for x in (a, b))
        if a.equals(b):  # same values and nulls: no cell differs (most columns of a later release)
            continue
        differs = pc.fill_null(pc.not_equal(a, b), False)
        differs = pc.or_(differs, pc.xor(pc.is_null(a), pc.is_null(b)))
        idx = pc.indices_nonzero(differs)
        if len(idx) == 0:
            continue
        touched = differs if touched is None else pc.or_(touched, differs)
        ids = pc.take(common_ids, idx)
        by_id = pc.sort_indices(ids)  # the changed cells of one column, in id order
        idx, ids = pc.take(idx, by_id), pc.take(ids, by_id)
        pieces.append(labelled(ids, "modified", col, _as_text(_take(b, idx)), _as_text(_take(a, idx))))
    pieces.append(labelled(added_ids, "added"))
    pieces.append(labelled(deleted_ids, "deleted"))
    table = pa.concat_tables(pieces)
    modified = int(pc.sum(touched).as_py() or 0) if touched is not None else 0
    return in_change_order(table), modified


def in_change_order(table: pa.Table) -> pa.Table:
    """The rows of a changes table by event number, change kind, field, then id (a total order).

    Why the id last: two countries can hold the same event number; with the id every row has one place,
    so changes found a few countries at a time (a large build, :mod:`openconflict.release.stream`) and
    sorted once give the same table as changes found in one go.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    number = pc.cast(pc.utf8_slice_codeunits(table.column("event_id"), 3, 32), pa.int64())
    order = pc.sort_indices(pa.table({"n": number, "c": table.column("change"),
                                      "f": pc.fill_null(table.column("field"), ""), "i": table.column("event_id")}),
                            sort_keys=[("n", "ascending"), ("c", "ascending"), ("f", "ascending"),
                                       ("i", "ascending")])
    return table.take(order)
