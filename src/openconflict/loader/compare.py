"""What changed in the events between two releases that are not consecutive.

Why the loader computes it: for consecutive releases the later one ships its own changes table, which
:func:`openconflict.changes` returns as is; across several releases the two events tables are compared
here, by ``event_id_cnty``, column by column, values as text, the ``timestamp`` bookkeeping column left out,
with the same rules and row order as the release's own changes table (a test checks the two agree). The
loader never imports the build side, so this comparison lives here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["CHANGE_COLUMNS", "compare_events", "empty_changes"]

KEY = "event_id_cnty"
IGNORED = frozenset({"timestamp"})
CHANGE_COLUMNS: tuple[str, ...] = ("event_id", "change", "field", "old_value", "new_value")


def _schema() -> pa.Schema:
    import pyarrow as pa

    return pa.schema([(c, pa.string()) for c in CHANGE_COLUMNS])


def empty_changes() -> pa.Table:
    return _schema().empty_table()


def _whole(ids: pa.Array, change: str) -> pa.Table:
    import pyarrow as pa

    n = len(ids)
    return pa.table({"event_id": ids, "change": pa.array([change] * n, pa.string()),
                     "field": pa.nulls(n, pa.string()), "old_value": pa.nulls(n, pa.string()),
                     "new_value": pa.nulls(n, pa.string())}, schema=_schema())


def compare_events(old: pa.Table, new: pa.Table) -> pa.Table:
    """One row per added or deleted event and per modified field, ordered by event number, change, field."""
    import pyarrow as pa
    import pyarrow.compute as pc

    old_ids, new_ids = old.column(KEY), new.column(KEY)
    added = pc.filter(new_ids, pc.invert(pc.is_in(new_ids, value_set=old_ids)))
    deleted = pc.filter(old_ids, pc.invert(pc.is_in(old_ids, value_set=new_ids)))
    common = [c for c in new.column_names if c in old.column_names and c not in IGNORED and c != KEY]
    joined = new.select([KEY, *common]).join(old.select([KEY, *common]), keys=KEY, join_type="inner",
                                             left_suffix="__new", right_suffix="__old", use_threads=False)
    joined = joined.sort_by(KEY)
    pieces = []
    for col in common:
        a, b = joined.column(f"{col}__new"), joined.column(f"{col}__old")
        differs = pc.or_(pc.fill_null(pc.not_equal(a, b), False), pc.xor(pc.is_null(a), pc.is_null(b)))
        idx = pc.indices_nonzero(differs)
        if len(idx) == 0:
            continue
        pieces.append(pa.table({
            "event_id": pc.take(joined.column(KEY), idx), "change": pa.array(["modified"] * len(idx), pa.string()),
            "field": pa.array([col] * len(idx), pa.string()),
            "old_value": pc.cast(pc.take(b, idx), pa.string()), "new_value": pc.cast(pc.take(a, idx), pa.string()),
        }, schema=_schema()))
    pieces += [_whole(added, "added"), _whole(deleted, "deleted")]
    table = pa.concat_tables(pieces)
    number = pc.cast(pc.utf8_slice_codeunits(table.column("event_id"), 3, 32), pa.int64())
    order = pc.sort_indices(pa.table({"n": number, "c": table.column("change"),
                                      "f": pc.fill_null(table.column("field"), "")}),
                            sort_keys=[("n", "ascending"), ("c", "ascending"), ("f", "ascending")])
    return table.take(order)
