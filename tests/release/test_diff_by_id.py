"""The release diff matches events by id, column by column, and finds exactly the changed cells the old
whole-table join found (``benchmarks.bench_diff.joined_diff`` keeps that join as the reference).

Attacks: rows shuffled between releases, ids that sort differently as text and as numbers, the same
number in two countries, nulls appearing and vanishing, every row changed, nothing in common, empty
tables, and a SYNTHETIC release-sized table with additions and deletions interleaved.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.bench_diff import joined_diff, revised  # noqa: E402

from openconflict.release.diff import diff_events  # noqa: E402


def events(ids: list[str], fat: list[int | None], notes: list[str | None]) -> pa.Table:
    return pa.table({"event_id_cnty": pa.array(ids, pa.string()), "fatalities": pa.array(fat, pa.int64()),
                     "notes": pa.array(notes, pa.string()),
                     "timestamp": pa.array([1] * len(ids), pa.int64())})


def check(old: pa.Table, new: pa.Table) -> None:
    d = diff_events(old, new)
    ref = joined_diff(old, new)
    assert d.changes.equals(ref), (d.changes.to_pylist(), ref.to_pylist())
    mod = pc.equal(ref["change"], "modified")
    assert d.modified == len(set(ref["event_id"].filter(mod).to_pylist()))
    assert d.added == int(pc.sum(pc.equal(ref["change"], "added")).as_py() or 0)
    assert d.deleted == int(pc.sum(pc.equal(ref["change"], "deleted")).as_py() or 0)


def test_changed_cells_found_in_id_order_when_rows_are_shuffled() -> None:
    old = events(["SYR1", "SYR2", "SYR10", "IRQ2", "SYR3"], [0, 1, 2, 3, 4], ["a", "b", None, "d", "e"])
    new = events(["SYR10", "IRQ2", "SYR2", "SYR1", "YEM7"], [5, 3, 1, 0, 0], ["c", "d", None, "a", "x"])
    check(old, new)
    d = diff_events(old, new)
    rows = d.changes.to_pylist()
    assert {(r["event_id"], r["field"], r["old_value"], r["new_value"]) for r in rows if r["change"] == "modified"} == {
        ("SYR10", "fatalities", "2", "5"), ("SYR10", "notes", None, "c"), ("SYR2", "notes", "b", None)}
    assert d.ids("added") == ["YEM7"] and d.ids("deleted") == ["SYR3"]


@pytest.mark.parametrize("case", ["same", "all-changed", "disjoint", "empty-old", "empty-new", "appended"])
def test_edge_shapes(case: str) -> None:
    ids = [f"{c}{k}" for k in range(1, 40) for c in ("SYR", "IRQ")]
    base = events(ids, list(range(len(ids))), [f"n{k}" for k in range(len(ids))])
    if case == "same":
        new = base
    elif case == "all-changed":
        new = base.set_column(1, "fatalities", pc.add(base["fatalities"], 1))
    elif case == "disjoint":
        new = events([f"YEM{k}" for k in range(5)], [0] * 5, ["x"] * 5)
    elif case == "empty-old":
        base, new = base.slice(0, 0), base
    elif case == "empty-new":
        new = base.slice(0, 0)
    else:  # the usual later release: the old rows in their old order, new ones after
        new = pa.concat_tables([base, events(["SYR999"], [1], ["new"])])
    check(base, new)


def test_release_sized_pair_with_interleaved_changes() -> None:
    n = 20_000
    ids = pa.array([f"{'SYRIRQYEM'[3 * (k % 3):3 * (k % 3) + 3]}{k // 3 + 1}" for k in range(n)])
    old = pa.table({"event_id_cnty": ids, "fatalities": pa.array([k % 7 for k in range(n)], pa.int64()),
                    "notes": pa.array([f"SYNTHETIC note {k % 97}" for k in range(n)]),
                    "timestamp": pa.array([0] * n, pa.int64())})
    new = revised(old, seed=3)
    check(old, new)
    shuffled = new.take(pc.sort_indices(new, sort_keys=[("notes", "descending"), ("event_id_cnty", "ascending")]))
    check(old, shuffled)
    assert diff_events(old, shuffled).changes.equals(diff_events(old, new).changes)


def test_first_release_lists_every_event_as_added() -> None:
    new = events(["SYR2", "SYR1"], [0, 0], ["a", "b"])
    d = diff_events(None, new)
    assert d.added == 2 and d.changes.column("change").to_pylist() == ["added", "added"]


@pytest.mark.parametrize("shuffled", [False, True])
def test_text_columns_past_two_gigabytes_are_taken_in_wide_offsets(shuffled: bool,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A 10M release's notes pass the 2 GB a ``string`` array holds (a later build failed there: issue 12).
    With the threshold lowered to nothing, every chunked text column goes the large_string way: the changes
    must be exactly the join's. Chunked columns, as releases read from Parquet are."""
    from openconflict import changeset

    monkeypatch.setattr(changeset, "LARGE_TEXT", 0)
    ids = [f"SYR{k}" for k in range(1, 300)]
    notes = [f"note {k}" if k % 7 else None for k in range(len(ids))]
    old = events(ids, list(range(len(ids))), notes)
    new_ids = list(reversed(ids)) if shuffled else ids
    new_notes = [n if k % 5 else f"revised {k}" for k, n in enumerate(reversed(notes) if shuffled else notes)]
    new = events(new_ids, list(reversed(range(len(ids)))) if shuffled else list(range(len(ids))), new_notes)

    def chunked(t: pa.Table) -> pa.Table:
        return pa.concat_tables([t.slice(0, 100), t.slice(100, 100), t.slice(200)])

    check(chunked(old), chunked(new))
