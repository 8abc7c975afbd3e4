"""``openconflict.apply_changes(frame, old, new)``: bring a frame loaded at one version to a later one.

Why: a researcher's ACLED workflow keeps a local copy and updates it (acledR's ``acled_update``: fetch what
was added or edited since, drop what was deleted). Our releases are versioned and each ships its diff
against the previous one, so the same update needs no API: the ledger gives the path from ``old`` to
``new``, the releases' ``changes`` tables along it name the modified events, the two events files' ids name
the added and deleted ones (and a changed ``timestamp`` any touched one), and the new rows come from the
``new`` release. Rows that did not change are kept from the frame as they are.

What is refused, with an :class:`~openconflict.errors.ArgumentError` that says why: ``old`` published after
``new``; a frame that is not ``old`` as released (ids missing, extra or repeated, timestamps that differ),
such as a filtered load; columns the release does not have. The result has the frame's columns and dtypes
and the rows in the ``new`` release's order, so ``apply_changes(load_events(old), old, new)`` equals
``load_events(new)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from openconflict.errors import ArgumentError, ArgumentTypeError
from openconflict.ledger import Entry
from openconflict.loader import frames
from openconflict.loader.compare import compare_events
from openconflict.loader.labels import LABELLED_COLUMNS, inter_labels
from openconflict.loader.locate import locate
from openconflict.loader.scan import file_columns, scan
from openconflict.loader.trust import Trusted, resolve

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["apply_changes"]

KEY = "event_id_cnty"
EVENTS = "data/events.parquet"
CHANGES = "data/changes.parquet"


def apply_changes(frame: Any, old: str, new: str) -> Any:
    """``frame`` (a pandas DataFrame or pyarrow Table of release ``old``'s events, any columns that include
    ``event_id_cnty``, labelled or not) brought to release ``new``: added events appended, modified events
    replaced by their ``new`` rows, deleted events removed. Returns a new frame of the same kind, columns and
    dtypes, rows in ``new``'s order (pandas: a fresh RangeIndex)."""
    kind = _kind(frame)
    names = list(frame.column_names) if kind == "arrow" else [str(c) for c in frame.columns]
    t, old_rel = resolve(old)
    t, new_rel = resolve(new)
    order = {e.version: i for i, e in enumerate(t.ledger.entries)}
    if order[old_rel.version] > order[new_rel.version]:
        raise ArgumentError(f"{old_rel.version} was published after {new_rel.version}, so it is not an ancestor of "
                            f"it: apply_changes brings a frame forward only (load {new_rel.version} instead)")
    if KEY not in names:
        raise ArgumentError(f"the frame has no {KEY} column; apply_changes matches events by their id")
    available = file_columns(locate(t, new_rel, EVENTS).path, "parquet", {})
    unknown = [c for c in names if c not in available]
    if unknown:
        raise ArgumentError(f"the frame has column(s) release {new_rel.version} does not: {', '.join(unknown)}; "
                            "drop them first (apply_changes cannot know their new values)")
    ids, stamps = _frame_ids(frame, kind, names)
    old_index = _index(t, old_rel)
    _check_same(ids, stamps, old_index, old_rel.version)
    if old_rel.version == new_rel.version:
        return frame.copy() if kind == "pandas" else frame
    new_index = _index(t, new_rel)
    touched = _modified(t, old_rel, new_rel, old_index, new_index)
    return _assemble(frame, kind, names, t, new_rel, new_index, touched)


def _kind(frame: Any) -> str:
    mod = type(frame).__module__.split(".")[0]
    if mod == "pyarrow" and type(frame).__name__ == "Table":
        return "arrow"
    if mod == "pandas" and type(frame).__name__ == "DataFrame":
        return "pandas"
    raise ArgumentTypeError(f"apply_changes takes a pandas DataFrame or a pyarrow Table, not {type(frame).__name__}")


