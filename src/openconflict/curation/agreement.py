"""Inter-coder agreement: a blind second coding of sampled events compared with the curated (first) coding.

Why: ACLED and UCDP publish no measure of how reproducible their coding is. We draw a seeded random sample
of new events, let a second curator code them from the cited reports without seeing the first coding, and
publish per-field agreement rates plus Krippendorff's alpha (nominal) for the sub-event type.

What counts as agreement (the rules the results page states):

- dates: the same day; or, more leniently, within the larger of the two coders' time-precision windows
  (precision 1: same day, 2: +-3 days, i.e. the week around the coded midpoint, 3: +-15 days);
- place: the same name after transliteration folding (:func:`.translit.skeleton`: "Tel Jabin" equals
  "Tall Jibbin", "Aleppo - Al Mashhad" equals "Aleppo - al-Mashhad"); and, more leniently, the same
  town (the part before " - " in "City - District") or the same non-empty sub-district (admin3);
- actors, event and sub-event types: the same registry name (case and spacing ignored); empty equals empty;
- fatalities: the same number; or, more leniently, within 20 % of the larger figure (0 only matches 0).

Usage: ``python -m openconflict.curation.agreement SAMPLE SECOND [--datasets PATH] [--out FILE]``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from ..errors import CurationError, OpenConflictError
from .ids import HELD_BACK
from .translit import skeleton
from .tree import read_rows

#: Half-width in days of the window each time_precision allows around the coded date.
WINDOW_DAYS = {1: 0, 2: 3, 3: 15}
FATALITY_TOLERANCE = 0.20
SECOND_COLUMNS = ("sample_id", "event_date", "time_precision", "place", "actor1", "actor2", "event_type",
                  "sub_event_type", "fatalities")


@dataclass(frozen=True)
class Coding:
    """One coder's values for one sampled event (place as a name, admin3 where a location is known)."""

    event_date: date
    time_precision: int
    place: str
    actor1: str
    actor2: str
    event_type: str
    sub_event_type: str
    fatalities: int
    admin3: str = ""


def _parse(path: Path, line: int, row: dict[str, str]) -> Coding:
    """A :class:`Coding` from a CSV row; any bad value is a clear error naming file and line."""
    where = f"{path}, line {line}"
    try:
        when = date.fromisoformat(row["event_date"].strip())
    except ValueError:
        raise CurationError(f"{where}: event_date {row['event_date']!r} is not YYYY-MM-DD") from None
    precision, deaths = row["time_precision"].strip(), row["fatalities"].strip()
    if precision not in {"1", "2", "3"}:
        raise CurationError(f"{where}: time_precision {precision!r} is not 1, 2 or 3")
    if not deaths.isdigit():
        raise CurationError(f"{where}: fatalities {deaths!r} is not a whole number >= 0")
    return Coding(when, int(precision), row["place"].strip(), row["actor1"].strip(), row["actor2"].strip(),
                  row["event_type"].strip(), row["sub_event_type"].strip(), int(deaths),
                  row.get("admin3", "").strip())


def _require(path: Path, header: list[str], columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in header]
    if missing:
        raise CurationError(f"{path} lacks the column(s) {', '.join(missing)}")


def read_sample(path: Path) -> dict[str, str]:
    """sample_id -> event_id from the sample file; ids must be unique."""
    header, rows = read_rows(path)
    _require(path, header, ("sample_id", "event_id"))
    sample: dict[str, str] = {}
    for line, row in rows:
        sid = row["sample_id"].strip()
        if sid in sample:
            raise CurationError(f"{path}, line {line}: sample_id {sid} appears twice")
        sample[sid] = row["event_id"].strip()
    if not sample:
        raise CurationError(f"{path} lists no samples")
    return sample


def read_second(path: Path) -> dict[str, Coding]:
    """sample_id -> the second coder's :class:`Coding`."""
    header, rows = read_rows(path)
    _require(path, header, SECOND_COLUMNS)
    coded: dict[str, Coding] = {}
    for line, row in rows:
        sid = row["sample_id"].strip()
        if sid in coded:
            raise CurationError(f"{path}, line {line}: sample_id {sid} is coded twice")
        coded[sid] = _parse(path, line, row)
    return coded


def read_locations(datasets: Path) -> dict[str, dict[str, str]]:
    """location_id -> its row, from every ``locations/*.csv`` of the datasets tree."""
    found: dict[str, dict[str, str]] = {}
    for path in sorted((datasets / "locations").glob("*.csv")):
        header, rows = read_rows(path)
        _require(path, header, ("location_id", "location"))
        found.update({r["location_id"].strip(): r for _, r in rows})
    return found


