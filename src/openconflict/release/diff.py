"""What changed between two releases, and which version bump that change requires.

Why its own module: the build refuses a version number that understates the change, and
``openconflict diff`` shows the same diff to researchers, so one implementation serves both. Version
parsing and bump rules live in :mod:`openconflict.versions`; this module only says which bump a change needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from openconflict.versions import RANK, Bump

if TYPE_CHECKING:
    import pyarrow as pa

KEY = "event_id_cnty"
#: Columns left out of the diff: the timestamp moves whenever a record is touched and is no correction itself.
IGNORED_IN_DIFF = {"timestamp"}


@dataclass
class SchemaChange:
    kind: Bump  # "major" | "minor" | "patch"
    description: str


@dataclass
class ReleaseDiff:
    """Event-level and schema-level differences between an old and a new release."""

    changes: pa.Table  # event_id, change, field, old_value, new_value
    added: int = 0
    modified: int = 0
    deleted: int = 0
    schema_changes: list[SchemaChange] = field(default_factory=list)
    #: Registry tables (actors, locations, sources, deletions) whose rows differ from the previous release:
    #: a correction there is a release too (a patch at least), even when no event changed.
    registry_changes: list[str] = field(default_factory=list)

    def ids(self, change: str) -> list[str]:
        """Event ids with the given change ('added', 'modified' or 'deleted')."""
        import pyarrow.compute as pc

        mask = pc.equal(self.changes.column("change"), change)
        return sorted(set(self.changes.column("event_id").filter(mask).to_pylist()))

    @property
    def required(self) -> Bump:
        """The smallest bump this diff needs ('none' when no event and no column changed)."""
        need: Bump = "none"
        for sc in self.schema_changes:
            if RANK[sc.kind] > RANK[need]:
                need = sc.kind
        if (self.added or self.deleted) and RANK["minor"] > RANK[need]:
            need = "minor"
        if (self.modified or self.registry_changes) and RANK["patch"] > RANK[need]:
            need = "patch"
        return need

    def summary(self) -> str:
        lines = [f"{self.added} added, {self.modified} modified, {self.deleted} deleted event(s)"]
        lines += [f"schema ({sc.kind}): {sc.description}" for sc in self.schema_changes]
        if self.registry_changes:
            lines.append(f"registries changed: {', '.join(self.registry_changes)}")
        return "\n".join(lines)


def _as_text(arr: Any) -> Any:
    """Old and new values are stored as text so that one changes table holds every column's type."""
    import pyarrow as pa
    import pyarrow.compute as pc

    return pc.cast(arr, pa.string())


def changes_schema() -> pa.Schema:
    import pyarrow as pa

    return pa.schema([("event_id", pa.string()), ("change", pa.string()), ("field", pa.string()),
                      ("old_value", pa.string()), ("new_value", pa.string())])


def _labelled(ids: Any, change: str, field: Any = None, old: Any = None, new: Any = None) -> pa.Table:
    """One block of the changes table: ``ids`` with one change kind (and, for modified cells, the values)."""
    import pyarrow as pa

    n = len(ids)
    return pa.table({"event_id": ids, "change": pa.array([change] * n, pa.string()),
                     "field": pa.array([field] * n, pa.string()) if field else pa.nulls(n, pa.string()),
                     "old_value": old if old is not None else pa.nulls(n, pa.string()),
                     "new_value": new if new is not None else pa.nulls(n, pa.string())}, schema=changes_schema())


def _aligned(column: Any, positions: Any, identity: bool) -> Any:
    """``column`` at ``positions`` (rows of the events both releases hold), without a copy when they are
    the column's first rows in order (the usual case: a new release appends to the old order)."""
    return column.slice(0, len(positions)) if identity else column.take(positions)


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