def _frame_ids(frame: Any, kind: str, names: list[str]) -> tuple[pa.ChunkedArray, pa.ChunkedArray | None]:
    import pyarrow as pa

    def column(name: str, typ: pa.DataType) -> pa.ChunkedArray:
        if kind == "arrow":
            col = frame.column(name)
        else:
            col = pa.chunked_array([pa.array(frame[name].astype(object).where(frame[name].notna(), None).tolist(),
                                             typ)])
        return col.cast(typ)

    return column(KEY, pa.string()), (column("timestamp", pa.int64()) if "timestamp" in names else None)


def _index(t: Trusted, release: Entry) -> pa.Table:
    """The ids and timestamps of a release's events, in the file's order."""
    return scan(locate(t, release, EVENTS).path, "parquet", None, [KEY, "timestamp"], None)


def _sample(values: pa.Array) -> str:
    shown = values.slice(0, 5).to_pylist()
    return ", ".join(map(str, shown)) + (", ..." if len(values) > 5 else "")


def _check_same(ids: pa.ChunkedArray, stamps: pa.ChunkedArray | None, old_index: pa.Table, version: str) -> None:
    """Refuse a frame that is not release ``version`` as released (same ids, once each; same timestamps)."""
    import pyarrow.compute as pc

    whole = f"apply_changes needs a whole load_events({version!r}) frame (any columns, no filters)"
    if ids.null_count:
        raise ArgumentError(f"the frame has {ids.null_count} event(s) without an {KEY}; {whole}")
    if pc.count_distinct(ids).as_py() != len(ids):
        counts = pc.value_counts(ids).flatten()
        repeated = counts[0].filter(pc.greater(counts[1], 1))
        raise ArgumentError(f"the frame holds some events more than once ({_sample(repeated)}); {whole}")
    old_ids = old_index.column(KEY)
    missing = old_ids.filter(pc.invert(pc.is_in(old_ids, value_set=ids)))
    if len(missing):
        raise ArgumentError(f"{len(missing)} event(s) of release {version} are missing from the frame "
                            f"({_sample(missing)}); {whole}")
    extra = ids.filter(pc.invert(pc.is_in(ids, value_set=old_ids)))
    if len(extra):
        raise ArgumentError(f"{len(extra)} event(s) of the frame are not in release {version} ({_sample(extra)}): "
                            f"is the frame of another version? {whole}")
    if stamps is not None:
        released = old_index.column("timestamp").take(pc.index_in(ids, value_set=old_ids))
        differs = pc.fill_null(pc.not_equal(stamps, released), True)
        if pc.any(differs).as_py():
            bad = ids.filter(differs)
            raise ArgumentError(f"{len(bad)} event(s) of the frame carry another timestamp than release {version} "
                                f"gives them ({_sample(bad)}): the frame is not {version} as released")


