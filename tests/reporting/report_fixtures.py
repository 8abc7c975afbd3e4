"""Fixtures of the report tests: the committed latest release, and two SYNTHETIC releases built by the
real release writer from a small curated tree, plus an HTML parser that reads the report back.

Why synthetic releases as well: the committed data has no deletions and no added events against its
predecessor, and no awkward names; the synthetic pair (1.0.0, then 1.1.0 with events added, modified and
deleted) exercises every section. Every row says SYNTHETIC and every URL is on example.invalid.
"""

from __future__ import annotations

import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

from curated_rows import with_fatality_range, write_csv

REPO = Path(__file__).resolve().parents[2]
RELEASES = REPO / "build" / "releases"
EVENT_HEADER = ["event_id", "event_date", "time_precision", "event_type", "sub_event_type", "actor1",
                "assoc_actor_1", "actor2", "assoc_actor_2", "location_id", "geo_precision", "fatalities",
                "fatalities_best", "fatalities_high", "fatalities_known",
                "civilian_targeting", "source_ids", "notes", "tags", "updated"]
#: An actor whose name needs HTML escaping, to show that release text never becomes markup.
ODD_ACTOR = 'Synthetic "Rebels" & <Allies>'
ACTORS = [
    ("Synthetic State Force", "1", "SYR", "SYNTHETIC test actor (state forces)."),
    (ODD_ACTOR, "2", "SYR", "SYNTHETIC test actor (rebel group)."),
    ("Synthetic Foreign Air Force", "8", "RUS", "SYNTHETIC test actor (external forces)."),
    ("Civilians (Syria)", "7", "SYR", "SYNTHETIC test registry entry for civilian victims."),
    ("Protesters (Syria)", "6", "SYR", "SYNTHETIC test registry entry for protesters."),
]
LOCATIONS = [
    ("SYR-synthetic-north", "Synthetic North", "Aleppo", "A'zaz", "", "36.4000", "37.1000", "SYNTHETIC test coordinates",
     "SY02", "SY0204", ""),
    ("SYR-synthetic-west", "Synthetic West", "Idleb", "Idleb", "", "35.9000", "36.6000", "SYNTHETIC test coordinates",
     "SY07", "SY0700", ""),
    ("SYR-synthetic-south", "Synthetic South", "Dara", "Dar'a", "", "32.6000", "36.1000", "SYNTHETIC test coordinates",
     "SY12", "SY1200", ""),
]
SOURCES = [
    ("synthetic-a", "SYNTHETIC Wire", "SYNTHETIC report A", "https://example.invalid/a", "2016-03-01", "en", "International"),
    ("synthetic-b", "SYNTHETIC Monitor", "SYNTHETIC report B", "https://example.invalid/b", "2016-03-02", "ar", "National"),
    ("synthetic-c", "SYNTHETIC Monitor", "SYNTHETIC report C", "https://example.invalid/c", "2016-03-20", "ar", "National"),
]
KINDS = {
    "clash": dict(event_type="Battles", sub_event_type="Armed clash", actor1="Synthetic State Force", actor2=ODD_ACTOR),
    "strike": dict(event_type="Explosions/Remote violence", sub_event_type="Air/drone strike",
                   actor1="Synthetic Foreign Air Force", assoc_actor_1="Synthetic State Force"),
    "vac": dict(event_type="Violence against civilians", sub_event_type="Attack", actor1=ODD_ACTOR,
                actor2="Civilians (Syria)", civilian_targeting="Civilian targeting"),
    "protest": dict(event_type="Protests", sub_event_type="Peaceful protest", actor1="Protesters (Syria)",
                    tags="crowd size=no report"),
}


def event_row(n: int, date: str, kind: str, fatalities: int, location: str, sources: str, tp: int, gp: int) -> dict[str, str]:
    row = dict.fromkeys(EVENT_HEADER, "")
    row.update(event_id=f"SYR{n}", event_date=date, time_precision=str(tp), location_id=location,
               geo_precision=str(gp), fatalities=str(fatalities), source_ids=sources,
               notes=f"SYNTHETIC TEST ROW {n}", updated="2026-01-01T00:00:00Z")
    row.update(KINDS[kind])
    return row


def synthetic_rows(n: int) -> list[dict[str, str]]:
    """``n`` events over Jan-Feb 2016 (no event in one month gap is possible: both months have events)."""
    kinds = ["clash", "strike", "vac", "protest"]
    locs = [loc[0] for loc in LOCATIONS]
    srcs = ["synthetic-a", "synthetic-b", "synthetic-a; synthetic-b", "synthetic-c", "synthetic-b; synthetic-c; synthetic-a"]
    rows = []
    for i in range(1, n + 1):
        kind = kinds[i % 4]
        rows.append(event_row(i, f"2016-0{1 + i % 2}-{1 + i % 27:02d}", kind,
                              0 if kind == "protest" else (i * 7) % 23, locs[i % 3], srcs[i % 5],
                              1 + (i % 7 == 0), 1 + (i % 4 == 1) + (i % 11 == 0)))
        low = int(rows[-1]["fatalities"])
        if low and i % 3 == 0:  # reports disagree: a higher best and high figure, stated in the note
            rows[-1].update(fatalities_best=str(low + 2), fatalities_high=str(low + 9), fatalities_known="true",
                            notes=f"{rows[-1]['notes']}; another report gives {low + 2}, a third {low + 9}")
        elif kind == "clash" and not low:  # a report said explicitly that nobody died
            rows[-1]["fatalities_known"] = "true"
    return rows


