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
from .uncertainty import RANGE_COLUMNS, Uncertainty, read_uncertainty

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

#: Columns of data/events.parquet the report reads (nothing else is loaded).
EVENT_COLUMNS = ["event_date", "event_type", "sub_event_type", "actor1", "actor2", "country", "admin1",
                 "location_id", "latitude", "longitude", "fatalities", "time_precision", "geo_precision",
                 "source_ids"]
#: Text columns with few distinct values, read as dictionaries.
DICTIONARY_COLUMNS = ["event_type", "sub_event_type", "actor1", "actor2", "country", "admin1", "location_id"]
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


def _read(path: Path, columns: list[str], dictionary: list[str] | None = None,
          optional: Sequence[str] = (), later: Sequence[str] = ()) -> pa.Table:
    """The named columns of a release table (and those of ``optional`` it has); vocabulary-like text columns
    as dictionaries (small, fast). Columns in ``later`` must exist but are not read (a figure reads them a
    batch at a time, see :func:`_multi_report_events`)."""
    import pyarrow.parquet as pq

    if not path.is_file():
        raise ReportError(f"cannot make the report: {path} is missing (is this a release folder?)")
    try:
        pf = pq.ParquetFile(path, read_dictionary=dictionary or [])
        missing = [c for c in columns if c not in pf.schema_arrow.names]
        if missing:
            raise ReportError(f"cannot make the report: {path} has no column(s) {', '.join(missing)}")
        present = [c for c in optional if c in pf.schema_arrow.names]
        table = pf.read(columns=[*(c for c in columns if c not in later), *present],
                        use_threads=True).unify_dictionaries()
    except ReportError:
        raise
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for a file that is not Parquet
        raise ReportError(f"cannot make the report: {path} is not a readable Parquet file ({exc})") from None
    return _check_kinds(table, str(path))


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


class Coded:
    """:func:`codes` of a table's columns, each computed once."""

    def __init__(self, table: pa.Table) -> None:
        self.table = table
        self._memo: dict[str, tuple[np.ndarray, list[Any]]] = {}

    def __call__(self, name: str) -> tuple[np.ndarray, list[Any]]:
        if name not in self._memo:
            self._memo[name] = codes(self.table.column(name))
        return self._memo[name]


def _tally(idx: np.ndarray, values: list[Any], weights: np.ndarray | None = None) -> dict[Any, int]:
    import numpy as np

    keep = idx >= 0
    sums = np.bincount(idx[keep], weights=None if weights is None else weights[keep], minlength=len(values))
    out: dict[Any, int] = {}
    for value, n in zip(values, sums.tolist(), strict=True):
        if n and value is not None:
            out[value] = out.get(value, 0) + int(n)
    return out


def ranked(counts: dict[Any, int]) -> list[tuple[Any, int]]:
    """Largest first; ties in the order of the values, so the result never depends on row order."""
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def _monthly(events: pa.Table, coded: Coded, types: list[str]) -> tuple[list[str], dict[str, list[int]], dict[str, list[int]]]:
    """Events and fatalities per calendar month and event type, with empty months filled in as zero."""
    import numpy as np
    import pyarrow.compute as pc

    dates = events.column("event_date")
    if events.num_rows == 0 or dates.null_count == events.num_rows:
        return [], {}, {}
    month = pc.add(pc.multiply(pc.year(dates), 12), pc.subtract(pc.month(dates), 1))
    m = pc.fill_null(month, -1).to_numpy().astype(np.int64)
    first, last = int(m[m >= 0].min()), int(m.max())
    months = [f"{k // 12:04d}-{k % 12 + 1:02d}" for k in range(first, last + 1)]
    t_idx, t_values = coded("event_type")
    ok = (m >= 0) & (t_idx >= 0)
    key = (m[ok] - first) * len(t_values) + t_idx[ok]
    size = len(months) * len(t_values)
    n = np.bincount(key, minlength=size).reshape(len(months), len(t_values))
    fat = pc.fill_null(events.column("fatalities"), 0).to_numpy().astype(np.float64)
    f = np.bincount(key, weights=fat[ok], minlength=size).reshape(len(months), len(t_values))
    ev: dict[str, list[int]] = {k: [0] * len(months) for k in types}
    fa: dict[str, list[int]] = {k: [0] * len(months) for k in types}
    for j, kind in enumerate(t_values):
        if not n[:, j].any():
            continue
        ev.setdefault(kind, [0] * len(months))
        fa.setdefault(kind, [0] * len(months))
        ev[kind] = [a + int(b) for a, b in zip(ev[kind], n[:, j].tolist(), strict=True)]
        fa[kind] = [a + int(round(b)) for a, b in zip(fa[kind], f[:, j].tolist(), strict=True)]
    return months, ev, fa