def _modified(t: Trusted, old: Entry, new: Entry, old_index: pa.Table, new_index: pa.Table) -> set[str]:
    """Ids of events present in both releases whose rows differ: named by the changes tables along the
    ledger path (or a direct comparison where a step has none), or by a changed timestamp."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    entries = t.ledger.entries
    first = next(i for i, e in enumerate(entries) if e.version == old.version)
    last = next(i for i, e in enumerate(entries) if e.version == new.version)
    touched: set[str] = set()
    for prev, step in zip(entries[first:last], entries[first + 1:last + 1], strict=True):
        if CHANGES in step.files:
            table = pq.read_table(locate(t, step, CHANGES).path, columns=["event_id", "change"])
            mask = pc.equal(table.column("change"), "modified")
            touched.update(table.column("event_id").filter(mask).to_pylist())
        else:
            diff = compare_events(_all(t, prev), _all(t, step))
            touched.update(diff.column("event_id").filter(pc.equal(diff.column("change"), "modified")).to_pylist())
    joined = new_index.join(old_index, keys=KEY, join_type="inner", right_suffix="__old", use_threads=False)
    moved = pc.fill_null(pc.not_equal(joined.column("timestamp"), joined.column("timestamp__old")), True)
    touched.update(joined.column(KEY).filter(moved).to_pylist())
    return touched


def _all(t: Trusted, release: Entry) -> pa.Table:
    return scan(locate(t, release, EVENTS).path, "parquet", None, None, None)


def _assemble(frame: Any, kind: str, names: list[str], t: Trusted, new: Entry, new_index: pa.Table,
              touched: set[str]) -> Any:
    import pyarrow as pa
    import pyarrow.compute as pc

    new_ids = new_index.column(KEY)
    ids, _ = _frame_ids(frame, kind, names)
    gone = pc.invert(pc.is_in(ids, value_set=new_ids))  # deleted
    replaced = pc.or_(gone, pc.is_in(ids, value_set=pa.array(sorted(touched), pa.string())))
    keep = pc.invert(replaced)
    fresh_ids = new_ids.filter(pc.or_(pc.invert(pc.is_in(new_ids, value_set=ids)),
                                      pc.is_in(new_ids, value_set=pa.array(sorted(touched), pa.string()))))
    rows = scan(locate(t, new, EVENTS).path, "parquet", None, list(dict.fromkeys([*names, KEY])), None)
    rows = rows.filter(pc.is_in(rows.column(KEY), value_set=fresh_ids)).select(names)
    if kind == "arrow":
        return _assemble_arrow(frame, frame.filter(keep), rows, new_ids)
    return _assemble_pandas(frame, keep.to_numpy(zero_copy_only=False), rows, new_ids)


def _label_like(frame_types: dict[str, Any], rows: Any, numeric: Any) -> Any:
    """Label the new rows' codes where the frame holds labels rather than codes."""
    cols = [c for c in LABELLED_COLUMNS if c in frame_types and not numeric(frame_types[c])]
    return inter_labels(rows, columns=cols) if cols else rows


def _positions(ids: Any, new_ids: pa.ChunkedArray) -> Any:
    import pyarrow.compute as pc

    return pc.sort_indices(pc.index_in(ids, value_set=new_ids))


def _assemble_arrow(frame: pa.Table, kept: pa.Table, rows: pa.Table, new_ids: pa.ChunkedArray) -> pa.Table:
    import pyarrow as pa

    types = {f.name: f.type for f in frame.schema}
    rows = _label_like(types, rows, lambda t: pa.types.is_integer(t) or pa.types.is_floating(t))
    combined = pa.concat_tables([kept, rows.cast(frame.schema)])
    return combined.take(_positions(combined.column(KEY), new_ids))


def _assemble_pandas(frame: Any, keep: Any, rows: pa.Table, new_ids: pa.ChunkedArray) -> Any:
    import pandas as pd
    import pyarrow as pa

    kept = frame.loc[keep]
    fresh = frames.type_pandas(frames.arrow_to_pandas(rows))
    fresh = _label_like(dict(frame.dtypes.items()), fresh,
                        lambda d: pd.api.types.is_numeric_dtype(d) and not isinstance(d, pd.CategoricalDtype))
    sorted_cats: dict[str, bool] = {}
    for col in frame.columns:
        dtype = frame[col].dtype
        if isinstance(dtype, pd.CategoricalDtype):
            cats = [str(c) for c in dtype.categories]
            sorted_cats[col] = cats == sorted(cats)
            union = pd.CategoricalDtype(list(dict.fromkeys([*cats, *map(str, fresh[col].dropna().unique())])))
            kept = kept.assign(**{col: kept[col].astype(union)})
            fresh[col] = fresh[col].astype(object).astype(union)
        elif fresh[col].dtype != dtype:
            fresh[col] = fresh[col].astype(dtype)
    combined = pd.concat([kept, fresh], ignore_index=True)
    combined = combined.take(_positions(pa.array(combined["event_id_cnty"].astype(object).tolist(), pa.string()),
                                        new_ids).to_numpy()).reset_index(drop=True)
    for col, was_sorted in sorted_cats.items():
        present = set(combined[col].dropna().astype(object))
        cats = [c for c in combined[col].cat.categories if c in present]
        combined[col] = combined[col].cat.set_categories(sorted(cats) if was_sorted else cats)
    return combined