def read_first(datasets: Path, event_ids: Sequence[str],
               locations: dict[str, dict[str, str]] | None = None) -> dict[str, Coding]:
    """event_id -> the curated coding of each wanted event, its place named as in the locations table."""
    wanted = set(event_ids)
    locations = read_locations(datasets) if locations is None else locations
    first: dict[str, Coding] = {}
    held_back = datasets.parent / HELD_BACK  # a sampled event may be held back from releases for now
    for path in [*sorted((datasets / "events").glob("*/*.csv")), *([held_back] if held_back.is_file() else [])]:
        header, rows = read_rows(path)
        _require(path, header, ("event_id", "location_id", *SECOND_COLUMNS[1:3], *SECOND_COLUMNS[4:]))
        for line, row in rows:
            eid = row["event_id"].strip()
            if eid not in wanted:
                continue
            place = locations.get(row["location_id"].strip())
            if place is None:
                raise CurationError(f"{path}, line {line}: {eid} names unknown location {row['location_id']}")
            first[eid] = _parse(path, line, {**row, "place": place["location"],
                                             "admin3": place.get("admin3", "")})
    missing = sorted(wanted - first.keys())
    if missing:
        raise CurationError(f"events not found under {datasets / 'events'}: {', '.join(missing)}")
    return first


def _norm(name: str) -> str:
    return " ".join(name.casefold().split())


def locate(coding: Coding, locations: dict[str, dict[str, str]]) -> Coding:
    """The coding with the admin3 of the known location of the same (folded) name, if there is one."""
    for row in locations.values():
        if row.get("admin3", "").strip() and same_place(row["location"], coding.place):
            return replace(coding, admin3=row["admin3"].strip())
    return coding


def same_name(a: str, b: str) -> bool:
    """Equal registry or vocabulary names (case and runs of spaces ignored)."""
    return _norm(a) == _norm(b)


def same_place(a: str, b: str) -> bool:
    """The same place name once transliteration variants are folded."""
    return skeleton(a) == skeleton(b)


def town_of(place: str) -> str:
    """The town of a 'City - District' name (the name itself otherwise)."""
    return place.split(" - ", 1)[0].strip()


def same_area(a: Coding, b: Coding) -> bool:
    """Same place, or same town, or the same known sub-district (admin3)."""
    if same_place(a.place, b.place) or same_place(town_of(a.place), town_of(b.place)):
        return True
    return bool(a.admin3) and same_name(a.admin3, b.admin3)


def date_within_window(a: Coding, b: Coding) -> bool:
    """The two dates lie within the larger of the two coders' precision windows."""
    window = max(WINDOW_DAYS[a.time_precision], WINDOW_DAYS[b.time_precision])
    return abs((a.event_date - b.event_date).days) <= window


def fatalities_close(a: int, b: int, tolerance: float = FATALITY_TOLERANCE) -> bool:
    """Within ``tolerance`` of the larger figure (so 0 only agrees with 0)."""
    return abs(a - b) <= tolerance * max(a, b)


DATE_DAY, DATE_WINDOW = "event_date (same day)", "event_date (within time-precision window)"
PLACE_NAME, PLACE_AREA = "place (same name, transliteration-folded)", "place (same town or sub-district)"
ACTOR_PAIR = "actor pair (either order)"
DEATHS_EXACT, DEATHS_CLOSE = "fatalities (exact)", "fatalities (within 20 %)"

#: (field label, test of agreement between first and second coding), in the order the table shows them.
FIELDS: tuple[tuple[str, Callable[[Coding, Coding], bool]], ...] = (
    (DATE_DAY, lambda a, b: a.event_date == b.event_date),
    (DATE_WINDOW, date_within_window),
    (PLACE_NAME, lambda a, b: same_place(a.place, b.place)),
    (PLACE_AREA, same_area),
    ("actor1", lambda a, b: same_name(a.actor1, b.actor1)),
    ("actor2", lambda a, b: same_name(a.actor2, b.actor2)),
    (ACTOR_PAIR, lambda a, b: sorted(map(_norm, (a.actor1, a.actor2))) == sorted(map(_norm, (b.actor1, b.actor2)))),
    ("event_type", lambda a, b: same_name(a.event_type, b.event_type)),
    ("sub_event_type", lambda a, b: same_name(a.sub_event_type, b.sub_event_type)),
    (DEATHS_EXACT, lambda a, b: a.fatalities == b.fatalities),
    (DEATHS_CLOSE, lambda a, b: fatalities_close(a.fatalities, b.fatalities)),
)

#: (attribute, strict field label, lenient field label or None) for the list of disagreements.
DISAGREEMENT_FIELDS: tuple[tuple[str, str, str | None], ...] = (
    ("event_date", DATE_DAY, DATE_WINDOW), ("place", PLACE_NAME, PLACE_AREA),
    ("actor1", "actor1", ACTOR_PAIR), ("actor2", "actor2", ACTOR_PAIR),
    ("event_type", "event_type", None), ("sub_event_type", "sub_event_type", None),
    ("fatalities", DEATHS_EXACT, DEATHS_CLOSE),
)


@dataclass(frozen=True)
class Pair:
    """One sampled event as both coders coded it."""

    sample_id: str
    event_id: str
    first: Coding
    second: Coding


