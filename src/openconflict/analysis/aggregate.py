"""Aggregates: events counted and fatalities summed per unit (admin1, country, ...) and period.

Why this module: almost every analysis of event data starts by turning events into a unit-period table,
and the details are easy to get wrong by hand: weeks need a stated first day, a panel needs zero rows for
the unit-periods in which nothing was recorded (a missing row is not a zero to a regression), and a unit
whose name is missing (an event with no admin2) must not vanish from the counts. :func:`aggregate` does it
in one call for a frame the researcher already holds or for a release version, and
:func:`release_aggregates` builds the ``aggregates_admin{1,2}_month`` tables each release ships.

How: every key becomes an integer code (units by ``pandas.factorize``, periods by date arithmetic in
numpy, the split by its vocabulary), the codes combine into one cell number, and ``numpy.bincount`` counts
events and sums fatalities per cell. That is one linear pass, faster than a pandas group-by on the same
keys, and the complete panel falls out of the same arrays.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["PERIODS", "RELEASE_AGGREGATES", "SPLITS", "WEEKDAYS", "aggregate", "release_aggregates"]

PERIODS = ("day", "week", "month", "year")
SPLITS = ("event_type", "disorder_type")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
#: Release aggregate tables: name -> the unit columns they are counted by (each per month and event type).
from openconflict.release.aggregates import AGGREGATES as RELEASE_AGGREGATES  # noqa: E402

_MONDAY_1970 = 4  # 1970-01-05, day 4 of the Unix epoch, was a Monday
_DENSE_LIMIT = 1 << 22  # cells counted with one bincount below this size; np.unique above it
PANEL_LIMIT = 50_000_000  # rows a complete panel may have (about 1.2 GB of output); more is surely a mistake


def aggregate(data: Any, by: Sequence[str] | str = ("admin1", "month"), *, period_start: Any = None,
              period_end: Any = None, split: str | None = None, complete: bool = False,
              week_start: str = "monday") -> pd.DataFrame:
    """Count events and sum fatalities per unit and period.

    ``data``: a pandas DataFrame, a pyarrow Table, a polars DataFrame, or a version string (``"1.0.1"``,
    ``"latest"``) loaded with :func:`openconflict.load_events`. ``by``: unit columns (any columns of the
    events, e.g. ``country``, ``admin1``, ``admin2``, ``location``) and at most one period: ``"day"``,
    ``"week"`` (starting on ``week_start``), ``"month"`` or ``"year"``, computed from ``event_date``.
    ``split``: ``"event_type"`` or ``"disorder_type"`` adds that column, one row per value.
    ``period_start``/``period_end``: keep only the periods containing these dates (whole periods); with
    ``complete=True`` they also fix the panel's first and last period.
    ``complete=True``: every unit present in ``data`` gets a row for every period from the first to the
    last (and every split value of the vocabulary), with 0 events where nothing was recorded.

    Returns a DataFrame: the unit columns (their dtypes kept; a missing unit name is its own group, never
    dropped), the period (day, week and month labelled by their first day as datetime64; year as an
    integer), the split column (categorical, in codebook order), then ``events`` and ``fatalities``
    (int64), sorted in that order.
    """
    units, period = _parse_by(by)
    if split is not None and split not in SPLITS:
        raise ValueError(f"split={split!r}; choose None, {', '.join(map(repr, SPLITS))}")
    if split is not None and split in units:
        raise ValueError(f"{split!r} is both a unit in by= and the split; name it once")
    origin = _MONDAY_1970 + _weekday(week_start)
    if period is None and (period_start is not None or period_end is not None):
        raise ValueError("period_start/period_end need a period in by= (day, week, month or year)")
    needed = [*units, *(["event_date"] if period else []), *([split] if split else []), "fatalities"]
    frame = _frame(data, needed)
    n = len(frame)

    # Units: observed combinations of the unit columns, sorted, a missing name sorting last.
    unit_code, unit_values = _unit_codes(frame, units)
    n_units = len(unit_values[0]) if units else 1

    # Periods: integer ordinals, a window [lo, hi] from the bounds or from the data.
    keep = None
    if period:
        ordinal = _ordinals(_days(frame["event_date"]), period, origin)
        lo = _bound_ordinal(period_start, period, origin, "period_start")
        hi = _bound_ordinal(period_end, period, origin, "period_end")
        if lo is not None and hi is not None and lo > hi:
            raise ValueError(f"period_start={period_start!r} is after period_end={period_end!r}")
        if lo is not None or hi is not None:
            keep = np.ones(n, dtype=bool)
            if lo is not None:
                keep &= ordinal >= lo
            if hi is not None:
                keep &= ordinal <= hi
        inside = ordinal if keep is None else ordinal[keep]
        lo = (int(inside.min()) if len(inside) else 0) if lo is None else lo
        hi = (int(inside.max()) if len(inside) else -1) if hi is None else hi
        n_periods = hi - lo + 1
        period_code = ordinal - lo
    else:
        lo, n_periods, period_code = 0, 1, np.zeros(n, dtype=np.int64)

    # Split: codes over the vocabulary (codebook order) plus any value the vocabulary lacks.
    if split:
        split_code, split_values = _split_codes(frame[split], split)
    else:
        split_code, split_values = np.zeros(n, dtype=np.int64), None
    n_split = len(split_values) if split_values is not None else 1

    fatalities = _fatalities(frame["fatalities"])
    cell = (unit_code * n_periods + period_code) * n_split + split_code
    if keep is not None:
        cell, fatalities = cell[keep], fatalities[keep]
    total = n_units * n_periods * n_split if n_periods > 0 else 0
    if complete and total > PANEL_LIMIT:
        raise ValueError(f"a complete panel of {n_units:,} unit(s) x {n_periods:,} {period or 'period'}(s) x "
                         f"{n_split} split value(s) would have {total:,} rows (limit {PANEL_LIMIT:,}); use coarser "
                         "units or periods, period_start/period_end, or complete=False")
    if complete or total <= max(_DENSE_LIMIT, 4 * len(cell)):
        counts = np.bincount(cell, minlength=total)
        sums = np.bincount(cell, weights=fatalities, minlength=total)
        selected = np.arange(total, dtype=np.int64) if complete else np.flatnonzero(counts)
        counts, sums = counts[selected], sums[selected]
    else:
        selected, inverse = np.unique(cell, return_inverse=True)
        counts = np.bincount(inverse)
        sums = np.bincount(inverse, weights=fatalities)

    out: dict[str, Any] = {}
    unit_index = selected // (n_periods * n_split)
    for name, values in zip(units, unit_values, strict=True):
        out[name] = values.take(unit_index)
    if period:
        out[period] = _period_labels((selected // n_split) % n_periods + lo, period, origin)
    if split_values is not None:
        out[split] = split_values.take(selected % n_split)
    out["events"] = counts.astype(np.int64)
    out["fatalities"] = np.rint(sums).astype(np.int64)
    return pd.DataFrame(out)


def release_aggregates(events: pa.Table) -> dict[str, pa.Table]:
    """The release's aggregate tables, from its events table (as written to ``data/events.parquet``).

    The release step's own implementation (:mod:`openconflict.release.aggregates`), so a researcher who
    recomputes them from a filtered or edited events table gets exactly the shape and order the release
    ships. Columns and types follow ``schema/release/aggregates_admin{1,2}_month.json``.
    """
    from openconflict.release.aggregates import aggregate_tables
    from openconflict.schema import load_schema

    return aggregate_tables(events, load_schema().vocabulary("event_type"))


# ----------------------------------------------------------------------------------------------- inputs


def _parse_by(by: Sequence[str] | str) -> tuple[list[str], str | None]:
    items = [by] if isinstance(by, str) else list(by)
    if not items or not all(isinstance(b, str) and b for b in items):
        raise TypeError(f"by= takes column names and a period, e.g. ('admin1', 'month'); got {by!r}")
    if len(set(items)) != len(items):
        raise ValueError(f"by={by!r} names a column twice")
    periods = [b for b in items if b in PERIODS]
    if len(periods) > 1:
        raise ValueError(f"by={by!r} names more than one period ({', '.join(periods)}); choose one")
    return [b for b in items if b not in PERIODS], (periods[0] if periods else None)


def _weekday(week_start: str) -> int:
    key = week_start.strip().lower() if isinstance(week_start, str) else week_start
    if key not in WEEKDAYS:
        raise ValueError(f"week_start={week_start!r}; choose one of {', '.join(WEEKDAYS)}")
    return WEEKDAYS.index(key)


def _frame(data: Any, needed: list[str]) -> pd.DataFrame:
    """The needed columns as a pandas DataFrame, whatever kind of frame (or version) was given."""
    if isinstance(data, str):
        from openconflict import load_events

        data = load_events(data, columns=list(dict.fromkeys(needed)), output="arrow")
    if isinstance(data, pd.DataFrame):
        _check_columns(needed, list(data.columns))
        return data
    if type(data).__module__.startswith("polars"):
        data = data.to_arrow()
    if type(data).__module__.startswith("pyarrow") and hasattr(data, "select"):
        _check_columns(needed, list(data.column_names))
        return data.select(list(dict.fromkeys(needed))).to_pandas(date_as_object=False)
    raise TypeError(f"aggregate() takes a pandas DataFrame, a pyarrow Table, a polars DataFrame or a version "
                    f"string, not {type(data).__name__}")


def _check_columns(needed: list[str], available: list[str]) -> None:
    missing = [c for c in dict.fromkeys(needed) if c not in available]
    if missing:
        raise ValueError(f"the frame has no column {', '.join(map(repr, missing))}; it has: {', '.join(available)}")


def _days(dates: pd.Series) -> np.ndarray:
    """Days since 1970-01-01 for each event_date (datetime64, datetime.date objects or ISO text)."""
    if not pd.api.types.is_datetime64_any_dtype(dates.dtype):
        if dates.dtype == object and len(dates) and isinstance(dates.dropna().iloc[0] if dates.notna().any()
                                                               else None, dt.date):
            import pyarrow as pa

            dates = pd.Series(pa.array(dates, pa.date32()).to_numpy(zero_copy_only=False))
        else:
            dates = pd.to_datetime(dates, format="ISO8601")
    values = dates.to_numpy(dtype="datetime64[ns]")
    missing = np.isnat(values)
    if missing.any():
        raise ValueError(f"{int(missing.sum())} event(s) have no event_date, so they fit in no period")
    return values.astype("datetime64[D]").astype(np.int64)


def _ordinals(days: np.ndarray, period: str, origin: int) -> np.ndarray:
    if period == "day":
        return days
    if period == "week":
        return (days - origin) // 7
    unit = "M" if period == "month" else "Y"
    return days.astype("datetime64[D]").astype(f"datetime64[{unit}]").astype(np.int64)


def _bound_ordinal(value: Any, period: str, origin: int, name: str) -> int | None:
    if value is None:
        return None
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}={value!r} is not a date (YYYY-MM-DD, YYYY-MM or a date object)") from exc
    if pd.isna(stamp):
        raise ValueError(f"{name}={value!r} is not a date")
    if not pd.Timestamp.min <= stamp <= pd.Timestamp.max:  # period labels are datetime64[ns]
        raise ValueError(f"{name}={value!r} is outside the dates a period label can hold "
                         f"({pd.Timestamp.min.date()} to {pd.Timestamp.max.date()})")
    day = np.array([stamp.to_datetime64().astype("datetime64[D]").astype(np.int64)])
    return int(_ordinals(day, period, origin)[0])


def _period_labels(ordinals: np.ndarray, period: str, origin: int) -> np.ndarray:
    if period == "year":
        return ordinals.astype(np.int64) + 1970
    if period == "day":
        days = ordinals
    elif period == "week":
        days = ordinals * 7 + origin
    else:
        days = ordinals.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    return days.astype("datetime64[D]").astype("datetime64[ns]")


def _unit_codes(frame: pd.DataFrame, units: list[str]) -> tuple[np.ndarray, list[Any]]:
    """One dense, sorted code per observed combination of the unit columns, and each column's values.

    Columns are folded in one at a time (``code * k + next``, re-densified), so the codes never overflow;
    the values of each column per combination are recovered by unfolding the same steps.
    """
    n = len(frame)
    if not units:
        return np.zeros(n, dtype=np.int64), []
    codes, uniques = [], []
    for name in units:
        c, u = pd.factorize(frame[name], sort=True, use_na_sentinel=False)
        codes.append(c.astype(np.int64))
        uniques.append(u)
    combined = codes[0]
    steps: list[tuple[np.ndarray, int]] = []
    for c, u in zip(codes[1:], uniques[1:], strict=True):
        combined, folded = pd.factorize(combined * len(u) + c, sort=True)
        steps.append((np.asarray(folded, dtype=np.int64), len(u)))
    # Unfold: for each final group, the code of each column.
    per_column: list[np.ndarray] = []
    current = np.arange(int(combined.max()) + 1 if n else 0, dtype=np.int64)
    for folded, k in reversed(steps):
        value = folded[current]
        per_column.append(value % k)
        current = value // k
    per_column.append(current)
    per_column.reverse()
    values = [u.take(idx) for u, idx in zip(uniques, per_column, strict=True)]
    return combined.astype(np.int64), values


def _split_codes(values: pd.Series, split: str) -> tuple[np.ndarray, Any]:
    if values.isna().any():
        raise ValueError(f"{int(values.isna().sum())} event(s) have no {split}; they cannot be split by it")
    if isinstance(values.dtype, pd.CategoricalDtype):
        categories = list(values.cat.categories)
    else:
        from openconflict.schema import load_schema

        vocabulary = load_schema().vocabulary(split)
        present = pd.unique(values.to_numpy())
        categories = vocabulary + sorted(set(map(str, present)) - set(vocabulary))
    cat = pd.Categorical(values, categories=categories)
    return cat.codes.astype(np.int64), pd.Categorical.from_codes(np.arange(len(categories)), categories=categories)


def _fatalities(values: pd.Series) -> np.ndarray:
    if not pd.api.types.is_numeric_dtype(values.dtype):
        raise TypeError(f"fatalities must be numbers, not {values.dtype}")
    return values.to_numpy(dtype="float64", na_value=0.0)
