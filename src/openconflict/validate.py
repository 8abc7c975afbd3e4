"""The rules: every check of the curated tables, column-wise over whole tables.

Why column-wise: a rule is a pyarrow.compute expression producing a mask of offending rows, so a million
events are checked in a fraction of a second and no rule loops over rows in Python. Only offending rows
become :class:`~openconflict.report.Problem` objects. The per-field checks are driven by the published
Table Schemas (required, type, enum, pattern, minimum/maximum, unique); cross-field and cross-table rules
follow.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .curated import Curated, CuratedTable, find_root, read_curated
from .report import Problem, Report, Severity
from .schema import Schema, load_schema

if TYPE_CHECKING:
    import pyarrow as pa

INT_RE = r"^-?[0-9]{1,18}$"  # up to 18 digits: fits int64, holds Unix timestamps
NUM_RE = r"^-?[0-9]{1,3}(\.[0-9]+)?$"
NUM4_RE = r"^-?[0-9]{1,3}(\.[0-9]{1,4})?$"
DATE_RE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
DATETIME_RE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"
EARLIEST = dt.date(1900, 1, 1)
INT32_MAX = 2**31 - 1


def _month_days() -> Any:
    import numpy as np

    return np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)


FORMULA_START = ("=", "+", "-", "@")
CIVILIAN_TYPE = 7
PROTESTER_TYPE = 6
RIOTER_TYPE = 5
TARGETING_TYPES = {"Violence against civilians", "Explosions/Remote violence", "Riots"}

#: Rule ids for pattern failures that deserve a name of their own.
PATTERN_RULES = {("events", "event_id"): "id.pattern", ("deletions", "event_id"): "id.pattern",
                 ("sources", "url"): "value.url", ("event", "event_id_cnty"): "id.pattern"}


class _Checker:
    """Collects problems for one table from boolean masks."""

    def __init__(self, ct: CuratedTable, today: dt.date) -> None:
        self.ct = ct
        self.table = ct.table
        self.today = today
        self.problems: list[Problem] = []
        self._dates: dict[str, tuple[Any, Any]] = {}

    def col(self, name: str) -> pa.ChunkedArray:
        return self.table.column(name)

    def dates(self, name: str) -> tuple[Any, Any]:
        """Parsed dates of a column, computed once per table (several rules need them)."""
        if name not in self._dates:
            self._dates[name] = _parse_dates(self.col(name))
        return self._dates[name]

    def emit(self, mask: Any, column: str, rule: str, message: str, values: Any = None,
             severity: Severity = "error", messages: Any = None) -> None:
        import pyarrow as pa
        import pyarrow.compute as pc

        mask = pc.fill_null(mask, False)
        if isinstance(mask, pa.ChunkedArray):
            mask = mask.combine_chunks() if mask.num_chunks != 1 else mask.chunk(0)
        idx = pc.indices_nonzero(mask)
        if len(idx) == 0:
            return
        files = pc.take(self.col("_file"), idx).to_pylist()
        lines = pc.take(self.col("_line"), idx).to_pylist()
        if values is None:
            values = self.col(column) if column in self.table.column_names else None
        vals = pc.take(values, idx).to_pylist() if values is not None else [""] * len(idx)
        msgs = pc.take(messages, idx).to_pylist() if messages is not None else [message] * len(idx)
        for f, line, v, m in zip(files, lines, vals, msgs, strict=True):
            self.problems.append(Problem(self.ct.files[f], int(line), column, rule, m,
                                         "" if v is None else str(v), severity))


def _nonempty(arr: Any) -> Any:
    import pyarrow.compute as pc

    return pc.not_equal(arr, "")


def _on_distinct(func: Any, arr: Any) -> Any:
    """Apply a per-cell parser to the distinct values only, then spread the results back.

    A million events carry a few thousand distinct dates (and a handful of update stamps), so parsing
    the distinct values and taking by index is much cheaper than parsing every row.
    """
    import pyarrow.compute as pc

    uniq = pc.unique(arr)
    if len(uniq) * 4 > len(arr):
        return func(arr)
    idx = pc.index_in(arr, value_set=uniq)
    out = func(uniq)
    if isinstance(out, tuple):
        return tuple(pc.take(o, idx) for o in out)
    return pc.take(out, idx)


def _parse_dates(arr: Any) -> tuple[Any, Any]:
    """(dates as date32, null where invalid; mask of real calendar dates written YYYY-MM-DD)."""
    return _on_distinct(_parse_dates_all, arr)


def _parse_dates_all(arr: Any) -> tuple[Any, Any]:
    """(dates as date32, null where invalid; mask of real calendar dates written YYYY-MM-DD).

    Vectorised with numpy on the digits (year, month, day sliced out of the text): much faster than a
    strptime/strftime round trip, and exact about month lengths and leap years.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    shaped = pc.fill_null(pc.match_substring_regex(arr, DATE_RE), False)
    safe = pc.if_else(shaped, arr, "1970-01-01")

    def part(start: int, stop: int) -> Any:
        return np.asarray(pc.cast(pc.utf8_slice_codeunits(safe, start, stop), pa.int32()).to_numpy(),
                          dtype=np.int64)

    y, m, d = part(0, 4), part(5, 7), part(8, 10)
    leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))
    month_ok = (m >= 1) & (m <= 12)
    mi = np.clip(m, 1, 12) - 1
    days_in_month = _month_days()[mi] + (leap & (mi == 1))
    real = np.asarray(shaped.to_numpy(zero_copy_only=False), dtype=bool) & month_ok & (d >= 1) & (d <= days_in_month)
    stamp = ((y - 1970).astype("datetime64[Y]").astype("datetime64[M]") + mi.astype("timedelta64[M]")) \
        .astype("datetime64[D]") + (np.clip(d, 1, 31) - 1).astype("timedelta64[D]")
    dates = pa.array(stamp, type=pa.date32(), mask=~real)
    return dates, pa.array(real)


