"""Benchmark: the release diff by id, column by column, against the join it replaced (issue 12).

Why: every later release diffs its events against the previous release's. The old implementation joined
the two whole tables on the event id (copying every column of both) and sorted the result; the new one
matches ids with a hash lookup and compares one column at a time. Both run here on the same pair of
SYNTHETIC release tables, and the benchmark checks that they report exactly the same changed cells.

The pair: the events of a synthetic release (built by the build benchmark, else generated in memory), and
a copy with about 1 % of notes revised, 0.1 % of fatalities changed, 0.5 % of events deleted and as many
added with new ids.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks.common import BenchResult, Timing, measure, target


def joined_diff(old: Any, new: Any) -> Any:
    """The pre-issue-12 diff (a whole-table join), kept only as the reference: returns the changes table."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from openconflict.release.diff import IGNORED_IN_DIFF, KEY, changes_schema

    out_schema = changes_schema()
    old_ids, new_ids = old.column(KEY), new.column(KEY)
    added_ids = pc.filter(new_ids, pc.invert(pc.is_in(new_ids, value_set=old_ids)))
    deleted_ids = pc.filter(old_ids, pc.invert(pc.is_in(old_ids, value_set=new_ids)))
    common = [c for c in new.column_names if c in old.column_names and c not in IGNORED_IN_DIFF and c != KEY]
    joined = new.select([KEY, *common]).join(old.select([KEY, *common]), keys=KEY, join_type="inner",
                                             left_suffix="__new", right_suffix="__old", use_threads=False).sort_by(KEY)
    pieces = []
    for col in common:
        a, b = joined.column(f"{col}__new"), joined.column(f"{col}__old")
        differs = pc.or_(pc.fill_null(pc.not_equal(a, b), False), pc.xor(pc.is_null(a), pc.is_null(b)))
        idx = pc.indices_nonzero(differs)
        if len(idx) == 0:
            continue
        pieces.append(pa.table({"event_id": pc.take(joined.column(KEY), idx),
                                "change": pa.array(["modified"] * len(idx), pa.string()),
                                "field": pa.array([col] * len(idx), pa.string()),
                                "old_value": pc.cast(pc.take(b, idx), pa.string()),
                                "new_value": pc.cast(pc.take(a, idx), pa.string())}, schema=out_schema))
    for ids, change in ((added_ids, "added"), (deleted_ids, "deleted")):
        n = len(ids)
        pieces.append(pa.table({"event_id": ids, "change": pa.array([change] * n, pa.string()),
                                "field": pa.nulls(n, pa.string()), "old_value": pa.nulls(n, pa.string()),
                                "new_value": pa.nulls(n, pa.string())}, schema=out_schema))
    table = pa.concat_tables(pieces)
    number = pc.cast(pc.utf8_slice_codeunits(table.column("event_id"), 3, 32), pa.int64())
    # ties (the same number in two countries) by id: the order since the build compares releases in parts
    order = pc.sort_indices(pa.table({"n": number, "c": table.column("change"),
                                      "f": pc.fill_null(table.column("field"), ""), "i": table.column("event_id")}),
                            sort_keys=[("n", "ascending"), ("c", "ascending"), ("f", "ascending"), ("i", "ascending")])
    return table.take(order)


def revised(old: Any, seed: int = 0) -> Any:
    """A later release's events: ~1 % of notes and 0.1 % of fatalities changed, 0.5 % deleted, 0.5 % added."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    rng = np.random.default_rng(seed)
    n = old.num_rows
    notes = pc.if_else(pa.array(rng.random(n) < 0.01), pc.binary_join_element_wise(old["notes"], " (revised)", ""),
                       old["notes"])
    fat = old["fatalities"]
    fat = pc.if_else(pa.array(rng.random(n) < 0.001), pc.add(fat, pa.scalar(1, fat.type)), fat)
    table = old.set_column(old.schema.get_field_index("notes"), "notes", notes)
    table = table.set_column(table.schema.get_field_index("fatalities"), "fatalities", fat)
    keep = pa.array(rng.random(n) >= 0.005)
    gone = n - int(pc.sum(keep).as_py())
    extra = old.slice(0, gone)
    ids = pc.binary_join_element_wise(pc.utf8_slice_codeunits(extra["event_id_cnty"], 0, 3),
                                      pc.cast(pa.array(np.arange(gone) + 10 * n + 1), pa.string()), "")
    extra = extra.set_column(extra.schema.get_field_index("event_id_cnty"), "event_id_cnty", ids)
    return pa.concat_tables([table.filter(keep), extra]).combine_chunks()


def run(n: int, release_parquet: Path, *, repeats: int = 3) -> BenchResult:
    """Time the new diff and the joined one on the same pair; check they agree cell for cell."""
    import pyarrow.parquet as pq

    from openconflict.release.diff import diff_events

    result = BenchResult("diff", n)
    old = pq.read_table(release_parquet)
    new = revised(old)
    med_new, runs_new, d = measure(lambda: diff_events(old, new), repeats)
    med_old, runs_old, ref = measure(lambda: joined_diff(old, new), repeats)
    same = d.changes.equals(ref)
    note = f"{d.added:,} added, {d.modified:,} modified, {d.deleted:,} deleted; {d.changes.num_rows:,} change rows"
    result.timings.append(Timing("openconflict diff_events (by id, column by column)", med_new, runs_new,
                                 old.num_rows, note=note))
    result.timings.append(Timing("the whole-table join it replaced (reference)", med_old, runs_old, old.num_rows))
    result.extra["same_changes"] = same
    result.targets.append(target("same changed cells as the join", 1.0 if same else 0.0, 1.0, "bool",
                                 higher_is_better=True))
    result.targets.append(target("join time / new diff time", med_old / med_new, 1.0, "x", higher_is_better=True,
                                 note="no peer: no other tool diffs releases by id"))
    return result
