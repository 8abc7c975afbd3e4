"""Every number of the release report, computed from the release folder's own tables.

Why here and only here: the page and the charts show these numbers and the tests check the page against
the tables, so one module computes them: columns are read from Parquet (text with few values as
dictionaries) and counted over integer codes with numpy, so a million events take a fraction of a second,
and ties are broken by value, so that the same release always gives the same report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openconflict.errors import ReportError

from . import SOURCE_COLUMNS
from .meta import ReleaseMeta, read_meta
from .uncertainty import RANGE_COLUMNS, FatalityRange, Uncertainty, read_uncertainty

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

    from .tally import EventTally

#: Columns of data/events.parquet the report reads (nothing else is loaded).
EVENT_COLUMNS = ["event_date", "event_type", "sub_event_type", "actor1", "actor2", "country", "admin1",
                 "location_id", "latitude", "longitude", "fatalities", "time_precision", "geo_precision",
                 "source_ids"]
#: Text columns with few distinct values, read as dictionaries.
DICTIONARY_COLUMNS = ["event_type", "sub_event_type", "actor1", "actor2", "country", "admin1", "location_id"]
#: Events counted at a time (a few MB of columns), however large the release.
BATCH_ROWS = 1 << 17
TOP_ACTORS = 10
TOP_PUBLISHERS = 15
#: The events table's order, used when a release's schema gives no event_type vocabulary.
DEFAULT_EVENT_TYPES = ["Battles", "Protests", "Riots", "Explosions/Remote violence",
                       "Violence against civilians", "Strategic developments"]
#: Column types the computations rely on, as the release writer produces them (pyarrow.types predicates).
KINDS = {"event_date": ("date", ("is_date", "is_timestamp")), "fatalities": ("integer", ("is_integer",)),
         "latitude": ("float", ("is_floating",)), "longitude": ("float", ("is_floating",)),
         "time_precision": ("integer", ("is_integer",)), "geo_precision": ("integer", ("is_integer",))}
TIME_PRECISION = {1: "the day itself", 2: "a span of up to about a week", 3: "only the month"}
GEO_PRECISION = {1: "the named place itself", 2: "near it or part of a wider area", 3: "only a larger region"}


@dataclass(frozen=True)
class Headline:
    """The figures at the top of the report."""

    events: int
    fatalities: int
    reports: int
    publishers: int
    languages: int
    first_date: str | None
    last_date: str | None
    countries: list[str]
    governorates: int


@dataclass
class Figures:
    """What the report shows, all derived from one release folder."""

    meta: ReleaseMeta
    headline: Headline
    event_types: list[str]
    months: list[str] = field(default_factory=list)
    monthly_events: dict[str, list[int]] = field(default_factory=dict)
    monthly_fatalities: dict[str, list[int]] = field(default_factory=dict)
    sub_event_types: list[tuple[str, str, int]] = field(default_factory=list)  # (event type, sub type, events)
    top_actor1: list[tuple[str, int]] = field(default_factory=list)
    top_actor2: list[tuple[str, int]] = field(default_factory=list)
    points: dict[str, Any] = field(default_factory=dict)  # latitude, longitude, event_type, size_class, events
    time_precision: list[tuple[int, str, int]] = field(default_factory=list)  # (code, meaning, events)
    geo_precision: list[tuple[int, str, int]] = field(default_factory=list)
    multi_report_events: int = 0
    reports_by_publisher: list[tuple[str, int]] = field(default_factory=list)
    publishers_not_shown: tuple[int, int] = (0, 0)  # (publishers, reports) folded into "others"
    reports_by_language: list[tuple[str, int]] = field(default_factory=list)
    uncertainty: Uncertainty = field(default_factory=Uncertainty)


def _read(path: Path, columns: list[str], dictionary: list[str] | None = None) -> pa.Table:
    """The named columns of a release table; vocabulary-like text columns as dictionaries (small, fast)."""
    file = _open(path, dictionary)
    try:
        table = file.read(columns=columns, use_threads=True).unify_dictionaries()
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for a file that is not Parquet
        raise ReportError(f"cannot make the report: {path} is not a readable Parquet file ({exc})") from None
    return _check_kinds(table, str(path))


def _open(path: Path, dictionary: list[str] | None, columns: Sequence[str] = ()) -> Any:
    """A release table's Parquet file, with the named columns checked to be there."""
    import pyarrow.parquet as pq

    if not path.is_file():
        raise ReportError(f"cannot make the report: {path} is missing (is this a release folder?)")
    try:
        file = pq.ParquetFile(path, read_dictionary=dictionary or [])
    except Exception as exc:  # noqa: BLE001 - as in _read
        raise ReportError(f"cannot make the report: {path} is not a readable Parquet file ({exc})") from None
    missing = [c for c in columns if c not in file.schema_arrow.names]
    if missing:
        raise ReportError(f"cannot make the report: {path} has no column(s) {', '.join(missing)}")
    return file


