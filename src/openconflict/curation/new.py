"""``new event|source|location``: append one row with its id and ``updated`` filled, then validate at once.

Why the row is kept when it has errors: the curator has just typed a dozen fields; throwing them away over
one wrong code would cost more than fixing the cell in the file, whose line we print. ``--dry-run`` shows
the same verdict without touching the tree (the row is appended to a temporary copy). Refusals that would
make a wrong row permanent or ambiguous happen before anything is written: a date that picks no file, a
report already in the registry, a location id or gazetteer row already taken, an unknown column.

Ids are chosen and the row appended under a lock on the tree, so two curators adding events at once get
two different ids.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .. import config
from ..curated.layout import TOOL_LOCK
from ..errors import CurationError
from ..files import locked
from ..problems import Problem
from ..schema import AdminUnit, Schema, load_schema
from .gazetteer import find_rows, four_decimals, learn_spelling, plain_admin, read_gazetteer
from .ids import next_event_id, publisher_key, publisher_keys, slug, source_id
from .rows import Appended, append_row
from .sources import read_sources, same_url
from .translit import fold
from .tree import Tree, read_rows

LOCK_NAME = TOOL_LOCK
_DATE = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$")


@dataclass
class Outcome:
    """What ``new`` did: the row, where it went, and the validator's verdict on it."""

    table: str
    key: str
    row: dict[str, str]
    appended: Appended
    shown: str  # the file as the validator names it
    problems: list[Problem] = field(default_factory=list)  # problems of the new row
    other_errors: int = 0  # errors elsewhere in the tree (not caused by this row)
    dry_run: bool = False

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


def updated_stamp(now: dt.datetime | None = None) -> str:
    """Today (UTC) as existing rows write ``updated``: ``YYYY-MM-DDT00:00:00Z``."""
    now = now or dt.datetime.now(dt.UTC)
    return now.astimezone(dt.UTC).strftime("%Y-%m-%dT00:00:00Z")


def _columns(table: str) -> list[str]:
    from ..schema import load_schema

    return load_schema().columns("curated", table)


@contextlib.contextmanager
def _working_tree(tree: Tree, dry_run: bool) -> Iterator[Tree]:
    """The tree itself, or for a dry run a temporary copy of it that disappears afterwards."""
    if not dry_run:
        with locked(tree.root / LOCK_NAME, wait=config.lock_wait(), what=f"the datasets tree {tree.root}"):
            yield tree
        return
    with tempfile.TemporaryDirectory(prefix="openconflict-dry-run-") as tmp:
        copy = Path(tmp) / tree.root.name
        shutil.copytree(tree.root, copy, ignore=shutil.ignore_patterns(LOCK_NAME))
        yield Tree(copy)


def _verdict(work: Tree, appended: Appended) -> tuple[list[Problem], int]:
    """Problems of the new row (and of its file, if just created), and the count of other errors."""
    from ..validate import validate

    report, _ = validate([work.root])
    shown = work.shown(appended.path)
    mine = [p for p in report.problems
            if p.file == shown and (p.line == appended.line or (appended.created and p.line in (0, 1)))]
    others = sum(1 for p in report.errors if p not in mine)
    return mine, others


RowMaker = Callable[[Tree], tuple[str, dict[str, str]]]


def _commit(tree: Tree, table: str, rel: str, make_row: RowMaker, dry_run: bool) -> Outcome:
    with _working_tree(tree, dry_run) as work:
        key, row = make_row(work)
        appended = append_row(work.root / rel, _columns(table), row)
        shown = tree.shown(tree.root / rel)
        problems, others = _verdict(work, appended)
        if dry_run:
            appended = Appended(tree.root / rel, appended.line, appended.created, appended.text)
    return Outcome(table, key, row, appended, shown, problems, others, dry_run)


def _check_date(value: str, option: str) -> tuple[str, str]:
    m = _DATE.match(value.strip())
    try:
        if not m:
            raise ValueError
        dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        raise CurationError(f"{option} must be a real date written YYYY-MM-DD, not {value!r}; nothing was written") from None
    return m.group(1), m.group(2)


