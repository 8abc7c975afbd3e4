"""A small, valid, clearly synthetic datasets tree, and helpers that damage it in one precise way.

Nothing here is real data: notes say "SYNTHETIC TEST ROW", the publisher is "SYNTHETIC" and every URL
points at example.invalid. Coordinates lie inside the bounding boxes of schema/vocabularies/countries.csv.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
from collections.abc import Callable
from pathlib import Path

from openconflict.schema import load_schema

csv.field_size_limit(2**31 - 1)  # the fixtures write and read cells of 200 KB

#: Validation runs with a fixed "today" so the future-date rule is deterministic.
TODAY = dt.date(2024, 6, 1)

SCHEMA = load_schema()
COLUMNS = {name: SCHEMA.columns("curated", name) for name in SCHEMA.curated}

# Paths as the report shows them (relative to the folder holding datasets/).
EV10 = "datasets/events/SYR/2015-10.csv"
EV11 = "datasets/events/SYR/2015-11.csv"
ACTORS = "datasets/actors.csv"
LOC = "datasets/locations/SYR.csv"
LOC_IRQ = "datasets/locations/IRQ.csv"
SOURCES = "datasets/sources.csv"
DELETIONS = "datasets/deletions.csv"

UPDATED = "2024-01-01T00:00:00Z"
ARMY = "Syrian Army (SYNTHETIC)"
REBELS = "Rebel Front (SYNTHETIC)"
MILITIA = "Militia X (SYNTHETIC)"
ALLIES = "Allied Brigade (SYNTHETIC)"
CIVILIANS = "Civilians (Syria)"
PROTESTERS = "Protesters (Syria)"
RIOTERS = "Rioters (Syria)"


def _actor(name: str, code: int, iso3: str = "SYR") -> dict[str, str]:
    return {"actor": name, "actor_type": str(code), "country_iso3": iso3,
            "description": "SYNTHETIC TEST ROW: invented actor"}


def _event(eid: str, date: str, et: str, st: str, actor1: str, actor2: str = "", *, loc: str = "SYR-alpha",
           fatalities: str = "0", targeting: str = "", sources: str = "src-one", assoc1: str = "",
           assoc2: str = "", tags: str = "", n: int = 0) -> dict[str, str]:
    known = "true" if int(fatalities) > 0 else "false"
    return {"event_id": eid, "event_date": date, "time_precision": "1", "event_type": et, "sub_event_type": st,
            "actor1": actor1, "assoc_actor_1": assoc1, "actor2": actor2, "assoc_actor_2": assoc2,
            "location_id": loc, "geo_precision": "1", "fatalities": fatalities,
            "fatalities_best": fatalities, "fatalities_high": fatalities, "fatalities_known": known,
            "civilian_targeting": targeting,
            "source_ids": sources, "notes": f"SYNTHETIC TEST ROW {n}", "tags": tags, "updated": UPDATED}


def tree_rows() -> dict[str, list[dict[str, str]]]:
    """Relative path under datasets/ -> rows of the clean tree."""
    return {
        "actors.csv": [
            _actor(ARMY, 1), _actor(REBELS, 2), _actor(MILITIA, 3), _actor(ALLIES, 2),
            _actor(CIVILIANS, 7), _actor(PROTESTERS, 6), _actor(RIOTERS, 5),
            _actor("Foreign Contractors (SYNTHETIC)", 8, ""),
        ],
        "locations/SYR.csv": [
            {"location_id": "SYR-alpha", "location": "Alpha (SYNTHETIC)", "admin1": "Aleppo", "admin2": "A'zaz",
             "admin3": "", "latitude": "36.2000", "longitude": "37.1000", "coordinate_source": "SYNTHETIC gazetteer",
             "admin1_pcode": "SY02", "admin2_pcode": "SY0204"},
            {"location_id": "SYR-beta", "location": "Beta (SYNTHETIC)", "admin1": "Deir ez Zor", "admin2": "",
             "admin3": "", "latitude": "35.0000", "longitude": "40.1", "coordinate_source": "SYNTHETIC gazetteer",
             "admin1_pcode": "SY09"},
        ],
        "locations/IRQ.csv": [
            {"location_id": "IRQ-gamma", "location": "Gamma (SYNTHETIC)", "admin1": "Baghdad", "admin2": "",
             "admin3": "", "latitude": "33.3000", "longitude": "44.4000", "coordinate_source": "SYNTHETIC gazetteer"},
        ],
        "sources.csv": [
            {"source_id": "src-one", "publisher": "SYNTHETIC", "title": "Synthetic report one",
             "url": "https://example.invalid/one", "published": "2015-10-15", "language": "en",
             "source_scale": "National"},
            {"source_id": "src-two", "publisher": "SYNTHETIC", "title": "Synthetic report two, with a comma",
             "url": "http://example.invalid/two?x=1", "published": "2015-11-04", "language": "ar",
             "source_scale": "Local partner-International"},
        ],
        "deletions.csv": [
            {"event_id": "SYR7", "deleted_in": "0.1.0", "reason": "SYNTHETIC TEST ROW: duplicate of SYR1"},
        ],
        "events/SYR/2015-10.csv": [
            _event("SYR1", "2015-10-14", "Battles", "Armed clash", ARMY, REBELS, assoc2=ALLIES, fatalities="3", n=1),
            _event("SYR2", "2015-10-12", "Violence against civilians", "Attack", MILITIA, CIVILIANS, loc="SYR-beta",
                   fatalities="1", targeting="Civilian targeting", sources="src-one; src-two",
                   tags="synthetic; second tag", n=2),
            _event("SYR3", "2015-10-10", "Protests", "Peaceful protest", PROTESTERS, tags="crowd size=no report", n=3),
            _event("SYR4", "2015-10-11", "Riots", "Violent demonstration", RIOTERS, loc="SYR-beta",
                   tags="crowd size=dozens", n=4),
            _event("SYR5", "2015-10-13", "Explosions/Remote violence", "Air/drone strike", ARMY, CIVILIANS,
                   fatalities="2", targeting="Civilian targeting", assoc1=ALLIES, n=5),
        ],
        "events/SYR/2015-11.csv": [
            _event("SYR6", "2015-11-03", "Strategic developments", "Arrests", ARMY, REBELS, loc="SYR-beta",
                   sources="src-two", n=6),
        ],
    }


def table_of(rel: str) -> str:
    """The curated table a file under datasets/ belongs to."""
    head = rel.split("/")[0]
    return head if head in ("events", "locations") else rel.removesuffix(".csv")


def csv_text(columns: list[str], rows: list[dict[str, str]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(c, "") for c in columns])
    return buf.getvalue()


def write_tree(parent: Path) -> Path:
    """Write the clean tree to ``parent/datasets`` and return that folder."""
    root = parent / "datasets"
    for rel, rows in tree_rows().items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(csv_text(COLUMNS[table_of(rel)], rows), encoding="utf-8")
    return root


def copy_tree(src: Path, parent: Path) -> Path:
    dst = parent / "datasets"
    shutil.copytree(src, dst)
    return dst


# --- mutations: each returns a function of the datasets root -------------------------------------------

Mutation = Callable[[Path], None]


def _rows(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8", newline="") as fh:
        data = list(csv.reader(fh))
    return data[0], data[1:]


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(buf.getvalue(), encoding="utf-8")


def cell(rel: str, line: int, column: str, value: str) -> Mutation:
    """Set one cell: ``line`` is the file line (2 = first data row)."""

    def run(root: Path) -> None:
        header, rows = _rows(root / rel)
        rows[line - 2][header.index(column)] = value
        _write(root / rel, header, rows)

    return run


def append_row(rel: str, row: dict[str, str] | None = None, *, copy_line: int | None = None,
               **changes: str) -> Mutation:
    """Append a row: a given one, or a copy of line ``copy_line`` of ``rel`` with ``changes``."""

    def run(root: Path) -> None:
        path = root / rel
        if path.exists():
            header, rows = _rows(path)
        else:
            header, rows = COLUMNS[table_of(rel)], []
        if copy_line is not None:
            new = dict(zip(header, rows[copy_line - 2], strict=True))
        else:
            new = dict(row or {})
        new.update(changes)
        rows.append([new.get(c, "") for c in header])
        _write(path, header, rows)

    return run


def copy_row_to(src_rel: str, line: int, dst_rel: str, **changes: str) -> Mutation:
    def run(root: Path) -> None:
        header, rows = _rows(root / src_rel)
        new = dict(zip(header, rows[line - 2], strict=True))
        new.update(changes)
        append_row(dst_rel, new)(root)

    return run


def write_bytes(rel: str, data: bytes) -> Mutation:
    def run(root: Path) -> None:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)

    return run


def replace_bytes(rel: str, old: bytes, new: bytes) -> Mutation:
    def run(root: Path) -> None:
        data = (root / rel).read_bytes()
        assert data.count(old) == 1, f"{old!r} must occur once in {rel}"
        (root / rel).write_bytes(data.replace(old, new))

    return run


def edit_line(rel: str, line: int, edit: Callable[[str], str]) -> Mutation:
    """Rewrite one physical line of a file (1 = header)."""

    def run(root: Path) -> None:
        lines = (root / rel).read_text(encoding="utf-8").split("\n")
        lines[line - 1] = edit(lines[line - 1])
        (root / rel).write_text("\n".join(lines), encoding="utf-8")

    return run


def drop_column(rel: str, column: str) -> Mutation:
    def run(root: Path) -> None:
        header, rows = _rows(root / rel)
        k = header.index(column)
        _write(root / rel, header[:k] + header[k + 1:], [r[:k] + r[k + 1:] for r in rows])

    return run


def add_column(rel: str, column: str, value: str) -> Mutation:
    def run(root: Path) -> None:
        header, rows = _rows(root / rel)
        _write(root / rel, [*header, column], [[*r, value] for r in rows])

    return run


def swap_columns(rel: str, a: str, b: str) -> Mutation:
    """Swap two columns, header and cells alike: the data is intact, only the order is wrong."""

    def run(root: Path) -> None:
        header, rows = _rows(root / rel)
        i, j = header.index(a), header.index(b)
        order = list(range(len(header)))
        order[i], order[j] = j, i
        _write(root / rel, [header[k] for k in order], [[r[k] for k in order] for r in rows])

    return run


def remove(rel: str) -> Mutation:
    def run(root: Path) -> None:
        path = root / rel
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()

    return run


def move(rel: str, new_rel: str) -> Mutation:
    def run(root: Path) -> None:
        (root / new_rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).rename(root / new_rel)

    return run


def to_crlf(rel: str) -> Mutation:
    def run(root: Path) -> None:
        path = root / rel
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))

    return run


def chain(*steps: Mutation) -> Mutation:
    def run(root: Path) -> None:
        for step in steps:
            step(root)

    return run