def _check_kinds(table: pa.Table, where: str) -> pa.Table:
    import pyarrow as pa

    for name in table.column_names:
        if name in KINDS:
            kind, predicates = KINDS[name]
            found = table.schema.field(name).type
            if not any(getattr(pa.types, test)(found) for test in predicates):
                raise ReportError(f"cannot make the report: column {name} of {where} has type {found}, "
                                  f"not {kind} as released")
    return table


def codes(column: pa.ChunkedArray) -> tuple[np.ndarray, list[Any]]:
    """(code per row, value per code) of a column; a null row gets code -1.

    Counting by integer codes with numpy keeps a million rows at a few milliseconds per figure.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if not pa.types.is_dictionary(arr.type):
        arr = pc.dictionary_encode(arr)
    idx = pc.fill_null(arr.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
    return idx, arr.dictionary.to_pylist()


def _tally(idx: np.ndarray, values: list[Any]) -> dict[Any, int]:
    import numpy as np

    keep = idx >= 0
    sums = np.bincount(idx[keep], minlength=len(values))
    out: dict[Any, int] = {}
    for value, n in zip(values, sums.tolist(), strict=True):
        if n and value is not None:
            out[value] = out.get(value, 0) + int(n)
    return out


def ranked(counts: Mapping[Any, int]) -> list[tuple[Any, int]]:
    """Largest first; ties in the order of the values, so the result never depends on row order."""
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def _tallied(folder: Path, tables: Mapping[str, pa.Table]) -> EventTally:
    """The events' counts, a batch at a time, from ``tables["events"]`` or else the release's Parquet file."""
    from .tally import EventTally

    if "events" in tables:
        table = tables["events"]
        missing = [c for c in EVENT_COLUMNS if c not in table.column_names]
        if missing:
            raise ReportError(f"cannot make the report: the events table has no column(s) {', '.join(missing)}")
        ranges = all(c in table.column_names for c in RANGE_COLUMNS)
        table = _check_kinds(table.select([*EVENT_COLUMNS, *(RANGE_COLUMNS if ranges else ())]), "events")
        tally = EventTally(ranges)
        for start in range(0, table.num_rows, BATCH_ROWS):
            _add(tally, table.slice(start, BATCH_ROWS))
        return tally
    path = folder / "data" / "events.parquet"
    file = _open(path, DICTIONARY_COLUMNS, EVENT_COLUMNS)
    ranges = all(c in file.schema_arrow.names for c in RANGE_COLUMNS)
    columns = [*EVENT_COLUMNS, *(RANGE_COLUMNS if ranges else ())]
    _check_kinds(file.schema_arrow.empty_table().select(columns), str(path))
    tally = EventTally(ranges)
    try:
        groups: list[int] = []
        rows = 0
        for i in range(file.metadata.num_row_groups):  # row groups are small (4,096 rows): read a run of them
            groups.append(i)
            rows += file.metadata.row_group(i).num_rows
            if rows >= BATCH_ROWS or i == file.metadata.num_row_groups - 1:
                _add(tally, file.read_row_groups(groups, columns=columns, use_threads=True))
                groups, rows = [], 0
    except ReportError:
        raise
    except Exception as exc:  # noqa: BLE001 - as in _read
        raise ReportError(f"cannot make the report: {path} is not a readable Parquet file ({exc})") from None
    return tally


def _add(tally: EventTally, table: pa.Table) -> None:
    """Count a slice of the events as one batch (its chunks' dictionaries merged, in the order they come)."""
    for batch in table.unify_dictionaries().combine_chunks().to_batches():
        tally.add(batch)


def _precision(counts: Mapping[int, int], meanings: dict[int, str]) -> list[tuple[int, str, int]]:
    keys = sorted(set(meanings) | set(counts))
    return [(code, meanings.get(code, "code not in the codebook"), counts.get(code, 0)) for code in keys]


def _columns(table: pa.Table, columns: list[str], where: str) -> pa.Table:
    """The named columns of a table the caller already holds, checked like :func:`_read` checks a file's."""
    missing = [c for c in columns if c not in table.column_names]
    if missing:
        raise ReportError(f"cannot make the report: the {where} table has no column(s) {', '.join(missing)}")
    return _check_kinds(table.select(columns), where)


def compute_figures(folder: Path, previous: Path | None = None,
                    tables: Mapping[str, pa.Table] | None = None) -> Figures:
    """Read the release in ``folder`` (and the version of ``previous``) and compute the report's numbers.

    ``tables`` may give the ``events`` and ``sources`` tables in memory instead of reading their Parquet
    files (the same rows give the same numbers: every count is over values, ties broken by value). The
    events are counted a batch at a time (:mod:`.tally`), so the report's memory does not grow with them."""
    if not folder.is_dir():
        raise ReportError(f"cannot make the report: no release folder at {folder}")
    meta = read_meta(folder, previous)
    tables = tables or {}
    sources = (_columns(tables["sources"], SOURCE_COLUMNS, "sources") if "sources" in tables
               else _read(folder / "data" / "sources.parquet", SOURCE_COLUMNS, SOURCE_COLUMNS))
    tally = _tallied(folder, tables)
    types = list(meta.event_types or DEFAULT_EVENT_TYPES)
    values = {name: seen.values for name, seen in tally.coded.items()}
    headline = Headline(
        events=tally.rows,
        fatalities=tally.fatalities,
        reports=sources.num_rows,
        publishers=len(_tally(*codes(sources.column("publisher")))),
        languages=len(_tally(*codes(sources.column("language")))),
        first_date=None if tally.first is None else str(tally.first),
        last_date=None if tally.last is None else str(tally.last),
        countries=sorted(values["country"]),  # (a value is numbered only once a row holds it)
        governorates=len({(values["country"][c], values["admin1"][a]) for c, a in tally.governorates}))
    fig = Figures(meta=meta, headline=headline, event_types=types)
    fig.months, fig.monthly_events, fig.monthly_fatalities = tally.monthly(types)
    fig.event_types += [k for k in fig.monthly_events if k not in fig.event_types]
    rank = {t: i for i, t in enumerate(fig.event_types)}
    merged: dict[tuple[str, str], int] = {}
    for (t, s) in sorted(tally.sub_types):
        pair = (values["event_type"][t], values["sub_event_type"][s])
        merged[pair] = merged.get(pair, 0) + tally.sub_types[(t, s)]
    fig.sub_event_types = sorted(((t, s, n) for (t, s), n in merged.items()),
                                 key=lambda r: (rank.get(r[0], len(rank)), -r[2], r[1]))
    fig.top_actor1, fig.top_actor2 = (
        ranked({values[name][code]: n for code, n in counter.items()})[:TOP_ACTORS]
        for name, counter in zip(("actor1", "actor2"), tally.actors, strict=True))
    fig.points = tally.points()
    fig.time_precision = _precision(tally.precision["time_precision"], TIME_PRECISION)
    fig.geo_precision = _precision(tally.precision["geo_precision"], GEO_PRECISION)
    fig.multi_report_events = tally.multi_report
    publishers = ranked(_tally(*codes(sources.column("publisher"))))
    fig.reports_by_publisher = publishers[:TOP_PUBLISHERS]
    rest = publishers[TOP_PUBLISHERS:]
    fig.publishers_not_shown = (len(rest), sum(n for _, n in rest))
    fig.reports_by_language = ranked(_tally(*codes(sources.column("language"))))
    ranges = None if tally.ranges is None else FatalityRange(*tally.ranges)
    fig.uncertainty = read_uncertainty(folder, ranges, tables.get("agreement"))
    return fig
