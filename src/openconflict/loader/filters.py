"""What a researcher asks for (country, dates, event types, actors), normalised once and translated into
each engine's own pushdown language: a pyarrow expression (which the Parquet scan prunes row groups with)
and parameterised SQL for DuckDB (values are never pasted into the query text).

Why one class: every output (pandas, Arrow, polars, DuckDB, Dask) must return exactly the same rows for the
same arguments, so the arguments are checked and interpreted in one place.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow.dataset as pads

__all__ = ["Filters", "parse_bound", "quote_ident"]

_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?$", re.ASCII)
_RE_META = set("\\.^$|?*+()[]{}")
ASSOC_COLUMNS = ("assoc_actor_1", "assoc_actor_2")


def _as_list(name: str, value: Any, *, upper: bool = False) -> list[str] | None:
    if value is None:
        return None
    values = [value] if isinstance(value, str) else list(value)
    if not values:
        raise ValueError(f"{name}=[] matches nothing; pass None to not filter on {name}")
    for v in values:
        if not isinstance(v, str):
            raise TypeError(f"{name} values must be strings, got {v!r}")
    return [v.strip().upper() if upper else v for v in values]


def parse_bound(name: str, value: Any, *, end: bool) -> dt.date | None:
    """A date bound; a year or year-month means its first day for start and its last day for end."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    text = str(value).strip()[:10] if not isinstance(value, str) else value.strip()
    m = _DATE_RE.match(text)
    if not m:
        raise ValueError(f"{name}={value!r}: use a date such as '2024-03-01', '2024-03', 2024 or a datetime.date")
    year, month, day = int(m.group(1)), m.group(2), m.group(3)
    try:
        if day is not None:
            return dt.date(year, int(month), int(day))
        if month is not None:
            first = dt.date(year, int(month), 1)
            if not end:
                return first
            nxt = dt.date(year + (first.month == 12), first.month % 12 + 1, 1)
            return nxt - dt.timedelta(days=1)
        return dt.date(year, 12, 31) if end else dt.date(year, 1, 1)
    except ValueError as exc:
        raise ValueError(f"{name}={value!r}: {exc}") from None


def assoc_pattern(values: Iterable[str]) -> str:
    """An RE2/Python regex matching one whole element of a '; '-joined list."""
    alts = "|".join("".join("\\" + ch if ch in _RE_META else ch for ch in v) for v in values)
    return f"(?:^|; )(?:{alts})(?:; |$)"


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class Filters:
    """Normalised filters of one load; see :func:`openconflict.load_events` for their meaning."""

    def __init__(self, *, country: Any = None, iso3: Any = None, admin1: Any = None, start: Any = None,
                 end: Any = None, event_type: Any = None, sub_event_type: Any = None, actor: Any = None) -> None:
        self.equals: dict[str, list[str]] = {}
        for col, val, upper in (("iso3", iso3, True), ("country", country, False), ("admin1", admin1, False),
                                ("event_type", event_type, False), ("sub_event_type", sub_event_type, False)):
            values = _as_list(col, val, upper=upper)
            if values is not None:
                self.equals[col] = values
        self.start = parse_bound("start", start, end=False)
        self.end = parse_bound("end", end, end=True)
        if self.start and self.end and self.start > self.end:
            raise ValueError(f"start {self.start} is after end {self.end}")
        self.actor = _as_list("actor", actor)

    @property
    def columns(self) -> list[str]:
        """The columns the filters read (a scan must read them even when ``columns`` leaves them out)."""
        cols = list(self.equals)
        if self.start or self.end:
            cols.append("event_date")
        if self.actor:
            cols += ["actor1", "actor2", *ASSOC_COLUMNS]
        return cols

    def check_vocabulary(self, enums: dict[str, list[str]]) -> None:
        """A misspelt event type would silently return nothing; say so instead."""
        import difflib

        for col, values in self.equals.items():
            allowed = enums.get(col)
            if not allowed:
                continue
            for v in values:
                if v not in allowed:
                    close = difflib.get_close_matches(v, allowed, n=3)
                    hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
                    raise ValueError(f"{col}={v!r} is not in this release's vocabulary{hint}")

    def arrow(self) -> pads.Expression | None:
        """A pyarrow dataset expression (row-group statistics pruning works on these), or None."""
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.dataset as ds

        parts: list[pads.Expression] = []
        for col, values in self.equals.items():
            # A chain of == (rather than is_in) is what the statistics simplifier prunes reliably.
            expr = ds.field(col) == values[0]
            for v in values[1:]:
                expr = expr | (ds.field(col) == v)
            parts.append(expr)
        if self.start:
            parts.append(ds.field("event_date") >= pa.scalar(self.start, pa.date32()))
        if self.end:
            parts.append(ds.field("event_date") <= pa.scalar(self.end, pa.date32()))
        if self.actor:
            pattern = assoc_pattern(self.actor)
            expr = None
            for col in ("actor1", "actor2"):
                for v in self.actor:
                    e = ds.field(col) == v
                    expr = e if expr is None else expr | e
            for col in ASSOC_COLUMNS:
                expr = expr | pc.coalesce(pc.match_substring_regex(ds.field(col), pattern=pattern), pa.scalar(False))
            parts.append(expr)
        if not parts:
            return None
        out = parts[0]
        for p in parts[1:]:
            out = out & p
        return out

    def sql(self) -> tuple[str, list[Any]]:
        """A DuckDB WHERE clause with ``?`` parameters, and the parameters."""
        clauses: list[str] = []
        params: list[Any] = []
        for col, values in self.equals.items():
            clauses.append(f"{quote_ident(col)} IN ({', '.join('?' for _ in values)})")
            params += values
        if self.start:
            clauses.append("event_date >= ?")
            params.append(self.start)
        if self.end:
            clauses.append("event_date <= ?")
            params.append(self.end)
        if self.actor:
            marks = ", ".join("?" for _ in self.actor)
            ors = [f"actor1 IN ({marks})", f"actor2 IN ({marks})"]
            params += self.actor * 2
            for col in ASSOC_COLUMNS:
                ors.append(f"coalesce(list_has_any(string_split({col}, '; '), ?::VARCHAR[]), false)")
                params.append(list(self.actor))
            clauses.append("(" + " OR ".join(ors) + ")")
        return (" AND ".join(clauses) or "TRUE"), params