def join(sample: dict[str, str], second: dict[str, Coding], first: dict[str, Coding],
         subset: bool = False) -> list[Pair]:
    """The sampled events with both codings; every sample must be second-coded, and unless ``subset`` is
    set (a sample file listing only some of the second-coded samples) nothing else may be."""
    missing = sorted(set(sample) - second.keys())
    extra = [] if subset else sorted(set(second) - sample.keys())
    if missing or extra:
        raise CurationError("second coding does not match the sample: "
                            f"not coded {missing or 'none'}, not in the sample {extra or 'none'}")
    return [Pair(sid, eid, first[eid], second[sid]) for sid, eid in sample.items()]


def rates(pairs: Sequence[Pair]) -> list[tuple[str, int, int]]:
    """(field, agreements, n) for every field of :data:`FIELDS`."""
    return [(label, sum(test(p.first, p.second) for p in pairs), len(pairs)) for label, test in FIELDS]


def nominal_alpha(ratings: Sequence[Sequence[str | None]]) -> float:
    """Krippendorff's alpha for nominal data; ``ratings`` is coders x units, None where a value is missing.

    The computation is the ``krippendorff`` package's; categories are mapped to numbers first. Alpha is
    undefined when every pairable value is the same category, which is reported as an error.
    """
    try:
        import krippendorff
        import numpy as np
    except ImportError:
        raise CurationError("alpha needs the 'krippendorff' package: pip install 'openconflict[curate]'") from None
    codes: dict[str, int] = {}
    matrix = [[np.nan if v is None else codes.setdefault(v, len(codes)) for v in row] for row in ratings]
    if len(codes) < 2:
        raise CurationError("Krippendorff's alpha is undefined: all coded values are the same category")
    return float(krippendorff.alpha(reliability_data=np.array(matrix, dtype=float),
                                    level_of_measurement="nominal"))


def report(pairs: Sequence[Pair]) -> str:
    """The agreement table, alpha and every disagreement, as Markdown."""
    lines = ["| field | agreements | n | agreement |", "|---|---:|---:|---:|"]
    lines += [f"| {label} | {k} | {n} | {100 * k / n:.1f} % |" for label, k, n in rates(pairs)]
    subs = [[p.first.sub_event_type for p in pairs], [p.second.sub_event_type for p in pairs]]
    types = [[p.first.event_type for p in pairs], [p.second.event_type for p in pairs]]
    lines += ["", f"Krippendorff's alpha (nominal), sub_event_type: {_alpha_text(subs)} (n = {len(pairs)})",
              f"Krippendorff's alpha (nominal), event_type: {_alpha_text(types)} (n = {len(pairs)})", "",
              "| sample | event | field | first coder | second coder | lenient rule agrees |",
              "|---|---|---|---|---|---|"]
    tests = dict(FIELDS)
    for p in pairs:
        for name, strict, lenient in DISAGREEMENT_FIELDS:
            if not tests[strict](p.first, p.second):
                near = "-" if lenient is None else ("yes" if tests[lenient](p.first, p.second) else "no")
                lines.append(f"| {p.sample_id} | {p.event_id} | {name} | {_value(p.first, name)} | "
                             f"{_value(p.second, name)} | {near} |")
    return "\n".join(lines) + "\n"


def _alpha_text(ratings: list[list[str]]) -> str:
    try:
        return f"{nominal_alpha(ratings):.3f}"
    except CurationError as exc:
        return f"undefined ({exc})"


def _value(coding: Coding, field: str) -> str:
    value = getattr(coding, field)
    if field == "event_date":
        return f"{value.isoformat()} (precision {coding.time_precision})"
    return str(value) if value != "" else "(none)"


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry; errors are one line on stderr and exit status 2, never a traceback."""
    parser = argparse.ArgumentParser(prog="python -m openconflict.curation.agreement",
                                     description="Compare a blind second coding with the curated events.")
    parser.add_argument("sample", type=Path, help="sample file (sample_id, event_id, ...)")
    parser.add_argument("second", type=Path, help="second coder's file (sample_id, event_date, ...)")
    parser.add_argument("--datasets", type=Path, default=Path("datasets"), help="datasets tree (default ./datasets)")
    parser.add_argument("--out", type=Path, help="also write the Markdown to this file")
    parser.add_argument("--subset", action="store_true",
                        help="SAMPLE lists only some second-coded samples (e.g. events re-matched after unblinding)")
    args = parser.parse_args(argv)
    try:
        sample, locations = read_sample(args.sample), read_locations(args.datasets)
        second = {sid: locate(c, locations) for sid, c in read_second(args.second).items()}
        pairs = join(sample, second, read_first(args.datasets, list(sample.values()), locations), args.subset)
        text = report(pairs)
        if args.out is not None:
            args.out.write_text(text, encoding="utf-8")
    except (OpenConflictError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
