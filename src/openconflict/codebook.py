"""Everything generated from the published schema: enum constraints, the JSON Schema, the codebook.

Why generated: the vocabularies are the one source of truth for code lists. ``openconflict codebook``
copies them into the Table Schemas' ``enum`` constraints, derives a Draft 2020-12 JSON Schema for one
released event record, and writes ``codebook.md``; a test fails when any of these files is stale.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .schema import CURATED_TABLES, ENUM_SOURCES, RELEASE_TABLES, Schema, load_schema

JSON_SCHEMA_ID = "https://openconflict.org/schema/event.schema.json"
#: A real date from 1900 on; JSON Schema's "date" format alone accepts year 0025.
DATE_PATTERN = r"^(19|[2-9][0-9])[0-9]{2}-[0-9]{2}-[0-9]{2}(?!\n)$"


def _anchored(pattern: str) -> str:
    """A pattern whose final ``$`` means end of string in every dialect.

    Python's ``re`` (used by the jsonschema library) lets ``$`` match before a final newline; ECMA-262,
    which JSON Schema specifies, and our RE2-based validator do not. ``(?!\n)$`` means the same in both.
    """
    return pattern[:-1] + r"(?!\n)$" if pattern.endswith("$") and not pattern.endswith(r"\$") else pattern


def _dump(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def synced_table_schemas(schema: Schema) -> dict[str, dict[str, Any]]:
    """Table Schemas with every vocabulary-backed ``enum`` refreshed from the vocabularies."""
    out: dict[str, dict[str, Any]] = {}
    for kind, names, tables in (("curated", CURATED_TABLES, schema.curated), ("release", RELEASE_TABLES, schema.release)):
        for name in names:
            ts = json.loads(json.dumps(tables[name]))
            for f in ts["fields"]:
                key = ENUM_SOURCES.get((kind, name, f["name"]))
                if key:
                    f.setdefault("constraints", {})["enum"] = schema.vocabulary(key)
            out[f"{kind}/{name}.json"] = ts
    return out


def event_json_schema(schema: Schema, release_events: dict[str, Any]) -> dict[str, Any]:
    """Draft 2020-12 JSON Schema for one released event record, derived from its Table Schema."""
    props: dict[str, Any] = {}
    required: list[str] = []
    for f in release_events["fields"]:
        cons = f.get("constraints", {})
        p: dict[str, Any] = {"description": f["description"]}
        base = {"integer": "integer", "number": "number", "boolean": "boolean"}.get(f["type"], "string")
        if f["type"] == "date":
            p["format"] = "date"
            p["pattern"] = DATE_PATTERN
        if "enum" in cons:
            p["enum"] = list(cons["enum"])
        if "pattern" in cons:
            p["pattern"] = _anchored(cons["pattern"])
        if "minimum" in cons:
            p["minimum"] = cons["minimum"]
        if "maximum" in cons:
            p["maximum"] = cons["maximum"]
        if cons.get("required"):
            required.append(f["name"])
            p["type"] = base
        else:
            p["type"] = [base, "null"]
            if "enum" in p:
                p["enum"] = [*p["enum"], None]
        props[f["name"]] = p
    by_type: dict[str, list[str]] = {}
    for e in schema.event_types:
        by_type.setdefault(e.event_type, []).append(e.sub_event_type)
    rules: list[dict[str, Any]] = [
        {"if": {"properties": {"event_type": {"const": t}}, "required": ["event_type"]},
         "then": {"properties": {"sub_event_type": {"enum": subs}}}}
        for t, subs in by_type.items()
    ]
    rules += [
        {"if": {"properties": {"sub_event_type": {"const": e.sub_event_type}}, "required": ["sub_event_type"]},
         "then": {"properties": {"disorder_type": {"const": e.disorder_type}}}}
        for e in schema.event_types
    ]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": JSON_SCHEMA_ID,
        "title": "OpenConflict released event",
        "description": "One row of the released events table (data/events.*), generated from "
                       "schema/release/events.json by `openconflict codebook`.",
        "type": "object",
        "properties": props,
        "required": required,
        "additionalProperties": False,
        "allOf": rules,
    }


def _field_table(fields: list[dict[str, Any]]) -> list[str]:
    lines = ["| column | type | required | rule | meaning |", "|---|---|---|---|---|"]
    for f in fields:
        cons = f.get("constraints", {})
        rule = []
        if "enum" in cons:
            rule.append("vocabulary" if len(cons["enum"]) > 3 else " / ".join(f"`{v}`" for v in cons["enum"]))
        if "pattern" in cons:
            rule.append(f"pattern `{cons['pattern']}`")
        if "minimum" in cons or "maximum" in cons:
            rule.append(f"{cons.get('minimum', '')}–{cons.get('maximum', '')}".strip("–"))
        if cons.get("unique"):
            rule.append("unique")
        lines.append(f"| `{f['name']}` | {f['type']} | {'yes' if cons.get('required') else ''} | "
                     f"{'; '.join(rule)} | {f['description']} |")
    return lines


def codebook_markdown(schema: Schema, tables: dict[str, dict[str, Any]]) -> str:
    """The codebook: coverage, every column of every table, every code."""
    intro_path = schema.root / "codebook_intro.md"
    out = [intro_path.read_text(encoding="utf-8").rstrip(), ""]
    out += ["## Released events (`data/events.parquet`, `data/events.csv`)", "",
            "The first 31 columns are ACLED's, in ACLED's order; the rest are OpenConflict's additions.", ""]
    out += _field_table(tables["release/events.json"]["fields"])
    for name in ("actors", "locations", "sources", "deletions", "changes"):
        out += ["", f"## Released `{name}` table", ""]
        out += _field_table(tables[f"release/{name}.json"]["fields"])
    out += ["", "## Curated tables (what curators edit under `datasets/`)", "",
            "Curated rows hold only what a coder decides; every derived column of the release (year, disorder "
            "type, actor-type codes, interaction, ISO codes, region, admin names, coordinates, source names "
            "and scales, timestamp) is computed by the build.", ""]
    for name in CURATED_TABLES:
        out += [f"### `{name}`", ""]
        out += _field_table(tables[f"curated/{name}.json"]["fields"])
        out += [""]
    out += ["## Event types, sub-event types and disorder types", "",
            "Listed in priority order: when one actor pair uses several tactics at one place on one day, "
            "the event takes the highest-priority (first listed) sub-event type.", ""]
    current = None
    for e in schema.event_types:
        if e.event_type != current:
            current = e.event_type
            out += ["", f"### {e.event_type}", "", e.event_type_definition, "",
                    "| sub-event type | disorder type | definition |", "|---|---|---|"]
        out.append(f"| {e.sub_event_type} | {e.disorder_type} | {e.sub_event_type_definition} |")
    out += ["", "## Actor types (`inter1`, `inter2`)", "", "| code | label | definition |", "|---|---|---|",
            "| 0 | (no actor) | Used for inter2 when the event has no second actor. |"]
    out += [f"| {code} | {label} | {definition} |" for code, (label, definition) in sorted(schema.actor_types.items())]
    out += ["", "`interaction` combines the two codes: the smaller times ten plus the larger (a clash between "
            "state forces and a rebel group is 12, never 21); a one-sided event is the actor's code times ten.",
            "", "## Precision codes", "",
            "| code | time_precision | geo_precision |", "|---|---|---|",
            "| 1 | the report gives the day | the event happened at the named place |",
            "| 2 | the report gives a span of up to about a week; the midpoint is coded | the event happened "
            "near the place or in a part of a wider area coded to a representative town |",
            "| 3 | only the month is known; the midpoint (or the first or last day for 'early'/'late') is coded "
            "| only a larger region is known; coded to a central town or the provincial capital |",
            "", "Fatalities: the lowest figure reported; 0 means that no death was reported, not that none "
            "occurred. Vague counts are coded as: several = 3, dozens = 12, hundreds = 100.",
            "", "## Source scales", "", "| scale | definition |", "|---|---|"]
    out += [f"| {s} | {d} |" for s, d in schema.source_scales.items()]
    out += ["", "## Countries and regions", "",
            f"The country vocabulary (`schema/vocabularies/countries.csv`) lists all {len(schema.countries)} "
            "ISO 3166-1 entries with their numeric code (`iso`), name (`country`) and region (`region`). "
            "Regions used:", ""]
    out += [f"- {r}" for r in schema.vocabulary("region")]
    out += ["", *validation_rules(), ""]
    out += ["", "## Versions", "",
            "Releases follow semantic versioning for data: a removed or retyped column or a removed vocabulary "
            "value is a major change; added or deleted events are minor; corrected values are a patch. "
            "Each release's `data/changes` table lists what was added, modified (field, old and new value) "
            "and deleted against the previous release.", ""]
    return "\n".join(out)


def validation_rules() -> list[str]:
    """The "Validation rules" section, generated from the validator's rule catalogue."""
    from .validate.rules import markdown

    return markdown()


def generated_files(schema_root: Path | None = None) -> dict[Path, str]:
    """Path -> expected content of every generated file under the schema folder."""
    schema = load_schema(schema_root)
    tables = synced_table_schemas(schema)
    files = {schema.root / rel: _dump(ts) for rel, ts in tables.items()}
    files[schema.root / "event.schema.json"] = _dump(event_json_schema(schema, tables["release/events.json"]))
    files[schema.root / "codebook.md"] = codebook_markdown(schema, tables)
    return files


def stale_files(schema_root: Path | None = None) -> list[Path]:
    """Generated files whose content on disk differs from what the generator would write."""
    return [p for p, text in generated_files(schema_root).items()
            if not p.exists() or p.read_text(encoding="utf-8") != text]


def write_generated(schema_root: Path | None = None) -> list[Path]:
    """Regenerate; returns the files that changed. Runs twice so enum updates reach the JSON Schema."""
    from .schema import _cached_schema

    changed: list[Path] = []
    for _ in range(2):
        for path, text in generated_files(schema_root).items():
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                path.write_text(text, encoding="utf-8")
                if path not in changed:
                    changed.append(path)
        _cached_schema.cache_clear()
    return changed
