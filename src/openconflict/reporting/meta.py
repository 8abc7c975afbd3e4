"""What a release says about itself: version, date, licence, citation, coverage and its change table.

Why separate from the event figures: these come from the descriptor (``datapackage.json``),
``CITATION.cff``, ``codebook.md`` and the ``changes`` table, and the "what changed" section also needs
the previous release's descriptor to name the version rule. Everything is read from the release folders
given; nothing is looked up elsewhere.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openconflict.errors import ReportError
from openconflict.versions import RANK, bump_kind

TOP_FIELDS = 10
CAVEAT = ("This release is not a complete record of any conflict. It holds the events of the reports that "
          "OpenConflict's curators have read and coded so far. An absent event is no evidence that nothing "
          "happened, and counts over time or space reflect how much was reported and read as much as how "
          "much violence there was.")


@dataclass
class Changes:
    """The release's diff against the release before it, from its own ``changes`` table."""

    added: int = 0
    modified: int = 0
    deleted: int = 0
    fields: list[tuple[str, int]] = field(default_factory=list)  # (field, events whose field changed)
    previous: str | None = None
    bump: str | None = None  # how far the version moved from the previous one
    required: str = "none"  # the smallest bump the change needs
    schema_changes: list[tuple[str, str]] = field(default_factory=list)  # (bump, description)


@dataclass
class ReleaseMeta:
    """Descriptor facts, citation and coverage text of one release."""

    version: str
    created: str
    title: str
    licenses: list[str]
    event_types: list[str]
    citation: dict[str, Any]
    coverage: list[str]
    changes: Changes


def _json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReportError(f"cannot make the report: {path} is missing (is this a release folder?)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReportError(f"cannot make the report: {path} is not readable JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ReportError(f"cannot make the report: {path} is not a Data Package descriptor")
    return data


def _event_fields(descriptor: dict[str, Any]) -> list[dict[str, Any]]:
    for r in descriptor.get("resources", []):
        if isinstance(r, dict) and r.get("name") == "events":
            fields = r.get("schema", {}).get("fields", [])
            return [f for f in fields if isinstance(f, dict) and "name" in f]
    return []


def _enum(fields: list[dict[str, Any]], name: str) -> list[str]:
    for f in fields:
        if f["name"] == name:
            return [str(v) for v in f.get("constraints", {}).get("enum", [])]
    return []


def schema_changes(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Column and vocabulary changes of the events table, with the bump each one needs (data semver)."""
    out: list[tuple[str, str]] = []
    old_by, new_by = {f["name"]: f for f in old}, {f["name"]: f for f in new}
    for name, f in old_by.items():
        g = new_by.get(name)
        if g is None:
            out.append(("major", f"column {name} removed"))
            continue
        if (f.get("type"), f.get("format")) != (g.get("type"), g.get("format")):
            out.append(("major", f"column {name} retyped {f.get('type')} -> {g.get('type')}"))
        a, b = _enum([f], name), _enum([g], name)
        if a and b and set(a) - set(b):
            out.append(("major", f"{name}: values removed: {', '.join(sorted(set(a) - set(b)))}"))
        if a and b and set(b) - set(a):
            out.append(("minor", f"{name}: values added: {', '.join(sorted(set(b) - set(a)))}"))
    out += [("minor", f"column {name} added") for name in new_by if name not in old_by]
    return out


def _changes(folder: Path, fields: list[dict[str, Any]], version: str, previous: Path | None) -> Changes:
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    path = folder / "data" / "changes.parquet"
    if not path.is_file():
        raise ReportError(f"cannot make the report: {path} is missing (is this a release folder?)")
    try:
        pf = pq.ParquetFile(path, read_dictionary=["change", "field"])
        table = pf.read(columns=["change", "field"])
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for a file that is not Parquet
        raise ReportError(f"cannot make the report: {path} is not a readable changes table ({exc})") from None
    out = Changes()
    change = pc.cast(table.column("change"), "string")
    # An added or deleted event has one row; a modified one has a row per changed field.
    out.added = pc.sum(pc.equal(change, "added")).as_py() or 0
    out.deleted = pc.sum(pc.equal(change, "deleted")).as_py() or 0
    modified = pc.equal(change, "modified")
    if pc.any(modified).as_py():
        try:
            ids = pf.read(columns=["event_id"]).column("event_id").filter(modified)
        except Exception as exc:  # noqa: BLE001 - as above
            raise ReportError(f"cannot make the report: {path} is not a readable changes table ({exc})") from None
        out.modified = pc.count_distinct(ids).as_py()
    # The diff writes one row per (event, field), so rows per field = events whose field changed.
    changed = table.column("field").filter(modified)
    counts = pc.value_counts(pc.cast(changed, "string"))
    pairs = [(f, int(n)) for f, n in zip(counts.field("values").to_pylist(), counts.field("counts").to_pylist(),
                                         strict=True) if f is not None]
    out.fields = sorted(pairs, key=lambda r: (-r[1], r[0]))[:TOP_FIELDS]
    if previous is not None:
        prev = _json(previous / "datapackage.json")
        out.previous = str(prev.get("version"))
        try:
            out.bump = bump_kind(out.previous, version)
        except ValueError as exc:
            raise ReportError(f"cannot make the report: {exc}") from None
        out.schema_changes = schema_changes(_event_fields(prev), fields)
    need = "none"
    for kind, _ in out.schema_changes:
        need = kind if RANK[kind] > RANK[need] else need
    if (out.added or out.deleted) and RANK[need] < RANK["minor"]:
        need = "minor"
    if out.modified and RANK[need] < RANK["patch"]:
        need = "patch"
    out.required = need
    return out


def _citation(path: Path) -> dict[str, Any]:
    """The top-level fields of CITATION.cff (a YAML file); an absent file gives an empty citation."""
    import yaml

    if not path.is_file():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ReportError(f"cannot make the report: {path} is not readable YAML ({exc})") from None
    return data if isinstance(data, dict) else {}


def _coverage(path: Path) -> list[str]:
    """The bullet points of the codebook's "Coverage and its limits" section, as plain text."""
    if not path.is_file():
        return []
    text = path.read_text(encoding="utf-8")
    m = re.search(r"^## Coverage and its limits\s*$(.*?)(?=^## |\Z)", text, re.M | re.S)
    if not m:
        return []
    items: list[str] = []
    for line in m.group(1).splitlines():
        if line.startswith("- "):
            items.append(line[2:].strip())
        elif line.startswith("  ") and items:
            items[-1] += " " + line.strip()
        elif line.strip():
            items.append(line.strip())
    return [re.sub(r"\*\*(.+?)\*\*", r"\1", i).replace("`", "") for i in items]


def read_meta(folder: Path, previous: Path | None) -> ReleaseMeta:
    descriptor = _json(folder / "datapackage.json")
    version = descriptor.get("version")
    if not isinstance(version, str):
        raise ReportError(f"cannot make the report: {folder / 'datapackage.json'} names no version")
    fields = _event_fields(descriptor)
    licenses = [str(lic.get("name") or lic.get("title")) for lic in descriptor.get("licenses", [])
                if isinstance(lic, dict)]
    return ReleaseMeta(
        version=version,
        created=str(descriptor.get("created", ""))[:10],
        title=str(descriptor.get("title", "OpenConflict")),
        licenses=licenses,
        event_types=_enum(fields, "event_type"),
        citation=_citation(folder / "CITATION.cff"),
        coverage=_coverage(folder / "codebook.md"),
        changes=_changes(folder, fields, version, previous),
    )
