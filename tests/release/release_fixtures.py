"""Fixtures for the release tests: a small curated tree in tmp_path, built from SYNTHETIC rows.

Why synthetic: the build tests change events, delete them and break them on purpose; real curated data
must never be edited that way. Every row here says SYNTHETIC and every URL is on example.invalid.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from curated_rows import with_fatality_range, write_csv
from openconflict.ledger import STAMPS_DIR

REPO = Path(__file__).resolve().parents[2]
EVENT_HEADER = ["event_id", "event_date", "time_precision", "event_type", "sub_event_type", "actor1", "assoc_actor_1", "actor2", "assoc_actor_2", "location_id", "geo_precision", "fatalities", "fatalities_best", "fatalities_high", "fatalities_known", "civilian_targeting", "source_ids", "notes", "tags", "updated"]

ACTORS = [
    ("Synthetic State Force", "1", "SYR", "SYNTHETIC test actor (state forces)."),
    ("Synthetic Rebels", "2", "SYR", "SYNTHETIC test actor (rebel group)."),
    ("Synthetic Foreign Air Force", "8", "RUS", "SYNTHETIC test actor (external forces)."),
    ("Civilians (Syria)", "7", "SYR", "SYNTHETIC test registry entry for civilian victims."),
]
LOCATIONS = [
    ("SYR-synthetic-north", "Synthetic North", "Aleppo", "A'zaz", "", "36.4000", "37.1000",
     "SYNTHETIC test coordinates", "SY02", "SY0204", ""),
    ("SYR-synthetic-west", "Synthetic West", "Idleb", "Idleb", "", "35.9000", "36.6000",
     "SYNTHETIC test coordinates", "SY07", "SY0700", ""),
]
SOURCES = [
    ("synthetic-20151020-a", "SYNTHETIC Wire", "SYNTHETIC report A", "https://example.invalid/a", "2015-10-20",
     "en", "International"),
    ("synthetic-20151120-b", "SYNTHETIC Monitor", "SYNTHETIC report B", "https://example.invalid/b",
     "2015-11-20", "en", "National"),
]


def event_row(n: int, date: str, *, kind: str = "clash", fatalities: int = 0, location: str = "SYR-synthetic-north",
              source: str = "synthetic-20151020-a") -> dict[str, str]:
    """One synthetic curated event row."""
    row = dict.fromkeys(EVENT_HEADER, "")
    row.update(event_id=f"SYR{n}", event_date=date, time_precision="1", location_id=location, geo_precision="1",
               fatalities=str(fatalities), source_ids=source, notes=f"SYNTHETIC TEST ROW {n}",
               updated="2026-01-01T00:00:00Z")
    if kind == "clash":
        row.update(event_type="Battles", sub_event_type="Armed clash", actor1="Synthetic State Force",
                   actor2="Synthetic Rebels")
    elif kind == "strike":
        row.update(event_type="Explosions/Remote violence", sub_event_type="Air/drone strike",
                   actor1="Synthetic Foreign Air Force", assoc_actor_1="Synthetic State Force")
    elif kind == "vac":
        row.update(event_type="Violence against civilians", sub_event_type="Attack", actor1="Synthetic Rebels",
                   actor2="Civilians (Syria)", civilian_targeting="Civilian targeting")
    return row


class Tree:
    """A curated datasets tree in a temporary repository folder, editable by tests."""

    def __init__(self, repo: Path) -> None:
        self.repo = repo
        self.root = repo / "datasets"
        self.releases = repo / "build" / "releases"
        self.dist = repo / "build" / "dist"
        self.events: dict[str, list[dict[str, str]]] = {}
        self.deletions: list[tuple[str, str, str]] = []

    def add(self, row: dict[str, str]) -> None:
        self.events.setdefault(row["event_date"][:7], []).append(row)

    def remove(self, event_id: str) -> None:
        for rows in self.events.values():
            rows[:] = [r for r in rows if r["event_id"] != event_id]

    def find(self, event_id: str) -> dict[str, str]:
        return next(r for rows in self.events.values() for r in rows if r["event_id"] == event_id)

    def write(self) -> Path:
        if (self.root / "events").exists():
            shutil.rmtree(self.root / "events")
        write_csv(self.root / "actors.csv", ["actor", "actor_type", "country_iso3", "description", "aliases"],
                  [(*a, "") for a in ACTORS])
        write_csv(self.root / "locations" / "SYR.csv",
                  ["location_id", "location", "admin1", "admin2", "admin3", "latitude", "longitude", "coordinate_source",
                   "admin1_pcode", "admin2_pcode", "admin3_pcode"],
                  LOCATIONS)
        write_csv(self.root / "sources.csv",
                  ["source_id", "publisher", "title", "url", "published", "language", "source_scale"], SOURCES)
        write_csv(self.root / "deletions.csv", ["event_id", "deleted_in", "reason"], self.deletions)
        for month, rows in self.events.items():
            write_csv(self.root / "events" / "SYR" / f"{month}.csv", EVENT_HEADER,
                      [with_fatality_range(r) for r in rows])
        return self.root


@pytest.fixture()
def tree(tmp_path: Path) -> Tree:
    """Three synthetic events in October 2015 (two clashes, one air strike)."""
    t = Tree(tmp_path / "repo")
    t.add(event_row(1, "2015-10-14"))
    t.add(event_row(2, "2015-10-15", kind="strike", fatalities=4, location="SYR-synthetic-west"))
    t.add(event_row(3, "2015-10-16", kind="vac", fatalities=1))
    t.write()
    return t


@pytest.fixture()
def many(tmp_path: Path) -> Callable[[int], Tree]:
    """A bigger synthetic tree (n events over Oct-Nov 2015), for timing-sensitive tests like kills."""

    def make(n: int) -> Tree:
        t = Tree(tmp_path / f"repo{n}")
        for i in range(1, n + 1):
            day = 1 + (i % 20)
            month = "10" if i % 2 else "11"
            src = "synthetic-20151120-b" if month == "11" else "synthetic-20151020-a"
            loc = "SYR-synthetic-north" if i % 3 else "SYR-synthetic-west"
            t.add(event_row(i, f"2015-{month}-{day:02d}", kind=("clash", "strike", "vac")[i % 3],
                            fatalities=i % 7, location=loc, source=src))
        t.write()
        return t

    return make


COMMITTED_RELEASES = REPO / "build" / "releases"


def committed_copy(repo: Path, upto: str = "1.0.1") -> Tree:
    """A repository copy with the real curated tables and the committed releases up to ``upto``.

    The releases are laid through the release writer (``publish_to_mirror``), never copied by hand, so the
    copy's ledger is the committed ledger's prefix, byte for byte.
    """
    from openconflict.release import publish_to_mirror

    t = Tree(repo)
    shutil.copytree(REPO / "datasets", t.root)
    publish_to_mirror(upto, t.releases, releases_dir=COMMITTED_RELEASES)
    return t


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes: what "nothing was written" compares. Lock files and the
    stamps of checked releases (``.stamps/``, a cache that any check may refresh) are left aside."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.name.endswith(".lock") and STAMPS_DIR not in p.relative_to(folder).parts}


def leftovers(*folders: Path) -> list[str]:
    """Temporary files or folders of the release step under ``folders`` (there must be none); the stamps
    folder is not one, but a temporary file inside it is."""
    found = []
    for folder in folders:
        if folder.is_dir():
            found += [p.name for p in folder.iterdir()
                      if p.name.startswith(".") and not p.name.endswith(".lock") and p.name != STAMPS_DIR]
            if (folder / STAMPS_DIR).is_dir():
                found += [f"{STAMPS_DIR}/{p.name}" for p in (folder / STAMPS_DIR).iterdir() if p.name.startswith(".")]
    return found