def fatality_defaults(fields: dict[str, str]) -> dict[str, str]:
    """Fill the fatality range a curator did not give: best and high default to the low figure (the reports
    agree), and ``fatalities_known`` to whether that figure is above 0. A report that says explicitly that
    nobody died needs ``--fatalities-known true``. Values given are kept as typed, for the validator."""
    out = dict(fields)
    low = out.get("fatalities", "").strip()
    if low and not out.get("fatalities_best"):
        out["fatalities_best"] = low
    if out.get("fatalities_best") and not out.get("fatalities_high"):
        out["fatalities_high"] = out["fatalities_best"]
    high = out.get("fatalities_high", "").strip()
    if high.isascii() and high.isdigit() and not out.get("fatalities_known"):
        out["fatalities_known"] = "true" if int(high) > 0 else "false"
    return out


def new_event(tree: Tree, fields: dict[str, str], *, iso3: str | None = None, releases: Path | None = None,
              now: dt.datetime | None = None, dry_run: bool = False) -> Outcome:
    """Append an event to ``events/<ISO3>/<YYYY>-<MM>.csv`` with the next never-used id."""
    year, month = _check_date(fields.get("event_date", ""), "--date")
    location = fields.get("location_id", "").strip()
    iso3 = (iso3 or (location[:3] if re.match(r"^[A-Z]{3}-", location) else "")).strip()
    if not re.fullmatch(r"[A-Z]{3}", iso3):
        raise CurationError("the country is unknown: pass --location ISO3-slug or --iso3 CODE; nothing was written")
    rel = f"events/{iso3}/{year}-{month}.csv"
    rels = releases or tree.releases

    fields = fatality_defaults(fields)

    def make(work: Tree) -> tuple[str, dict[str, str]]:
        event_id = next_event_id(work.root, rels, iso3)
        return event_id, {**fields, "event_id": event_id, "updated": updated_stamp(now)}

    return _commit(tree, "events", rel, make, dry_run)


def new_source(tree: Tree, fields: dict[str, str], *, key: str | None = None, source_id_: str | None = None,
               dry_run: bool = False) -> Outcome:
    """Append a report to ``sources.csv``; a report whose URL is already there is refused."""
    url = fields.get("url", "").strip()
    if not url:
        raise CurationError("--url is required: a source is a report someone can find again; nothing was written")
    _check_date(fields.get("published", ""), "--published")

    def make(work: Tree) -> tuple[str, dict[str, str]]:
        sources = read_sources(work)
        dupes = same_url(url, sources)
        if dupes:
            listed = ", ".join(f"{s.source_id} (line {s.line}: {s.url})" for s in dupes)
            raise CurationError(f"this report is already in the registry as {listed}; nothing was written")
        taken = {s.source_id for s in sources}
        _, rows = read_rows(work.root / "sources.csv")
        if source_id_:
            if source_id_ in taken:
                raise CurationError(f"the source id {source_id_} is taken; nothing was written")
            sid = source_id_
        else:
            prefix = key or publisher_key(fields.get("publisher", ""), publisher_keys([r for _, r in rows]))
            sid = source_id(prefix, fields["published"].strip(), fields.get("title", ""), taken)
        return sid, {**fields, "source_id": sid}

    return _commit(tree, "sources", "sources.csv", make, dry_run)


def new_location(tree: Tree, fields: dict[str, str], *, iso3: str = "SYR", gazetteer: Path | None = None,
                 from_gazetteer: str | None = None, location_id: str | None = None,
                 dry_run: bool = False) -> Outcome:
    """Append a place to ``locations/<ISO3>.csv``: coordinates from a gazetteer row or an explicit cited source."""
    fields = dict(fields)
    if not re.fullmatch(r"[A-Z]{3}", iso3):
        raise CurationError(f"--iso3 must be an ISO 3166-1 alpha-3 code, not {iso3!r}")
    rel = f"locations/{iso3}.csv"
    loc_rows = _location_rows(tree, rel)
    if from_gazetteer:
        _fill_from_gazetteer(fields, from_gazetteer, gazetteer, loc_rows)
    else:
        missing = [o for o, c in (("--latitude", "latitude"), ("--longitude", "longitude"),
                                  ("--coordinate-source", "coordinate_source")) if not fields.get(c, "").strip()]
        if missing:
            raise CurationError("coordinates come from a gazetteer row (--from-gazetteer NAME) or are given with "
                                f"the source that states them; missing {', '.join(missing)}; nothing was written")
        fields["latitude"] = four_decimals(fields["latitude"])
        fields["longitude"] = four_decimals(fields["longitude"])
    name = fields.get("location", "").strip()
    if not name:
        raise CurationError("--name is required; nothing was written")
    lid = location_id or f"{iso3}-{slug(name)}"

    def make(work: Tree) -> tuple[str, dict[str, str]]:
        taken = {r.get("location_id", "") for r in _location_rows(work, rel)}
        if lid in taken:
            hint = slug(fields.get("admin2", "") or fields.get("admin1", ""))
            raise CurationError(f"the location id {lid} is taken (another place of that name?); pass --id "
                                f"{lid}-{hint or 'other'} or reuse {lid}; nothing was written")
        return lid, {**fields, "location_id": lid}

    return _commit(tree, "locations", rel, make, dry_run)