def write_tree(root: Path, rows: list[dict[str, str]], deletions: list[tuple[str, str, str]]) -> Path:
    if root.exists():
        shutil.rmtree(root)
    write_csv(root / "actors.csv", ["actor", "actor_type", "country_iso3", "description", "aliases"],
              [(*a, "") for a in ACTORS])
    write_csv(root / "locations" / "SYR.csv", ["location_id", "location", "admin1", "admin2", "admin3", "latitude",
                                               "longitude", "coordinate_source", "admin1_pcode", "admin2_pcode",
                                               "admin3_pcode"], LOCATIONS)
    write_csv(root / "sources.csv", ["source_id", "publisher", "title", "url", "published", "language",
                                     "source_scale"], SOURCES)
    write_csv(root / "deletions.csv", ["event_id", "deleted_in", "reason"], deletions)
    by_month: dict[str, list[dict[str, str]]] = {}
    for r in rows:
        by_month.setdefault(r["event_date"][:7], []).append(r)
    for month, month_rows in by_month.items():
        write_csv(root / "events" / "SYR" / f"{month}.csv", EVENT_HEADER,
                  [with_fatality_range(r) for r in month_rows])
    return root


@pytest.fixture(scope="session")
def synthetic_releases(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A releases folder with SYNTHETIC 1.0.0 (40 events) and 1.1.0 (3 added, 2 modified, 1 deleted)."""
    from openconflict import build_release

    base = tmp_path_factory.mktemp("synthetic-repo")
    releases = base / "build" / "releases"
    rows = synthetic_rows(40)
    build_release(write_tree(base / "datasets", rows, []), "1.0.0", date="2026-01-10", releases_dir=releases,
                  dist_dir=None)
    rows = [r for r in rows if r["event_id"] != "SYR5"]
    rows[0]["fatalities"] = str(int(rows[0]["fatalities"]) + 3)
    rows[1]["fatalities"] = str(int(rows[1]["fatalities"]) + 1)
    rows[1]["geo_precision"] = "3"
    rows += [event_row(n, f"2016-03-0{n - 39}", "strike", 9, "SYR-synthetic-south", "synthetic-c", 1, 1)
             for n in (41, 42, 43)]
    build_release(write_tree(base / "datasets", rows, [("SYR5", "1.1.0", "SYNTHETIC duplicate of SYR4")]), "1.1.0",
                  date="2026-02-10", releases_dir=releases, dist_dir=None)
    _ensure_ledger_format(releases)
    return releases


def _ensure_ledger_format(releases: Path) -> None:
    """The build on this branch still writes the format-1 registry; the ledger module reads format 2 only.

    Converted with the ledger's own migration, as the committed registry was; once the release step writes
    the ledger itself this does nothing.
    """
    import json

    from openconflict.ledger import dumps, migrate_v1, parse_ledger

    path = releases / "registry.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("format") == 1:
        path.write_text(dumps(parse_ledger(migrate_v1(data))), encoding="utf-8")


@pytest.fixture(scope="session")
def multi_country_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SYNTHETIC release of 20,000 events in 50 countries (benchmarks/synth.py), so that the events table
    has several row groups whose text dictionaries differ and the headline lists many countries."""
    import sys

    from openconflict import build_release

    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from benchmarks.synth import generate

    base = tmp_path_factory.mktemp("synthetic-many")
    generate(base / "datasets", 20_000, seed=3)
    releases = base / "build" / "releases"
    build_release(base / "datasets", "1.0.0", date="2026-01-10", releases_dir=releases, dist_dir=None)
    return releases / "1.0.0"


class Page(HTMLParser):
    """The parts of a report the tests read: text by element id, tables by id, every tag and attribute."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text_by_id: dict[str, str] = {}
        self.tables: dict[str, list[list[str]]] = {}
        self.styles: list[str] = []
        self._open: list[tuple[str, str | None]] = []  # (tag, id) of open elements
        self._table: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._in_style = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag in ("img", "meta", "br", "hr", "input", "link"):
            return
        self._open.append((tag, a.get("id")))
        if a.get("id"):
            self.text_by_id[a["id"]] = ""
        if tag == "table":
            self._table = a.get("id")
            self.tables[self._table or f"#{len(self.tables)}"] = []
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "style":
            self._in_style = True

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None and self._table is not None:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None
        elif tag == "style":
            self._in_style = False
        while self._open:
            t, _ = self._open.pop()
            if t == tag:
                break

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.append(data)
        for _, element_id in self._open:
            if element_id:
                self.text_by_id[element_id] += data
        if self._cell is not None:
            self._cell.append(data)

    def table(self, element_id: str) -> list[list[str]]:
        """Body rows of a table (header row dropped)."""
        return self.tables[element_id][1:]


def number(text: str) -> int:
    return int(text.replace(",", "").strip())