def diff_events(old: pa.Table | None, new: pa.Table) -> ReleaseDiff:
    """Compare two released events tables by event id, column by column (vectorised).

    Events are matched by id with a hash lookup (``index_in``), never by joining the two tables: each
    column of the common events is lined up (a slice when both releases keep the same order, else a
    ``take``) and compared on its own, so only one column of each release is copied at a time and only
    the changed cells are kept.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if old is None:
        return ReleaseDiff(_labelled(new.column(KEY), "added"), added=new.num_rows)
    old_ids, new_ids = old.column(KEY), new.column(KEY)
    where_old = pc.index_in(new_ids, value_set=old_ids)  # per new row: its row in old, null when added
    in_old = pc.is_valid(where_old)
    added_ids = pc.filter(new_ids, pc.invert(in_old))
    deleted_ids = pc.filter(old_ids, pc.invert(pc.is_in(old_ids, value_set=new_ids)))
    new_pos = pc.indices_nonzero(in_old)
    old_pos = pc.cast(pc.filter(where_old, in_old), pa.uint64())
    same_new, same_old = _is_prefix(new_pos), _is_prefix(old_pos)
    common_ids = _aligned(new_ids, new_pos, same_new)
    common = [c for c in new.column_names if c in old.column_names and c not in IGNORED_IN_DIFF and c != KEY]
    pieces: list[pa.Table] = []
    touched = None
    for col in common:
        a = _aligned(new.column(col), new_pos, same_new)
        b = _aligned(old.column(col), old_pos, same_old)
        differs = pc.fill_null(pc.not_equal(a, b), False)
        differs = pc.or_(differs, pc.xor(pc.is_null(a), pc.is_null(b)))
        idx = pc.indices_nonzero(differs)
        if len(idx) == 0:
            continue
        touched = differs if touched is None else pc.or_(touched, differs)
        ids = pc.take(common_ids, idx)
        by_id = pc.sort_indices(ids)  # the changed cells of one column, in id order
        idx, ids = pc.take(idx, by_id), pc.take(ids, by_id)
        pieces.append(_labelled(ids, "modified", col, _as_text(pc.take(b, idx)), _as_text(pc.take(a, idx))))
    n_add, n_del = len(added_ids), len(deleted_ids)
    pieces.append(_labelled(added_ids, "added"))
    pieces.append(_labelled(deleted_ids, "deleted"))
    table = pa.concat_tables(pieces)
    number = pc.cast(pc.utf8_slice_codeunits(table.column("event_id"), 3, 32), pa.int64())
    order = pc.sort_indices(pa.table({"n": number, "c": table.column("change"),
                                      "f": pc.fill_null(table.column("field"), "")}),
                            sort_keys=[("n", "ascending"), ("c", "ascending"), ("f", "ascending")])
    modified = int(pc.sum(touched).as_py() or 0) if touched is not None else 0
    return ReleaseDiff(table.take(order), added=n_add, modified=modified, deleted=n_del)


def diff_schemas(old_fields: list[dict[str, Any]], new_fields: list[dict[str, Any]]) -> list[SchemaChange]:
    """Column and vocabulary changes of the released events table's Table Schema."""
    out: list[SchemaChange] = []
    old_by = {f["name"]: f for f in old_fields}
    new_by = {f["name"]: f for f in new_fields}
    for name, f in old_by.items():
        if name not in new_by:
            out.append(SchemaChange("major", f"column {name} removed"))
            continue
        g = new_by[name]
        if (f["type"], f.get("format")) != (g["type"], g.get("format")):
            out.append(SchemaChange("major", f"column {name} retyped {f['type']} -> {g['type']}"))
        old_enum = f.get("constraints", {}).get("enum")
        new_enum = g.get("constraints", {}).get("enum")
        if old_enum is not None and new_enum is not None:
            removed = [v for v in old_enum if v not in new_enum]
            added = [v for v in new_enum if v not in old_enum]
            if removed:
                out.append(SchemaChange("major", f"{name}: vocabulary values removed: {', '.join(map(str, removed))}"))
            if added:
                out.append(SchemaChange("minor", f"{name}: vocabulary values added: {', '.join(map(str, added))}"))
    for name in new_by:
        if name not in old_by:
            out.append(SchemaChange("minor", f"column {name} added"))
    if [f["name"] for f in old_fields if f["name"] in new_by] != [f["name"] for f in new_fields if f["name"] in old_by]:
        out.append(SchemaChange("major", "columns reordered"))
    return out
