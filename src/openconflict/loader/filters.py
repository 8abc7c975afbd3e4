"""What a researcher asks for (places, dates, event types, actors, interactions...), checked and normalised
once and translated into each engine's own pushdown language: a pyarrow expression (which the Parquet scan
prunes row groups with) and parameterised SQL for DuckDB (values are never pasted into the query text).

Why one class: every output (pandas, Arrow, polars, DuckDB, Dask) must return exactly the same rows for the
same arguments, so the arguments are checked and interpreted in one place. Here they are checked for type
and form only; :mod:`.resolve` then matches them against what the release holds (case-insensitively,
with the closest values when one matches nothing) and replaces them by the release's exact spelling, so
the comparisons below stay exact and the row-group statistics can prune.
"""

from __future__ import annotations

import datetime as dt
import numbers
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from openconflict.errors import ArgumentError, ArgumentTypeError

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.dataset as pads

__all__ = ["ACTOR_ROLES", "FILTERS", "TEXT_FILTERS", "Filters", "parse_bound", "quote_ident"]

_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?$", re.ASCII)
_RE_META = set("\\.^$|?*+()[]{}")
ASSOC_COLUMNS = ("assoc_actor_1", "assoc_actor_2")
_INT64_MAX = 2**63 - 1  # min_fatalities above every count still matches nothing, without overflowing
#: Text filters compared for equality with one column (case-insensitively, see :mod:`.resolve`).
TEXT_FILTERS: tuple[str, ...] = ("iso3", "country", "region", "admin1", "admin2", "location", "event_type",
                                 "sub_event_type")
#: Every filter keyword of load_events, in the order the documentation lists them.
FILTERS: tuple[str, ...] = (*TEXT_FILTERS, "start", "end", "year", "actor", "actor_role", "interaction",
                            "min_fatalities", "civilian_targeting")
#: ``actor=`` matches actor1/actor2 ("primary", the default) or also the associated actors ("any").
ACTOR_ROLES: tuple[str, ...] = ("primary", "any")
#: The two wordings of the civilian-targeting flag: ACLED's data files' and one page of its web codebook's.
CIVILIAN_TARGETING_VALUES: tuple[str, ...] = ("Civilian targeting", "Civilians targeted")


def _items(name: str, value: Any, example: str) -> list[Any]:
    """One value or an iterable of them, as a list (never a str's characters, a dict's keys or bytes)."""
    if isinstance(value, (str, numbers.Number, dt.date)) or not isinstance(value, Iterable) or \
            isinstance(value, (bytes, bytearray, Mapping)):
        values = [value]
    else:
        values = list(value)
    if not values:
        raise ArgumentError(f"{name}=[] matches nothing; pass None to not filter on {name}")
    for v in values:
        if v is None:
            raise ArgumentTypeError(f"{name} holds None in its list; give only values such as {example} "
                                    f"(pass {name}=None to not filter on {name})")
    return values


def _texts(name: str, value: Any) -> list[str] | None:
    if value is None:
        return None
    example = "'SYR'" if name == "iso3" else "'Aleppo'" if name.startswith(("admin", "location")) else "'...'"
    out = []
    for v in _items(name, value, example):
        if not isinstance(v, str):
            raise ArgumentTypeError(f"{name} takes text such as {example} (or a list of texts), "
                                    f"not {v!r} ({type(v).__name__})")
        text = v.strip()
        if not text:
            raise ArgumentError(f"{name}={v!r} is empty; pass {name}=None to not filter on {name}")
        out.append(text)
    return list(dict.fromkeys(out))


def _ints(name: str, value: Any, example: str) -> list[Any]:
    out = []
    for v in _items(name, value, example):
        if isinstance(v, bool) or not isinstance(v, (numbers.Integral, str)):
            raise ArgumentTypeError(f"{name} takes {example}, not {v!r} ({type(v).__name__})")
        out.append(v if isinstance(v, str) else int(v))
    return list(dict.fromkeys(out))