def _points(events: pa.Table, coded: Coded) -> dict[str, Any]:
    """Map markers: events with the same place, event type and fatality class coincide, so each such
    group is one marker (with the number of events behind it); see mapping.FATALITY_CLASSES.

    A marker stands at the coordinates of the first event at its place (a place's events share them).
    """
    import numpy as np
    import pyarrow.compute as pc

    from .mapping import fatality_class

    lat = pc.fill_null(events.column("latitude"), np.nan).to_numpy()
    lon = pc.fill_null(events.column("longitude"), np.nan).to_numpy()
    loc, l_values = coded("location_id")
    typ, t_values = coded("event_type")
    cls = fatality_class(pc.fill_null(events.column("fatalities"), 0).to_numpy())
    ok = np.flatnonzero(np.isfinite(lat) & np.isfinite(lon) & (loc >= 0) & (typ >= 0))
    first_at = np.zeros(max(1, len(l_values)), dtype=np.int64)
    first_at[loc[ok][::-1]] = ok[::-1]  # the last write wins: the first row of each place
    nt, nc = len(t_values) + 1, 64
    key = (loc[ok] * nt + typ[ok]) * nc + cls[ok]
    space = len(l_values) * nt * nc
    if space <= 16_000_000:  # counting sort: linear, and the keys come out in order
        counts = np.bincount(key, minlength=space)
        keys = np.flatnonzero(counts)
        count = counts[keys]
    else:
        keys, count = np.unique(key, return_counts=True)
    rows = first_at[keys // (nt * nc)]
    return {"latitude": lat[rows], "longitude": lon[rows],
            "event_type": np.asarray(t_values, dtype=object)[(keys // nc) % nt],
            "size_class": keys % nc, "events": count}


def _precision(coded: Coded, column: str, meanings: dict[int, str]) -> list[tuple[int, str, int]]:
    counts = _tally(*coded(column))
    keys = sorted(set(meanings) | set(counts))
    return [(code, meanings.get(code, "code not in the codebook"), counts.get(code, 0)) for code in keys]


def _columns(table: pa.Table, columns: list[str], where: str, optional: Sequence[str] = ()) -> pa.Table:
    """The named columns (and those of ``optional`` it has) of a table the caller already holds, checked like
    :func:`_read` checks a file's."""
    missing = [c for c in columns if c not in table.column_names]
    if missing:
        raise ReportError(f"cannot make the report: the {where} table has no column(s) {', '.join(missing)}")
    return _check_kinds(table.select([*columns, *(c for c in optional if c in table.column_names)]), where)


def _multi_report_events(events: pa.Table, path: Path) -> int:
    """Events citing more than one report; counted a batch at a time from the file when ``events`` lacks
    the (bulky) ``source_ids`` column: at 10M events it would add about 400 MB to a build's peak."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    def count(ids: Any) -> int:
        return int(pc.sum(pc.greater_equal(pc.count_substring(pc.fill_null(ids, ""), "; "), 1)).as_py() or 0)

    if "source_ids" in events.column_names:
        return count(events.column("source_ids"))
    try:
        file = pq.ParquetFile(path)
    except Exception as exc:  # noqa: BLE001 - as in _read
        raise ReportError(f"cannot make the report: {path} is not a readable Parquet file ({exc})") from None
    _check_kinds(file.schema_arrow.empty_table().select(["source_ids"]), str(path))  # as if read whole
    try:
        return sum(count(batch.column(0)) for batch in file.iter_batches(batch_size=65_536, columns=["source_ids"]))
    except Exception as exc:  # noqa: BLE001 - as in _read
        raise ReportError(f"cannot make the report: {path} is not a readable Parquet file ({exc})") from None


def compute_figures(folder: Path, previous: Path | None = None,
                    tables: Mapping[str, pa.Table] | None = None) -> Figures:
    """Read the release in ``folder`` (and the version of ``previous``) and compute the report's numbers.

    ``tables`` may give the ``events`` and ``sources`` tables in memory instead of reading their Parquet
    files (the same rows give the same numbers: every count is over values, ties broken by value)."""
    import numpy as np
    import pyarrow.compute as pc

    if not folder.is_dir():
        raise ReportError(f"cannot make the report: no release folder at {folder}")
    meta = read_meta(folder, previous)
    tables = tables or {}
    events = (_columns(tables["events"], EVENT_COLUMNS, "events", RANGE_COLUMNS) if "events" in tables
              else _read(folder / "data" / "events.parquet", EVENT_COLUMNS, DICTIONARY_COLUMNS, RANGE_COLUMNS,
                         later=["source_ids"]))
    sources = (_columns(tables["sources"], SOURCE_COLUMNS, "sources") if "sources" in tables
               else _read(folder / "data" / "sources.parquet", SOURCE_COLUMNS, SOURCE_COLUMNS))
    types = list(meta.event_types or DEFAULT_EVENT_TYPES)
    first = last = None
    if events.num_rows and events.column("event_date").null_count < events.num_rows:
        lo, hi = pc.min_max(events.column("event_date")).values()
        first, last = str(lo.as_py()), str(hi.as_py())
    coded = Coded(events)
    country, c_values = coded("country")
    admin1, a_values = coded("admin1")
    both = (country >= 0) & (admin1 >= 0)
    headline = Headline(
        events=events.num_rows,
        fatalities=int(pc.sum(events.column("fatalities")).as_py() or 0),
        reports=sources.num_rows,
        publishers=len(_tally(*codes(sources.column("publisher")))),
        languages=len(_tally(*codes(sources.column("language")))),
        first_date=first, last_date=last, countries=sorted(_tally(country, c_values)),
        governorates=len({(c_values[k // len(a_values)], a_values[k % len(a_values)])
                          for k in np.unique(country[both] * len(a_values) + admin1[both]).tolist()}))
    fig = Figures(meta=meta, headline=headline, event_types=types)
    fig.months, fig.monthly_events, fig.monthly_fatalities = _monthly(events, coded, types)
    fig.event_types += [k for k in fig.monthly_events if k not in fig.event_types]
    rank = {t: i for i, t in enumerate(fig.event_types)}
    typ, t_values = coded("event_type")
    sub, s_values = coded("sub_event_type")
    ok = (typ >= 0) & (sub >= 0)
    pairs = np.bincount(typ[ok] * max(1, len(s_values)) + sub[ok], minlength=len(t_values) * max(1, len(s_values)))
    merged: dict[tuple[str, str], int] = {}
    for k in np.flatnonzero(pairs).tolist():
        pair = (t_values[k // len(s_values)], s_values[k % len(s_values)])
        merged[pair] = merged.get(pair, 0) + int(pairs[k])
    fig.sub_event_types = sorted(((t, s, n) for (t, s), n in merged.items()),
                                 key=lambda r: (rank.get(r[0], len(rank)), -r[2], r[1]))
    fig.top_actor1 = ranked(_tally(*coded("actor1")))[:TOP_ACTORS]
    fig.top_actor2 = ranked(_tally(*coded("actor2")))[:TOP_ACTORS]
    fig.points = _points(events, coded)
    fig.time_precision = _precision(coded, "time_precision", TIME_PRECISION)
    fig.geo_precision = _precision(coded, "geo_precision", GEO_PRECISION)
    fig.multi_report_events = _multi_report_events(events, folder / "data" / "events.parquet")
    publishers = ranked(_tally(*codes(sources.column("publisher"))))
    fig.reports_by_publisher = publishers[:TOP_PUBLISHERS]
    rest = publishers[TOP_PUBLISHERS:]
    fig.publishers_not_shown = (len(rest), sum(n for _, n in rest))
    fig.reports_by_language = ranked(_tally(*codes(sources.column("language"))))
    fig.uncertainty = read_uncertainty(folder, events, tables.get("agreement"))
    return fig
