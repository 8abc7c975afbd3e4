"""Shared helpers for the curator-tool tests: copies of the real tree, a synthetic tree, the CLI runner.

Every test works on a copy under ``tmp_path``; the real ``datasets/`` is only ever read (conftest checks
its bytes are unchanged at the end of the session).
"""

from __future__ import annotations

import csv
import hashlib
import io
import shutil
from pathlib import Path

import click
from click.testing import CliRunner, Result

from openconflict.curation.cli import lookup_command, new_command
from openconflict.schema import load_schema

REPO = Path(__file__).resolve().parents[2]
DATASETS = REPO / "datasets"
RELEASES = REPO / "build" / "releases"
GAZETTEER = REPO / "schema" / "gazetteer" / "syria-places-ucdp-ged.csv"
DATA = Path(__file__).resolve().parent / "data"
SEED_REPORT = DATA / "aranews-2015-10-aleppo-in-turmoil.txt"
COLUMNS = {name: load_schema().columns("curated", name) for name in load_schema().curated}

#: The curator commands as the main CLI will hold them.
CLI = click.Group("openconflict", commands={"lookup": lookup_command, "new": new_command})


def invoke(*args: str | Path) -> Result:
    """Run a curator command in-process; exceptions are captured, never raised."""
    return CliRunner().invoke(CLI, [str(a) for a in args], catch_exceptions=True)


def copy_datasets(tmp_path: Path) -> Path:
    """A private copy of the real datasets folder at ``tmp_path/repo/datasets``."""
    dst = tmp_path / "repo" / "datasets"
    shutil.copytree(DATASETS, dst)
    return dst


def tree_digest(root: Path) -> dict[str, str]:
    """sha256 of every file under ``root`` (lock files excluded), to prove a tree was not changed."""
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and not p.name.endswith(".lock")}


def csv_text(columns: list[str], rows: list[dict[str, str]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for r in rows:
        w.writerow([r.get(c, "") for c in columns])
    return buf.getvalue()


SYN_ACTOR = "Synthetic Rebels (SYNTHETIC)"
SYN_STATE = "Synthetic State Force (SYNTHETIC)"


def synthetic_event(eid: str, date: str, n: int) -> dict[str, str]:
    return {"event_id": eid, "event_date": date, "time_precision": "1", "event_type": "Battles",
            "sub_event_type": "Armed clash", "actor1": SYN_STATE, "actor2": SYN_ACTOR, "location_id": "SYR-alpha",
            "geo_precision": "1", "fatalities": "0", "fatalities_best": "0", "fatalities_high": "0",
            "fatalities_known": "false", "source_ids": "syn-20151001-report",
            "notes": f"SYNTHETIC TEST ROW {n}", "updated": "2026-11-24T00:00:00Z"}


def write_synthetic_tree(parent: Path, *, events: dict[str, list[dict[str, str]]] | None = None,
                         deletions: list[dict[str, str]] | None = None) -> Path:
    """A small, valid, SYNTHETIC datasets tree at ``parent/datasets`` (ids SYR1..SYR3 unless given)."""
    root = parent / "datasets"
    events = events if events is not None else {
        "2015-10": [synthetic_event(f"SYR{i}", f"2015-10-0{i}", i) for i in (1, 2, 3)]}
    files = {
        "actors.csv": ("actors", [
            {"actor": SYN_STATE, "actor_type": "1", "country_iso3": "SYR", "description": "SYNTHETIC state force."},
            {"actor": SYN_ACTOR, "actor_type": "2", "country_iso3": "SYR", "description": "SYNTHETIC rebels.",
             "aliases": "SynReb; Fake Front"},
        ]),
        "locations/SYR.csv": ("locations", [
            {"location_id": "SYR-alpha", "location": "Alpha (SYNTHETIC)", "admin1": "Aleppo", "admin2": "Azaz",
             "latitude": "36.2000", "longitude": "37.1000", "coordinate_source": "SYNTHETIC gazetteer"},
        ]),
        "sources.csv": ("sources", [
            {"source_id": "syn-20151001-report", "publisher": "Synthetic Wire", "title": "Synthetic report one",
             "url": "https://example.invalid/news/synthetic-report-one", "published": "2015-10-31",
             "language": "en", "source_scale": "National"},
        ]),
        "deletions.csv": ("deletions", deletions or []),
    }
    for month, rows in events.items():
        files[f"events/SYR/{month}.csv"] = ("events", rows)
    for rel, (table, rows) in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(csv_text(COLUMNS[table], rows), encoding="utf-8")
    return root


def event_args(root: Path, date: str = "2015-10-20", **extra: str) -> list[str]:
    """Command-line arguments for a complete, valid SYNTHETIC event in the synthetic tree."""
    args = ["new", "event", "--datasets", str(root), "--date", date, "--time-precision", "1", "--type", "Battles",
            "--sub-type", "Armed clash", "--actor1", SYN_STATE, "--actor2", SYN_ACTOR, "--location", "SYR-alpha",
            "--geo-precision", "1", "--fatalities", "0", "--source", "syn-20151001-report",
            "--notes", "SYNTHETIC TEST ROW added by the curator tool"]
    for k, v in extra.items():
        args += [f"--{k.replace('_', '-')}", v]
    return args


def drop_locations_citing(root: Path, coordinate_source: str) -> None:
    """Remove from a copied tree every location citing ``coordinate_source``, so a test may add it anew
    whatever the real tree holds by then."""
    path = root / "locations" / "SYR.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    path.write_text(csv_text(COLUMNS["locations"], [r for r in rows if r["coordinate_source"] != coordinate_source]),
                    encoding="utf-8")