def parse_bound(name: str, value: Any, *, end: bool) -> dt.date | None:
    """A date bound; a year or year-month means its first day for start and its last day for end."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool) or not isinstance(value, (str, numbers.Integral)):
        if type(value).__module__.split(".")[0] in ("pandas", "numpy") and hasattr(value, "isoformat"):
            value = value.isoformat()[:10]  # a pandas Timestamp or numpy datetime64
        else:
            raise ArgumentTypeError(f"{name} takes a date ('2024-03-01', '2024-03', 2024 or a datetime.date), "
                                    f"not {value!r} ({type(value).__name__})")
    text = str(int(value)) if isinstance(value, numbers.Integral) else value.strip()
    m = _DATE_RE.match(text)
    if not m:
        raise ArgumentError(f"{name}={value!r}: use a date such as '2024-03-01', '2024-03', 2024 or a datetime.date")
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
        raise ArgumentError(f"{name}={value!r}: {exc}") from None


def assoc_pattern(values: Iterable[str]) -> str:
    """An RE2/Python regex matching one whole element of a '; '-joined list."""
    alts = "|".join("".join("\\" + ch if ch in _RE_META else ch for ch in v) for v in values)
    return f"(?:^|; )(?:{alts})(?:; |$)"


def _arrow_kind(kind: str) -> pa.DataType:
    """The Arrow type of a filter value: what ``pa.scalar`` infers for text and ints, date32 for dates."""
    import pyarrow as pa

    return {"text": pa.string(), "int": pa.int64(), "date": pa.date32(), "bool": pa.bool_()}[kind]


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class Filters:
    """Normalised filters of one load; see :func:`openconflict.load_events` for their meaning.

    ``equals`` maps a column to the values it may take (text, or ints for year and interaction);
    ``interaction`` may still hold labels until :mod:`.resolve` turns them into codes.
    """

    def __init__(self, *, country: Any = None, iso3: Any = None, region: Any = None, admin1: Any = None,
                 admin2: Any = None, location: Any = None, start: Any = None, end: Any = None, year: Any = None,
                 event_type: Any = None, sub_event_type: Any = None, actor: Any = None,
                 actor_role: str = "primary", interaction: Any = None, min_fatalities: Any = None,
                 civilian_targeting: Any = None) -> None:
        given = {"iso3": iso3, "country": country, "region": region, "admin1": admin1, "admin2": admin2,
                 "location": location, "event_type": event_type, "sub_event_type": sub_event_type}
        self.equals: dict[str, list[Any]] = {}
        for col in TEXT_FILTERS:
            values = _texts(col, given[col])
            if values is not None:
                self.equals[col] = values
        if year is not None:
            years = _ints("year", year, "a year such as 2016 (or a list of years)")
            if any(isinstance(y, str) for y in years):
                bad = next(y for y in years if isinstance(y, str))
                raise ArgumentTypeError(f"year takes a whole number such as 2016, not {bad!r} (str)")
            self.equals["year"] = years
        if interaction is not None:
            self.equals["interaction"] = _ints("interaction", interaction,
                                               "an interaction code such as 12 or an ACLED label such as "
                                               "'State forces-Rebel group'")
        self.start = parse_bound("start", start, end=False)
        self.end = parse_bound("end", end, end=True)
        if self.start and self.end and self.start > self.end:
            raise ArgumentError(f"start {self.start} is after end {self.end}")
        self.actor = _texts("actor", actor)
        if actor_role not in ACTOR_ROLES:
            raise ArgumentError(f"actor_role={actor_role!r}; choose 'primary' (actor1 or actor2, the default) "
                                "or 'any' (also the associated actors)")
        self.actor_role = actor_role
        if min_fatalities is not None and (isinstance(min_fatalities, bool)
                                           or not isinstance(min_fatalities, numbers.Integral)):
            raise ArgumentTypeError(f"min_fatalities takes a whole number such as 1, not {min_fatalities!r}")
        if min_fatalities is not None and min_fatalities < 0:
            raise ArgumentError(f"min_fatalities={min_fatalities} is negative; fatalities are 0 or more")
        self.min_fatalities = None if min_fatalities is None else int(min_fatalities)
        self.civilian_targeting = _flag(civilian_targeting)

    @property
    def columns(self) -> list[str]:
        """The columns the filters read (a scan must read them even when ``columns`` leaves them out)."""
        cols = list(self.equals)
        if self.start or self.end:
            cols.append("event_date")
        if self.actor:
            cols += ["actor1", "actor2", *(ASSOC_COLUMNS if self.actor_role == "any" else ())]
        if self.min_fatalities is not None:
            cols.append("fatalities")
        if self.civilian_targeting is not None:
            cols.append("civilian_targeting")
        return list(dict.fromkeys(cols))

    def arrow(self) -> pads.Expression | None:
        """A pyarrow dataset expression (row-group statistics pruning works on these), or None."""
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.dataset as ds

        def call(name: str, *args: Any, pattern: str | None = None) -> Any:
            fn = getattr(pc, name)
            return fn(*args) if pattern is None else fn(*args, pattern=pattern)

        return self._predicate(ds.field, lambda value, kind: pa.scalar(value, _arrow_kind(kind)), call)

    def mask(self, table: pa.Table) -> pa.ChunkedArray | None:
        """The same predicate as :meth:`arrow`, evaluated on the columns of ``table`` (None: no filter).

        Why both: an expression needs ``pyarrow.dataset``, and importing that (or converting a Python value
        with ``pa.scalar``) imports pandas, 0.15 s of a fresh process's load; the mask uses compute kernels
        (:mod:`.kernels`) and :func:`.literals.literal` only. One builder makes both, so they cannot disagree.
        """
        from openconflict.loader.kernels import call
        from openconflict.loader.literals import literal

        return self._predicate(table.column, lambda value, kind: literal(value, _arrow_kind(kind)), call)

    def _predicate(self, field: Any, lit: Any, call: Any) -> Any:
        """The filters ANDed: ``field(name)`` gives a column, ``lit(value, kind)`` a value and
        ``call(kernel, *args, pattern=None)`` applies a compute kernel (to expressions or to arrays).

        Kleene ``or``/``and`` and ``invert`` are what the expression operators ``|``, ``&``, ``~`` call, so
        an expression built here is the one the operators would build (and the statistics simplifier prunes
        a chain of ``equal`` reliably, which it does not do for ``is_in``).
        """

        def any_of(exprs: list[Any]) -> Any:
            out = exprs[0]
            for e in exprs[1:]:
                out = call("or_kleene", out, e)
            return out

        false = lit(False, "bool")
        parts: list[Any] = []
        for col, values in self.equals.items():
            parts.append(any_of([call("equal", field(col), lit(v, "text" if isinstance(v, str) else "int"))
                                 for v in values]))
        if self.start:
            parts.append(call("greater_equal", field("event_date"), lit(self.start, "date")))
        if self.end:
            parts.append(call("less_equal", field("event_date"), lit(self.end, "date")))
        if self.actor:
            terms = [call("coalesce", call("equal", field(col), lit(v, "text")), false)
                     for col in ("actor1", "actor2") for v in self.actor]
            if self.actor_role == "any":
                pattern = assoc_pattern(self.actor)
                terms += [call("coalesce", call("match_substring_regex", field(col), pattern=pattern), false)
                          for col in ASSOC_COLUMNS]
            parts.append(any_of(terms))
        if self.min_fatalities is not None:
            at_least = lit(min(self.min_fatalities, _INT64_MAX), "int")
            parts.append(call("coalesce", call("greater_equal", field("fatalities"), at_least), false))
        if self.civilian_targeting is not None:
            flagged = call("coalesce", call("not_equal", field("civilian_targeting"), lit("", "text")), false)
            parts.append(flagged if self.civilian_targeting else call("invert", flagged))
        if not parts:
            return None
        out = parts[0]
        for p in parts[1:]:
            out = call("and_kleene", out, p)
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
            if self.actor_role == "any":
                for col in ASSOC_COLUMNS:
                    ors.append(f"coalesce(list_has_any(string_split({col}, '; '), ?::VARCHAR[]), false)")
                    params.append(list(self.actor))
            clauses.append("coalesce(" + " OR ".join(ors) + ", false)")
        if self.min_fatalities is not None:
            clauses.append("coalesce(fatalities >= ?, false)")
            params.append(self.min_fatalities)
        if self.civilian_targeting is not None:
            flagged = "coalesce(civilian_targeting <> '', false)"
            clauses.append(flagged if self.civilian_targeting else f"NOT {flagged}")
        return (" AND ".join(clauses) or "TRUE"), params


def _flag(value: Any) -> bool | None:
    """civilian_targeting: True/False, or the flag's text (either wording, any case) meaning True."""
    if value is None or isinstance(value, bool):
        return value
    if type(value).__module__ == "numpy" and type(value).__name__ == "bool_":
        return bool(value)
    if not isinstance(value, str):
        raise ArgumentTypeError(f"civilian_targeting takes True, False or 'Civilian targeting', not {value!r} "
                                f"({type(value).__name__})")
    if value.strip().casefold() in {v.casefold() for v in CIVILIAN_TARGETING_VALUES}:
        return True
    hint = "use civilian_targeting=False for events not flagged" if not value.strip() else \
        "the flag reads 'Civilian targeting' (ACLED's data files; some releases word it 'Civilians targeted')"
    raise ArgumentError(f"civilian_targeting={value!r}: {hint}; or pass True/False")
