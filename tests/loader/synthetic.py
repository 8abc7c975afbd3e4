"""SYNTHETIC curated trees for the loader tests, published with the real release writer.

Why through the writer: the loader must read what the build publishes, not a copy of the format; so these
fixtures write curated CSV tables (every note says SYNTHETIC, every URL is on example.invalid, every name
says Synthetic) and publish them with ``openconflict.build_release``. Nothing here is a reported event.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from curated_rows import with_fatality_range
from openconflict.schema import load_schema

SYNTHETIC = "SYNTHETIC TEST ROW"
_SCHEMA = load_schema()
#: The curated vocabulary's own wording of the civilian-targeting flag and of the local scale, so these trees
#: stay valid when the vocabulary follows ACLED's ("Civilian targeting", "Local partner").
TARGETED = _SCHEMA.field("curated", "events", "civilian_targeting")["constraints"]["enum"][0]
LOCAL = next(s for s in _SCHEMA.source_scales if s.startswith("Local"))
EVENT_HEADER = ["event_id", "event_date", "time_precision", "event_type", "sub_event_type", "actor1",
                "assoc_actor_1", "actor2", "assoc_actor_2", "location_id", "geo_precision", "fatalities",
                "fatalities_best", "fatalities_high", "fatalities_known", "civilian_targeting", "source_ids", "notes", "tags", "updated"]
#: iso3 -> a point well inside the country's bounding box (schema/vocabularies/countries.csv)
COUNTRIES = {"AFG": (33.9, 67.7), "NGA": (9.1, 8.7), "SYR": (35.0, 38.5), "YEM": (15.5, 47.5)}
COUNTRY_NAMES = {"AFG": "Afghanistan", "NGA": "Nigeria", "SYR": "Syria", "YEM": "Yemen"}
ACTORS = [  # name, type code
    ("Synthetic State Forces", 1),
    ("Synthetic Rebels", 2),
    ("Synthetic Militia (Alpha)", 3),
    ("Synthetic Clan Militia", 4),
    ("Rioters (Synthetic)", 5),
    ("Protesters (Synthetic)", 6),
    ("Civilians (Synthetic)", 7),
    ("Synthetic Coalition Forces", 8),
    ("Synthetic Students", 6),
    ("Synthetic Farmers", 7),
]
#: kind -> (event_type, sub_event_type, actor1, actor2, civilian_targeting)
KINDS = {
    "clash": ("Battles", "Armed clash", "Synthetic State Forces", "Synthetic Rebels", ""),
    "protest": ("Protests", "Peaceful protest", "Protesters (Synthetic)", "", ""),
    "riot": ("Riots", "Violent demonstration", "Rioters (Synthetic)", "", ""),
    "vac": ("Violence against civilians", "Attack", "Synthetic Clan Militia", "Civilians (Synthetic)",
            TARGETED),
    "strike": ("Explosions/Remote violence", "Air/drone strike", "Synthetic Coalition Forces", "Synthetic Rebels",
               ""),
}
KIND_ORDER = ["clash", "protest", "riot", "vac", "strike"]
MONTHS = [(2023 + m // 12, m % 12 + 1) for m in range(24)]
SCALES = [LOCAL, "National", "International"]



def write_csv(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, header, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def event(iso3: str, n: int) -> dict[str, str]:
    """The n-th synthetic event of a country (deterministic)."""
    ci = sorted(COUNTRIES).index(iso3)
    kind = KIND_ORDER[(n + ci) % len(KIND_ORDER)]
    et, sub, a1, a2, targeted = KINDS[kind]
    year, month = MONTHS[(n * 7 + ci * 5) % len(MONTHS)]
    assoc1 = "Synthetic Militia (Alpha); Synthetic Students" if kind == "clash" and n % 3 == 0 else ""
    assoc2 = "Synthetic Farmers" if kind == "vac" and n % 2 == 0 else ""
    return {
        "event_id": f"{iso3}{n}", "event_date": f"{year}-{month:02d}-{1 + (n * 5) % 27:02d}",
        "time_precision": str(1 + n % 2), "event_type": et, "sub_event_type": sub, "actor1": a1,
        "assoc_actor_1": assoc1, "actor2": a2, "assoc_actor_2": assoc2, "location_id": f"{iso3}-synthetic-{n % 4}",
        "geo_precision": str(1 + n % 3), "fatalities": str((n * 7) % 11 if kind in ("clash", "strike", "vac") else 0),
        "civilian_targeting": targeted, "source_ids": f"synthetic-{year}-{month:02d}-{n % 2}",
        "notes": f"{SYNTHETIC}: {kind} {iso3} {n}.", "tags": "crowd size=no report" if kind in ("protest", "riot") else "",
        "updated": "2026-01-01T00:00:00Z",
    }


@dataclass
class Tree:
    """A curated SYNTHETIC datasets tree that tests evolve from version to version."""

    root: Path
    events: dict[str, dict[str, str]] = field(default_factory=dict)  # event_id -> row
    deletions: list[dict[str, str]] = field(default_factory=list)

    @classmethod
    def initial(cls, root: Path, per_country: int = 30) -> Tree:
        tree = cls(root)
        for iso3 in COUNTRIES:
            for n in range(1, per_country + 1):
                row = event(iso3, n)
                tree.events[row["event_id"]] = row
        return tree

    def evolve(self, version: str, step: int) -> None:
        """One deletion (with its tombstone), one correction and one new event per country."""
        for iso3 in COUNTRIES:
            gone = f"{iso3}{2 + step}"
            del self.events[gone]
            self.deletions.append({"event_id": gone, "deleted_in": version, "reason": f"{SYNTHETIC}: duplicate"})
            fixed = self.events[f"{iso3}{5 + step}"]
            fixed["fatalities"] = str(int(fixed["fatalities"]) + 100)
            fixed["notes"] = f"{SYNTHETIC}: corrected in step {step}."
            fixed["updated"] = f"2026-0{step + 1}-01T00:00:00Z"
            new = event(iso3, 1000 + step)
            self.events[new["event_id"]] = new

    def write(self) -> Path:
        actors = [{"actor": a, "actor_type": str(t), "country_iso3": "", "description": f"{SYNTHETIC} actor", "aliases": ""}
                  for a, t in ACTORS]
        write_csv(self.root / "actors.csv", ["actor", "actor_type", "country_iso3", "description", "aliases"], actors)
        for iso3, (lat, lon) in COUNTRIES.items():
            places = [{"location_id": f"{iso3}-synthetic-{i}", "location": f"Synthetic Town {i}",
                       "admin1": f"Synthetic Province {i % 2 + 1}", "admin2": f"Synthetic District {i}", "admin3": "",
                       "latitude": f"{lat + i / 10:.4f}", "longitude": f"{lon - i / 10:.4f}",
                       "coordinate_source": "SYNTHETIC test coordinates",
                       "admin1_pcode": "", "admin2_pcode": "", "admin3_pcode": ""} for i in range(4)]
            write_csv(self.root / "locations" / f"{iso3}.csv", list(places[0]), places)
        sources = [{"source_id": f"synthetic-{y}-{m:02d}-{k}", "publisher": f"SYNTHETIC Wire {k}",
                    "title": f"SYNTHETIC report {y}-{m:02d} {k}", "url": f"https://example.invalid/{y}/{m:02d}/{k}",
                    "published": f"{y}-{m:02d}-28", "language": "en", "source_scale": SCALES[(m + k) % 3]}
                   for y, m in MONTHS for k in (0, 1)]
        write_csv(self.root / "sources.csv", list(sources[0]), sources)
        write_csv(self.root / "deletions.csv", ["event_id", "deleted_in", "reason"], self.deletions)
        events_dir = self.root / "events"
        for old in events_dir.rglob("*.csv") if events_dir.exists() else []:
            old.unlink()
        files: dict[Path, list[dict[str, str]]] = {}
        for row in self.events.values():
            path = events_dir / row["event_id"][:3] / f"{row['event_date'][:7]}.csv"
            files.setdefault(path, []).append(row)
        for path, rows in files.items():
            write_csv(path, EVENT_HEADER, [with_fatality_range(r) for r in sorted(rows, key=lambda r: r["event_id"])])
        return self.root


def publish(tree: Tree, version: str, date: str, releases: Path) -> Path:
    """Publish the tree as ``version`` with the release writer (no archive); returns the release folder."""
    import openconflict

    tree.write()
    openconflict.build_release(tree.root, version, date=date, releases_dir=releases, dist_dir=None)
    _ledger_shim(releases)
    return releases / version


def _ledger_shim(releases: Path) -> None:
    """Until the rewritten release writer (issue 9, release side) appends ledger entries itself: convert the
    format-1 registry the current writer leaves into the ledger with the ledger module's own migration.
    A no-op once the writer writes format 2."""
    from openconflict import ledger
    from openconflict.files import atomic_write

    path = releases / ledger.LEDGER_FILE
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("format") == 1:
        atomic_write(path, ledger.dumps(ledger.parse_ledger(ledger.migrate_v1(data), str(path))))


def rows_as_released(tree: Tree) -> dict[str, dict[str, Any]]:
    """The curated rows by event id, with the fields the tests compare (as the release derives them)."""
    out = {}
    for eid, r in tree.events.items():
        out[eid] = {"event_id_cnty": eid, "iso3": eid[:3], "country": COUNTRY_NAMES[eid[:3]],
                    "event_date": dt.date.fromisoformat(r["event_date"]), "event_type": r["event_type"],
                    "sub_event_type": r["sub_event_type"], "actor1": r["actor1"], "actor2": r["actor2"] or None,
                    "assoc_actor_1": r["assoc_actor_1"] or None, "assoc_actor_2": r["assoc_actor_2"] or None,
                    "admin1": f"Synthetic Province {int(r['location_id'][-1]) % 2 + 1}",
                    "fatalities": int(r["fatalities"])}
    return out
