"""What changed between two releases, and which version bump that change requires.

Why its own module: the build refuses a version number that understates the change, and
``openconflict diff`` shows the same diff to researchers, so one implementation serves both. Version
parsing and bump rules live in :mod:`openconflict.versions`; this module only says which bump a change needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from openconflict.changeset import IGNORED_IN_DIFF, KEY, changes_schema, compare_events
from openconflict.versions import RANK, Bump

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["IGNORED_IN_DIFF", "KEY", "ReleaseDiff", "SchemaChange", "changes_schema", "diff_events", "diff_schemas"]


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

    @classmethod
    def of(cls, changes: pa.Table, modified: int) -> ReleaseDiff:
        """The diff a changes table records (``modified``: how many events have a changed cell)."""
        import pyarrow.compute as pc

        kinds = changes.column("change")
        return cls(changes, added=int(pc.sum(pc.equal(kinds, "added")).as_py() or 0), modified=modified,
                   deleted=int(pc.sum(pc.equal(kinds, "deleted")).as_py() or 0))

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


def diff_events(old: pa.Table | None, new: pa.Table) -> ReleaseDiff:
    """Compare two released events tables by event id, column by column (:mod:`openconflict.changeset`)."""
    return ReleaseDiff.of(*compare_events(old, new))


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