def _real_datetimes(arr: Any) -> Any:
    """Mask of cells that are real UTC times written YYYY-MM-DDTHH:MM:SSZ."""
    return _on_distinct(_real_datetimes_all, arr)


def _real_datetimes_all(arr: Any) -> Any:
    """Mask of cells that are real UTC times written YYYY-MM-DDTHH:MM:SSZ (vectorised like dates)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    shaped = np.asarray(pc.fill_null(pc.match_substring_regex(arr, DATETIME_RE), False)
                        .to_numpy(zero_copy_only=False), dtype=bool)
    _, day_ok = _parse_dates_all(pc.utf8_slice_codeunits(arr, 0, 10))
    safe = pc.if_else(pa.array(shaped), arr, "1970-01-01T00:00:00Z")

    def part(start: int) -> Any:
        return np.asarray(pc.cast(pc.utf8_slice_codeunits(safe, start, start + 2), pa.int32()).to_numpy())

    ok = shaped & np.asarray(day_ok.to_numpy(zero_copy_only=False), dtype=bool)
    ok &= (part(11) < 24) & (part(14) < 60) & (part(17) < 60)
    return pa.array(ok)


def _duplicate_rows(columns: list[Any]) -> Any:
    """Boolean numpy mask of rows whose values in all ``columns`` occur in another row too.

    Each column is dictionary-encoded and the codes are combined into one int64 key (mixed radix), so
    the grouping is a numpy sort of integers instead of hashing long joined strings.
    """
    import numpy as np
    import pyarrow.compute as pc

    key = np.zeros(len(columns[0]), dtype=np.int64)
    radix = 1
    for col in columns:
        enc = pc.dictionary_encode(pc.fill_null(col, "")).combine_chunks()
        size = max(len(enc.dictionary), 1)
        if radix * size >= 2**62:  # too many combinations for one int64: fold by re-encoding the key
            _, key = np.unique(key, return_inverse=True)
            radix = int(key.max()) + 1 if len(key) else 1
        key = key * size + np.asarray(enc.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
        radix *= size
    _, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    return counts[inverse] > 1


def check_fields(ch: _Checker, fields: Sequence[dict[str, Any]], table_name: str, schema: Schema) -> None:
    """Per-field rules driven by the Table Schema."""
    import pyarrow as pa
    import pyarrow.compute as pc

    for fdef in fields:
        name = fdef["name"]
        if name not in ch.table.column_names:
            continue
        arr = ch.col(name)
        cons = fdef.get("constraints", {})
        present = _nonempty(arr)
        if cons.get("required"):
            ch.emit(pc.invert(present), name, "value.required", "a value is required here")
        ftype = fdef["type"]
        if ftype == "integer":
            ok = pc.match_substring_regex(arr, INT_RE)
            ch.emit(pc.and_(present, pc.invert(ok)), name, "value.type", "expected a whole number")
            nums = pc.cast(pc.if_else(ok, arr, None), pa.int64())
            _check_range(ch, nums, name, cons)
            if name != "timestamp":  # released as int32: a larger value could not be stored
                ch.emit(pc.greater(pc.abs(nums), INT32_MAX), name, "value.range",
                        "too large for a 32-bit integer")
        elif ftype == "number":
            ok = pc.match_substring_regex(arr, NUM_RE)
            ch.emit(pc.and_(present, pc.invert(ok)), name, "value.type", "expected a decimal number")
            four = pc.match_substring_regex(arr, NUM4_RE)
            ch.emit(pc.and_(ok, pc.invert(four)), name, "value.decimals", "use at most 4 decimals")
            nums = pc.cast(pc.if_else(ok, arr, None), pa.float64())
            _check_range(ch, nums, name, cons)
        elif ftype == "date":
            dates, real = ch.dates(name)
            ch.emit(pc.and_(present, pc.invert(real)), name, "value.date",
                    "expected a real calendar date written YYYY-MM-DD")
            ch.emit(pc.less(dates, pa.scalar(EARLIEST, pa.date32())), name, "value.date",
                    f"dates before {EARLIEST.isoformat()} are not plausible")
            ch.emit(pc.greater(dates, pa.scalar(ch.today, pa.date32())), name, "date.future",
                    "the date lies in the future")
        elif ftype == "datetime":
            real = _real_datetimes(arr)
            ch.emit(pc.and_(present, pc.invert(real)), name, "value.datetime",
                    "expected a UTC time written YYYY-MM-DDTHH:MM:SSZ")
        if "enum" in cons:
            allowed = pa.array(cons["enum"], pa.string())
            ch.emit(pc.and_(present, pc.invert(pc.is_in(arr, value_set=allowed))), name, "value.enum",
                    "not in the vocabulary")
        if "pattern" in cons:
            ok = pc.match_substring_regex(arr, cons["pattern"])
            rule = PATTERN_RULES.get((table_name, name), "value.pattern")
            ch.emit(pc.and_(present, pc.invert(ok)), name, rule, f"must match {cons['pattern']}")
        if cons.get("unique"):
            _check_unique(ch, arr, name)


def _check_range(ch: _Checker, nums: Any, name: str, cons: dict[str, Any]) -> None:
    import pyarrow.compute as pc

    if "minimum" in cons:
        ch.emit(pc.less(nums, cons["minimum"]), name, "value.range", f"must be at least {cons['minimum']}")
    if "maximum" in cons:
        ch.emit(pc.greater(nums, cons["maximum"]), name, "value.range", f"must be at most {cons['maximum']}")


def _check_unique(ch: _Checker, arr: Any, name: str, rule: str = "key.duplicate") -> None:
    import pyarrow as pa
    import pyarrow.compute as pc

    counts = pc.value_counts(arr)
    dup_values = pc.filter(counts.field("values"), pc.greater(counts.field("counts"), 1))
    dup_values = pc.filter(dup_values, pc.not_equal(dup_values, ""))
    if len(dup_values) == 0:
        return
    mask = pc.is_in(arr, value_set=dup_values)
    # Name every other place the value occurs, so the curator sees both copies.
    idx = pc.indices_nonzero(pc.fill_null(mask, False)).to_pylist()
    where: dict[str, list[str]] = {}
    for i in idx:
        v = arr[i].as_py()
        where.setdefault(v, []).append(f"{ch.ct.files[ch.col('_file')[i].as_py()]}:{ch.col('_line')[i].as_py()}")
    msgs = [None] * len(arr)
    for i in idx:
        v = arr[i].as_py()
        here = f"{ch.ct.files[ch.col('_file')[i].as_py()]}:{ch.col('_line')[i].as_py()}"
        others = [w for w in where[v] if w != here]
        msgs[i] = "the value must be unique; also at " + ", ".join(others[:5])
    ch.emit(mask, name, rule, "", messages=pa.array(msgs, pa.string()))


def _split_lists(arr: Any) -> tuple[Any, Any]:
    """Explode a '; '-separated list column: (flat items, parent row index)."""
    import pyarrow.compute as pc

    lists = pc.split_pattern(arr, pattern="; ")
    parents = pc.list_parent_indices(lists)
    flat = pc.list_flatten(lists)
    return flat, parents


def _check_list_format(ch: _Checker, name: str) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = ch.col(name)
    filled = pc.indices_nonzero(_nonempty(arr))  # most list cells are empty: test only the others
    bad_filled = pc.match_substring_regex(pc.take(arr, filled), r";([^ ]|$)|^\s|\s$|;  |\s;|^;")
    if not pc.any(bad_filled).as_py():
        return
    mask = np.zeros(len(arr), dtype=bool)
    mask[pc.filter(filled, bad_filled).to_numpy()] = True
    ch.emit(pa.array(mask), name, "value.list", "separate list items with '; ' and no stray spaces")


def _check_refs(ch: _Checker, name: str, known: Any, rule: str, what: str, is_list: bool) -> None:
    """Every (list) item of column ``name`` must be in ``known``."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = ch.col(name)
    if not is_list:
        ch.emit(pc.and_(_nonempty(arr), pc.invert(pc.is_in(arr, value_set=known))), name, rule,
                f"unknown {what}; add it to the registry or fix the spelling")
        return
    flat, parents = _split_lists(pc.if_else(_nonempty(arr), arr, None))
    missing = pc.and_(_nonempty(flat), pc.invert(pc.is_in(flat, value_set=known)))
    midx = pc.indices_nonzero(pc.fill_null(missing, False))
    if len(midx) == 0:
        return
    rows = pc.take(parents, midx).to_numpy()
    items = pc.take(flat, midx).to_pylist()
    mask = np.zeros(len(arr), dtype=bool)
    mask[rows] = True
    values: list[str | None] = [None] * len(arr)
    for r, item in zip(rows.tolist(), items, strict=True):
        values[r] = item if values[r] is None else f"{values[r]}; {item}"
    ch.emit(pa.array(mask), name, rule, f"unknown {what}; add it to the registry or fix the spelling",
            values=pa.array(values, pa.string()))