def _location_rows(tree: Tree, rel: str) -> list[dict[str, str]]:
    path = tree.root / rel
    return [r for _, r in read_rows(path)[1]] if path.is_file() else []


def _fill_from_gazetteer(fields: dict[str, str], name: str, gazetteer: Path | None,
                         locations: list[dict[str, str]]) -> None:
    if gazetteer is None:
        raise CurationError("no gazetteer found; pass --gazetteer PATH")
    if fields.get("latitude") or fields.get("longitude") or fields.get("coordinate_source"):
        raise CurationError("give either --from-gazetteer or --latitude/--longitude/--coordinate-source, not both")
    rows = read_gazetteer(gazetteer)
    hits = find_rows(rows, name, fields.get("admin1") or None)
    points = {(four_decimals(g.latitude), four_decimals(g.longitude)) for g in hits}
    if not hits:
        raise CurationError(f"no row of {gazetteer.name} is named {name!r}"
                            + (f" in {fields['admin1']}" if fields.get("admin1") else "")
                            + f"; try: openconflict lookup place {name!r}")
    if len(points) > 1:
        listed = "; ".join(f"{g.place} ({g.admin1}, {g.admin2}: {g.latitude}, {g.longitude}, line {g.line})" for g in hits)
        raise CurationError(f"{len(points)} different places are named {name!r}: {listed}. Pass --admin1 to choose one")
    g = hits[0]
    lat, lon = points.pop()
    for loc in locations:
        if loc.get("coordinate_source", "").strip() == g.source and (loc.get("latitude"), loc.get("longitude")) == (lat, lon):
            raise CurationError(f"{g.place} is already the location {loc.get('location_id')}; nothing was written")
    admin1, admin2 = learn_spelling(rows, locations).convert(g)
    fields.update({"latitude": lat, "longitude": lon, "coordinate_source": g.source})
    fields.setdefault("location", "")
    fields["location"] = fields["location"] or g.name
    for column, ours in (("admin1", admin1), ("admin2", admin2)):
        given = fields.get(column, "")
        # A name given only to pick the row ("Aleppo Governorate", "aleppo") takes our spelling.
        fields[column] = ours if not given or fold(plain_admin(given)) == fold(ours) else given
    units = crosswalk_units(load_schema(), g.admin1, g.admin2)
    if units:  # the crosswalk knows the gazetteer's units: its P-codes and names are the ones releases use
        for level in (1, 2, 3):
            unit = units.get(level)
            fields[f"admin{level}"] = unit.name if unit else ""
            fields[f"admin{level}_pcode"] = unit.pcode if unit else ""


def crosswalk_units(schema: Schema, admin1: str, admin2: str) -> dict[int, AdminUnit]:
    """The crosswalk units (by level) that a gazetteer row's governorate and district names stand for.

    The gazetteer's "district" is sometimes an OCHA sub-district (``Atarib district`` is a sub-district of
    Jebel Saman): then it fills admin3 and its parent admin2. Empty when the governorate is not known.
    """
    named: dict[str, list[AdminUnit]] = {}
    for unit in schema.admin_units.values():
        if unit.gazetteer_name:
            named.setdefault(unit.gazetteer_name, []).append(unit)
    first = [u for u in named.get(admin1, []) if u.level == 1]
    if len(first) != 1:
        return {}
    found = {1: first[0]}
    for unit in named.get(admin2, []):
        if unit.level == 2 and unit.parent == found[1].pcode:
            found[2] = unit
        elif unit.level == 3 and schema.admin_units[unit.parent].parent == found[1].pcode:
            found[2], found[3] = schema.admin_units[unit.parent], unit
    return found
