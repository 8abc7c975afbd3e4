"""The published schema: Table Schemas and vocabularies, loaded once and shared by every stage.

Why one module: the validator, the build and the codebook must agree on the same code lists. Everything
here is read from ``schema/`` (or the copy packaged into the wheel) with the standard library only, so it
stays cheap to import.
"""

from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

CURATED_TABLES = ("events", "actors", "locations", "sources", "deletions")
RELEASE_TABLES = ("events", "actors", "locations", "sources", "deletions", "changes",
                  "aggregates_admin1_month", "aggregates_admin2_month", "agreement")

#: The vocabulary each enum-constrained column draws from (table kind, table, column) -> vocabulary key.
ENUM_SOURCES: dict[tuple[str, str, str], str] = {
    ("curated", "events", "event_type"): "event_type",
    ("curated", "events", "sub_event_type"): "sub_event_type",
    ("release", "events", "event_type"): "event_type",
    ("release", "events", "sub_event_type"): "sub_event_type",
    ("release", "events", "disorder_type"): "disorder_type",
    ("release", "events", "region"): "region",
    ("release", "events", "country"): "country",
}


def _package_dir() -> Path:
    return Path(__file__).resolve().parent


def schema_dir() -> Path:
    """Where the published schema lives.

    Order: ``$OPENCONFLICT_SCHEMA``; the copy inside an installed wheel (``openconflict/_schema``); the
    ``schema/`` folder of a source checkout.
    """
    env = os.environ.get("OPENCONFLICT_SCHEMA")
    if env:
        return Path(env)
    packaged = _package_dir() / "_schema"
    if packaged.is_dir():
        return packaged
    return _package_dir().parent.parent / "schema"


@dataclass(frozen=True)
class Country:
    """One row of the country vocabulary."""

    iso3: str
    iso2: str
    iso_numeric: int
    name: str
    region: str
    bbox: tuple[float, float, float, float] | None  # min_lat, min_lon, max_lat, max_lon


@dataclass(frozen=True)
class EventType:
    event_type: str
    sub_event_type: str
    disorder_type: str
    priority: int
    event_type_definition: str = ""
    sub_event_type_definition: str = ""


@dataclass(frozen=True)
class AdminUnit:
    """One administrative unit of a country's crosswalk (``schema/crosswalk/*_admin_units.csv``).

    ``name`` is the spelling releases use (ACLED's form of the OCHA name where the crosswalk gives one,
    else the OCHA English name); the P-code's first two letters are the country's ISO alpha-2 code.
    """

    pcode: str
    level: int
    name: str
    parent: str
    iso_3166_2: str
    gazetteer_name: str = ""  # how the UCDP gazetteer names the unit, where a crosswalk row says


@dataclass
class Schema:
    """Table Schemas plus vocabularies, as plain Python data."""

    root: Path
    curated: dict[str, dict[str, Any]]
    release: dict[str, dict[str, Any]]
    event_types: list[EventType]
    actor_types: dict[int, tuple[str, str]]  # code -> (label, definition)
    source_scales: dict[str, str]  # scale -> definition
    countries: dict[str, Country]
    admin_units: dict[str, AdminUnit] = field(default_factory=dict)
    _vocab_cache: dict[str, list[str]] = field(default_factory=dict, repr=False)

    def columns(self, kind: str, table: str) -> list[str]:
        tables = self.curated if kind == "curated" else self.release
        return [f["name"] for f in tables[table]["fields"]]

    def field(self, kind: str, table: str, name: str) -> dict[str, Any]:
        tables = self.curated if kind == "curated" else self.release
        for f in tables[table]["fields"]:
            if f["name"] == name:
                return f
        raise KeyError(f"{kind}/{table} has no field {name!r}")

    def vocabulary(self, key: str) -> list[str]:
        """The allowed values of one vocabulary, in the order the codebook lists them."""
        if key not in self._vocab_cache:
            if key == "event_type":
                values = list(dict.fromkeys(e.event_type for e in self.event_types))
            elif key == "sub_event_type":
                values = [e.sub_event_type for e in self.event_types]
            elif key == "disorder_type":
                values = list(dict.fromkeys(e.disorder_type for e in self.event_types))
            elif key == "region":
                values = sorted({c.region for c in self.countries.values()})
            elif key == "country":
                values = sorted({c.name for c in self.countries.values()})
            else:
                raise KeyError(key)
            self._vocab_cache[key] = values
        return self._vocab_cache[key]

    def source_scale_ok(self, value: str) -> bool:
        """A scale is one of the listed scales, or several of them joined with '-'."""
        return bool(value) and all(part in self.source_scales for part in value.split("-"))


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _read_json(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


def load_schema(root: Path | None = None) -> Schema:
    """Read the schema folder (``root`` or :func:`schema_dir`)."""
    root = Path(root) if root is not None else schema_dir()
    if root == schema_dir():
        return _cached_schema(str(root))
    return _load(root)


@cache
def _cached_schema(root: str) -> Schema:
    return _load(Path(root))


def _load(root: Path) -> Schema:
    if not (root / "curated").is_dir():
        raise FileNotFoundError(f"no published schema at {root} (expected curated/, release/, vocabularies/)")
    curated = {t: _read_json(root / "curated" / f"{t}.json") for t in CURATED_TABLES}
    release = {t: _read_json(root / "release" / f"{t}.json") for t in RELEASE_TABLES}
    vocab = root / "vocabularies"
    event_types = [
        EventType(r["event_type"], r["sub_event_type"], r["disorder_type"], int(r["priority"]),
                  r.get("event_type_definition", ""), r.get("sub_event_type_definition", ""))
        for r in _read_csv(vocab / "event_types.csv")
    ]
    actor_types = {int(r["code"]): (r["label"], r["definition"]) for r in _read_csv(vocab / "actor_types.csv")}
    scales = {r["source_scale"]: r["definition"] for r in _read_csv(vocab / "source_scales.csv")}
    countries: dict[str, Country] = {}
    for r in _read_csv(vocab / "countries.csv"):
        bbox = None
        if r["min_lat"]:
            bbox = (float(r["min_lat"]), float(r["min_lon"]), float(r["max_lat"]), float(r["max_lon"]))
        countries[r["iso3"]] = Country(r["iso3"], r["iso2"], int(r["iso_numeric"]), r["country"], r["region"], bbox)
    units: dict[str, AdminUnit] = {}
    for path in sorted((root / "crosswalk").glob("*_admin_units.csv")):
        for r in _read_csv(path):
            units[r["pcode"]] = AdminUnit(r["pcode"], int(r["level"]), r["name_acled"] or r["name_en"],
                                          r["parent_pcode"], r["iso_3166_2"], r.get("gazetteer_name", ""))
    return Schema(root, curated, release, event_types, actor_types, scales, countries, units)