def _lookup(keys: Any, table_keys: Any, table_values: Any) -> Any:
    """Vectorised dictionary lookup: value of ``table_values`` where ``table_keys`` equals each key."""
    import pyarrow.compute as pc

    idx = pc.index_in(keys, value_set=table_keys)
    return pc.take(table_values, idx)


def _table_fields(schema: Schema, name: str) -> list[dict[str, Any]]:
    return list(schema.curated[name]["fields"])


def check_formulas(ch: _Checker, fields: Sequence[dict[str, Any]]) -> None:
    """Warn about free text a spreadsheet would run as a formula (= + - @ at the start).

    Only free-text columns: typed, enum and pattern columns already reject such values as errors.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    starts = pa.array(list(FORMULA_START), pa.string())
    for f in fields:
        cons = f.get("constraints", {})
        if f["type"] != "string" or "enum" in cons or "pattern" in cons or f["name"] not in ch.table.column_names:
            continue
        arr = ch.col(f["name"])
        mask = pc.is_in(pc.utf8_slice_codeunits(arr, 0, 1), value_set=starts)
        if not pc.any(mask).as_py():
            continue
        # A plain negative number ("-3") is not a formula worth warning about.
        mask = pc.and_(mask, pc.invert(pc.match_substring_regex(arr, r"^-?[0-9.]+$")))
        ch.emit(mask, f["name"], "warn.formula", "a spreadsheet would run this cell as a formula",
                severity="warning")


def check_actors(ch: _Checker, schema: Schema) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc

    check_fields(ch, _table_fields(schema, "actors"), "actors", schema)
    iso = ch.col("country_iso3")
    known = pa.array(sorted(schema.countries), pa.string())
    ch.emit(pc.and_(_nonempty(iso), pc.invert(pc.is_in(iso, value_set=known))), "country_iso3", "value.enum",
            "not an ISO 3166-1 alpha-3 code")


def check_locations(ch: _Checker, schema: Schema) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    check_fields(ch, _table_fields(schema, "locations"), "locations", schema)
    ct = ch.ct
    file_iso = pa.array(ct.file_iso3, pa.string())
    row_iso = pc.take(file_iso, ch.col("_file")) if ct.file_iso3 else pa.array([], pa.string())
    lid = ch.col("location_id")
    prefix = pc.utf8_slice_codeunits(lid, 0, 3)
    ch.emit(pc.and_(_nonempty(lid), pc.not_equal(prefix, row_iso)), "location_id", "id.country",
            "the id's country code must match the file it is in")
    for i, iso in enumerate(ct.file_iso3):
        if iso not in schema.countries:
            ch.problems.append(Problem(ct.files[i], 0, "", "file.country",
                                       "the file name is not an ISO 3166-1 alpha-3 code", iso))
    lat = pc.cast(pc.if_else(pc.match_substring_regex(ch.col("latitude"), NUM_RE), ch.col("latitude"), None), pa.float64())
    lon = pc.cast(pc.if_else(pc.match_substring_regex(ch.col("longitude"), NUM_RE), ch.col("longitude"), None), pa.float64())
    n = len(lid)
    lo_lat, lo_lon, hi_lat, hi_lon = (np.full(n, np.nan) for _ in range(4))
    has_box = np.zeros(n, dtype=bool)
    files = ch.col("_file").to_numpy()
    for i, iso in enumerate(ct.file_iso3):
        country = schema.countries.get(iso)
        rows = files == i
        if country is None:
            continue
        if country.bbox is None:
            ch.emit(pa.array(rows), "latitude", "geo.no-bbox",
                    f"no bounding box for {iso} in the country vocabulary; coordinates not checked against it",
                    severity="warning")
            continue
        lo_lat[rows], lo_lon[rows], hi_lat[rows], hi_lon[rows] = country.bbox
        has_box |= rows
    outside = pc.or_(
        pc.or_(pc.less(lat, pa.array(lo_lat)), pc.greater(lat, pa.array(hi_lat))),
        pc.or_(pc.less(lon, pa.array(lo_lon)), pc.greater(lon, pa.array(hi_lon))),
    )
    pair = pc.binary_join_element_wise(ch.col("latitude"), ch.col("longitude"), ", ")
    ch.emit(pc.and_(pa.array(has_box), outside), "latitude", "geo.bbox",
            "the coordinates fall outside the country's bounding box (latitude, longitude)", values=pair)


def check_sources(ch: _Checker, schema: Schema) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc

    check_fields(ch, _table_fields(schema, "sources"), "sources", schema)
    scale = ch.col("source_scale")
    # Few distinct scales: check each distinct value once in Python, then flag its rows.
    wrong = [v for v in pc.unique(scale).to_pylist() if v and not schema.source_scale_ok(v)]
    if wrong:
        ch.emit(pc.is_in(scale, value_set=pa.array(wrong, pa.string())), "source_scale", "value.enum",
                "not a source scale (" + ", ".join(schema.source_scales) + ", or several joined with '-')")


def check_deletions(ch: _Checker, schema: Schema) -> None:
    check_fields(ch, _table_fields(schema, "deletions"), "deletions", schema)


def check_events(ch: _Checker, schema: Schema, tables: dict[str, CuratedTable]) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    check_fields(ch, _table_fields(schema, "events"), "events", schema)
    ct = ch.ct
    for name in ("assoc_actor_1", "assoc_actor_2", "source_ids", "tags"):
        _check_list_format(ch, name)

    # Hierarchy: the sub-event type belongs to the event type.
    et, st = ch.col("event_type"), ch.col("sub_event_type")
    pairs = pc.binary_join_element_wise(et, st, "|")
    valid_pairs = pa.array([f"{e.event_type}|{e.sub_event_type}" for e in schema.event_types], pa.string())
    both_known = pc.and_(pc.is_in(et, value_set=pa.array(schema.vocabulary("event_type"))),
                         pc.is_in(st, value_set=pa.array(schema.vocabulary("sub_event_type"))))
    ch.emit(pc.and_(both_known, pc.invert(pc.is_in(pairs, value_set=valid_pairs))), "sub_event_type",
            "hierarchy.sub-event-type", "this sub-event type does not belong to the event type", values=pairs)

    # Identity: country prefix and month of the file.
    eid = ch.col("event_id")
    files = ch.col("_file")
    file_iso = pa.array(ct.file_iso3, pa.string())
    row_iso = pc.take(file_iso, files)
    for i, iso in enumerate(ct.file_iso3):
        if iso not in schema.countries:
            ch.problems.append(Problem(ct.files[i], 0, "", "file.country",
                                       "the folder name is not an ISO 3166-1 alpha-3 code", iso))
    ch.emit(pc.and_(_nonempty(eid), pc.not_equal(pc.utf8_slice_codeunits(eid, 0, 3), row_iso)), "event_id",
            "id.country", "the id's country code must match the folder the file is in")
    dates, real = ch.dates("event_date")
    months = np.array([y * 100 + m if ym else -1 for ym in ct.file_month for (y, m) in [ym or (0, 0)]],
                      dtype=np.int64)
    row_month = pa.array(months[files.to_numpy()]) if len(months) else pa.array([], pa.int64())
    ev_month = pc.add(pc.multiply(pc.year(dates), 100), pc.month(dates))
    ch.emit(pc.not_equal(ev_month, row_month), "event_date", "date.file-month",
            "the date lies outside the month the file is named for")
    if tables["deletions"].num_rows:
        deleted = tables["deletions"].table.column("event_id")
        ch.emit(pc.is_in(eid, value_set=deleted), "event_id", "id.deleted",
                "this id was deleted (deletions.csv); a deleted id is never reused")

    # References to the registries.
    actors = tables["actors"].table
    actor_names = actors.column("actor")
    for name, is_list in (("actor1", False), ("actor2", False), ("assoc_actor_1", True), ("assoc_actor_2", True)):
        _check_refs(ch, name, actor_names, "ref.actor", "actor", is_list)
    loc_ids = tables["locations"].table.column("location_id")
    _check_refs(ch, "location_id", loc_ids, "ref.location", "location", False)
    lid = ch.col("location_id")
    ch.emit(pc.and_(_nonempty(lid), pc.not_equal(pc.utf8_slice_codeunits(lid, 0, 3), row_iso)), "location_id",
            "ref.location-country", "the location belongs to another country than the event")
    sources = tables["sources"].table
    src_ids = sources.column("source_id")
    _check_refs(ch, "source_ids", src_ids, "ref.source", "source", True)

    # A report cannot describe an event that happened after it was published.
    flat, parents = _split_lists(pc.if_else(_nonempty(ch.col("source_ids")), ch.col("source_ids"), None))
    pub_dates, _ = _parse_dates(sources.column("published"))
    published = _lookup(flat, src_ids, pub_dates)
    ev_dates = pc.take(dates, parents)
    early = pc.fill_null(pc.less(published, ev_dates), False)
    eidx = pc.indices_nonzero(early)
    if len(eidx):
        mask = np.zeros(ct.num_rows, dtype=bool)
        mask[pc.take(parents, eidx).to_numpy()] = True
        vals: list[str | None] = [None] * ct.num_rows
        for r, s, p in zip(pc.take(parents, eidx).to_pylist(), pc.take(flat, eidx).to_pylist(),
                           pc.take(published, eidx).to_pylist(), strict=True):
            vals[r] = f"{s} published {p}"
        ch.emit(pa.array(mask), "source_ids", "source.before-event",
                "a source is dated before the event it reports", values=pa.array(vals, pa.string()))

    # Consistency between fields.
    a2 = ch.col("actor2")
    ch.emit(pc.and_(_nonempty(ch.col("assoc_actor_2")), pc.invert(_nonempty(a2))), "assoc_actor_2",
            "consistency.assoc-without-actor", "an associated actor 2 needs an actor2")
    type_codes = pc.cast(pc.if_else(pc.match_substring_regex(actors.column("actor_type"), INT_RE),
                                    actors.column("actor_type"), None), pa.int64())
    t1 = _lookup(ch.col("actor1"), actor_names, type_codes)
    t2 = _lookup(a2, actor_names, type_codes)
    ch.emit(pc.equal(t1, CIVILIAN_TYPE), "actor1", "consistency.civilian-actor1",
            "civilians are victims, never actor1; put the perpetrator in actor1")
    vac = pc.equal(et, "Violence against civilians")
    ch.emit(pc.and_(vac, pc.invert(pc.fill_null(pc.equal(t2, CIVILIAN_TYPE), False))), "actor2",
            "consistency.vac-victim", "Violence against civilians needs a civilian actor (type 7) as actor2")
    ch.emit(pc.and_(pc.equal(et, "Protests"), pc.invert(pc.fill_null(pc.equal(t1, PROTESTER_TYPE), False))),
            "actor1", "consistency.protest-actor", "a Protests event has protesters (type 6) as actor1")
    ch.emit(pc.and_(pc.equal(et, "Riots"), pc.invert(pc.fill_null(pc.equal(t1, RIOTER_TYPE), False))),
            "actor1", "consistency.riot-actor", "a Riots event has rioters (type 5) as actor1")
    targeted = pc.equal(ch.col("civilian_targeting"), "Civilians targeted")
    ch.emit(pc.and_(vac, pc.invert(targeted)), "civilian_targeting", "consistency.civilian-targeting",
            "Violence against civilians always targets civilians: set 'Civilians targeted'")
    allowed_type = pc.is_in(et, value_set=pa.array(sorted(TARGETING_TYPES)))
    ch.emit(pc.and_(targeted, pc.invert(allowed_type)), "civilian_targeting", "consistency.civilian-targeting",
            "civilian targeting is coded only for violence against civilians, explosions and riots")
    ch.emit(pc.and_(pc.and_(targeted, allowed_type), pc.invert(pc.fill_null(pc.equal(t2, CIVILIAN_TYPE), False))),
            "civilian_targeting", "consistency.civilian-targeting",
            "civilian targeting needs a civilian actor (type 7) as actor2")

    # Warnings: probable duplicates.
    dup = _duplicate_rows([ch.col("event_date"), lid, st, ch.col("actor1"), a2])
    if dup.any():
        ch.emit(pa.array(dup), "event_id", "warn.duplicate-event",
                "probable duplicate: same date, location, sub-event type and actors as another event",
                severity="warning")


CHECKS = {"actors": check_actors, "locations": check_locations, "sources": check_sources,
          "deletions": check_deletions}


def validate_curated(curated: Curated, schema: Schema, today: dt.date | None = None) -> Report:
    """Run every rule over already-read curated tables."""
    today = today or dt.datetime.now(dt.UTC).date()
    report = Report(files_checked=curated.files_read)
    report.add(curated.problems)
    for name, ct in curated.tables.items():
        ch = _Checker(ct, today)
        if name == "events":
            check_events(ch, schema, curated.tables)
        else:
            CHECKS[name](ch, schema)
        check_formulas(ch, _table_fields(schema, name))
        report.add(ch.problems)
        report.rows_checked[name] = ct.num_rows
    return report.finish()


def validate(paths: Iterable[str | Path] | None = None, *, schema: Schema | None = None,
             today: dt.date | None = None) -> tuple[Report, Curated]:
    """Validate the datasets tree holding ``paths`` (default ``./datasets``).

    A path may be the datasets root or any file or folder inside it; all tables are read (references
    need the registries), and problems are reported for the named files only.
    """
    schema = schema or load_schema()
    targets = [Path(p) for p in (paths or ["datasets"])]
    roots = {find_root(p) for p in targets}
    if len(roots) != 1:
        raise ValueError("all paths must lie in one datasets tree: " + ", ".join(sorted(map(str, roots))))
    root = roots.pop()
    if not root.is_dir():
        raise FileNotFoundError(f"no datasets folder at {root}")
    curated = read_curated(root, schema)
    report = validate_curated(curated, schema, today)
    narrowed = [p.resolve() for p in targets if p.resolve() != root]
    if narrowed:
        prefixes = [str(p.relative_to(root.parent)) for p in narrowed]
        report.problems = [p for p in report.problems
                           if any(p.file == pre or p.file.startswith(pre + "/") for pre in prefixes)]
        # A named file that is no curated table was never checked: say so instead of passing silently.
        known = {f for ct in curated.tables.values() for f in ct.files} | {p.file for p in report.problems}
        for path, shown in zip(narrowed, prefixes, strict=True):
            if path.is_file() and shown not in known:
                report.add([Problem(shown, 0, "", "file.name", "not a curated table: expected "
                                    "events/<ISO3>/<YYYY>-<MM>.csv, locations/<ISO3>.csv or a registry "
                                    "(actors.csv, sources.csv, deletions.csv)", path.name)])
        report.finish()
    return report, curated


def check_release_events(table: pa.Table, schema: Schema, today: dt.date | None = None) -> list[Problem]:
    """Per-record rules of a released events table given as text cells (``_file``/``_line`` added here).

    The same engine as the curated rules, driven by the release Table Schema; the differential test
    compares its verdict with jsonschema's on the generated JSON Schema.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    n = table.num_rows
    table = table.append_column("_file", pa.array([0] * n, pa.int32()))
    table = table.append_column("_line", pa.array(range(1, n + 1), pa.int64()))
    ct = CuratedTable("event", list(table.column_names[:-2]), table, ["record"])
    ch = _Checker(ct, today or dt.datetime.now(dt.UTC).date())
    check_fields(ch, schema.release["events"]["fields"], "event", schema)
    et, st, dis = ch.col("event_type"), ch.col("sub_event_type"), ch.col("disorder_type")
    triples = pc.binary_join_element_wise(et, st, dis, "|")
    valid = pa.array([f"{e.event_type}|{e.sub_event_type}|{e.disorder_type}" for e in schema.event_types])
    known = pc.and_(pc.is_in(et, value_set=pa.array(schema.vocabulary("event_type"))),
                    pc.and_(pc.is_in(st, value_set=pa.array(schema.vocabulary("sub_event_type"))),
                            pc.is_in(dis, value_set=pa.array(schema.vocabulary("disorder_type")))))
    ch.emit(pc.and_(known, pc.invert(pc.is_in(triples, value_set=valid))), "sub_event_type",
            "hierarchy.sub-event-type", "sub-event type, event type and disorder type do not fit together",
            values=triples)
    return ch.problems
