"""Field rules: what the Table Schema says about each column, checked over whole columns.

Why driven by the schema: the published Table Schemas (required, type, enum, pattern, minimum/maximum,
unique) are the contract, so the per-column checks are read from them rather than written per table.
Free-text hygiene (control characters, formula starts) and '; '-list shape live here too: they are
properties of single cells.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

from .emit import Checker
from .kernels import (
    CONTROL_RE,
    EARLIEST_YEAR,
    INT32_MAX,
    NUM4_RE,
    NUM_RE,
    also_at,
    encode,
    int_text,
    matches,
    nonempty,
    real_datetimes,
    starts_with_any,
)
from .suggest import with_suggestions

#: Pattern failures that deserve a rule id of their own.
PATTERN_RULES = {"event_id": "id.pattern", "event_id_cnty": "id.pattern", "url": "value.url"}
FORMULA_START = ("=", "+", "-", "@")
#: Patterns that may match non-ASCII text: a source URL as curators copy it from the browser is an IRI
#: (Arabic path segments are common), which the build keeps as written.
NOT_ASCII_ONLY = {"url"}


def check_fields(ch: Checker, fields: Sequence[dict[str, Any]]) -> None:
    """Per-field rules driven by the Table Schema."""
    for fdef in fields:
        name = fdef["name"]
        if name not in ch.table.column_names:
            continue
        arr = ch.col(name)
        cons = fdef.get("constraints", {})
        present = nonempty(arr)
        if cons.get("required"):
            import pyarrow.compute as pc

            ch.emit(pc.invert(present), name, "value.required", "a value is required here")
        _check_type(ch, fdef, arr, present)
        if "enum" in cons:
            _check_enum(ch, name, arr, present, cons["enum"])
        if "pattern" in cons:
            import pyarrow.compute as pc

            ascii_only = name not in NOT_ASCII_ONLY
            # a unique column's values are all distinct: nothing to share between cells
            ok = matches(arr, cons["pattern"], ascii_only=ascii_only) if cons.get("unique") else \
                ch.per_value(partial(matches, pattern=cons["pattern"], ascii_only=ascii_only), name)
            ch.emit(pc.and_(present, pc.invert(ok)), name, PATTERN_RULES.get(name, "value.pattern"),
                    f"must match {cons['pattern']} (the whole value" + (", ASCII only)" if ascii_only else ")"))
        if cons.get("unique"):
            check_unique(ch, arr, name)


def _check_type(ch: Checker, fdef: dict[str, Any], arr: Any, present: Any) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc

    name, ftype, cons = fdef["name"], fdef["type"], fdef.get("constraints", {})
    if ftype == "integer":
        ok = int_text(arr)  # INT_RE
        ch.emit(pc.and_(present, pc.invert(ok)), name, "value.type", "expected a whole number")
        nums = pc.cast(pc.if_else(ok, arr, None), pa.int64())
        _check_range(ch, nums, name, cons)
        if name != "timestamp":  # released as int32: a larger value could not be stored
            ch.emit(pc.greater(pc.abs(nums), INT32_MAX), name, "value.range", "too large for a 32-bit integer")
    elif ftype == "number":
        ok = pc.match_substring_regex(arr, NUM_RE)
        ch.emit(pc.and_(present, pc.invert(ok)), name, "value.type", "expected a decimal number")
        ch.emit(pc.and_(ok, pc.invert(pc.match_substring_regex(arr, NUM4_RE))), name, "value.decimals",
                "use at most 4 decimals")
        _check_range(ch, pc.cast(pc.if_else(ok, arr, None), pa.float64()), name, cons)
    elif ftype == "date":
        dates, real = ch.dates(name)
        ch.emit(pc.and_(present, pc.invert(real)), name, "value.date",
                "expected a real calendar date written YYYY-MM-DD")
        ch.emit(pc.less(pc.year(dates), EARLIEST_YEAR), name, "value.date",
                f"dates before {EARLIEST_YEAR} are not plausible")
        ch.emit(pc.greater(dates, pa.scalar(ch.today, pa.date32())), name, "date.future",
                "the date lies in the future")
    elif ftype == "boolean":
        words = [str(w) for w in (*fdef.get("trueValues", ["true"]), *fdef.get("falseValues", ["false"]))]
        ok = pc.is_in(arr, value_set=pa.array(words, pa.string()))
        ch.emit(pc.and_(present, pc.invert(ok)), name, "value.type",
                "expected " + " or ".join(repr(w) for w in words) + " (lower case, nothing else)")
    elif ftype == "datetime":
        ch.emit(pc.and_(present, pc.invert(real_datetimes(arr))), name, "value.datetime",
                f"expected a UTC time written YYYY-MM-DDTHH:MM:SSZ, from {EARLIEST_YEAR} on")


def _check_range(ch: Checker, nums: Any, name: str, cons: dict[str, Any]) -> None:
    import pyarrow.compute as pc

    if "minimum" in cons:
        ch.emit(pc.less(nums, cons["minimum"]), name, "value.range", f"must be at least {cons['minimum']}")
    if "maximum" in cons:
        ch.emit(pc.greater(nums, cons["maximum"]), name, "value.range", f"must be at most {cons['maximum']}")


def _check_enum(ch: Checker, name: str, arr: Any, present: Any, allowed: list[str]) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc

    bad = pc.and_(present, pc.invert(ch.per_value(lambda v: pc.is_in(v, value_set=pa.array(allowed, pa.string())), name)))
    message = "not in the vocabulary"
    ch.emit(bad, name, "value.enum", message, messages=with_suggestions(message, arr, bad, allowed))


def check_unique(ch: Checker, arr: Any, name: str) -> None:
    """Values that must be unique; each repeated row names the other places its value occurs."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    counts = pc.value_counts(arr)
    dup_values = pc.filter(counts.field("values"), pc.greater(counts.field("counts"), 1))
    dup_values = pc.filter(dup_values, pc.not_equal(dup_values, ""))
    if len(dup_values) == 0:
        return
    rows = np.asarray(pc.indices_nonzero(pc.fill_null(pc.is_in(arr, value_set=dup_values), False)).to_numpy())
    sub = pa.array(rows)
    where = pc.binary_join_element_wise(
        pc.take(pa.array(ch.ct.files, pa.string()), pc.take(ch.col("_file"), sub)),
        pc.cast(pc.take(ch.col("_line"), sub), pa.string()), ":")
    _, text = also_at(encode([pc.take(arr, sub)]), where, np.arange(len(rows)))
    msgs = pc.binary_join_element_wise("the value must be unique; also at ", text, "")
    ch.emit_rows(sub, name, "key.duplicate", "", aligned_messages=msgs)


#: A badly separated list: an item not followed by "; ", stray spaces at either end or around a separator.
LIST_RE = r";([^ ]|$)|^\s|\s$|;  |\s;|^;"


def check_list_format(ch: Checker, name: str) -> None:
    import numpy as np
    import pyarrow.compute as pc

    arr = ch.col(name)
    present = nonempty(arr)
    message = "separate list items with '; ' and no stray spaces"
    if 2 * (pc.sum(present).as_py() or 0) > len(arr):  # mostly filled (source ids): test in place, no copy
        bad = pc.and_(present, ch.per_value(lambda v: pc.match_substring_regex(v, LIST_RE), name))
        if pc.any(bad).as_py():
            ch.emit(bad, name, "value.list", message)
        return
    filled = pc.indices_nonzero(present)  # most list cells are empty: test only the others
    bad_filled = pc.match_substring_regex(pc.take(arr, filled), LIST_RE)
    if not pc.any(bad_filled).as_py():
        return
    ch.emit_rows(np.asarray(pc.filter(filled, bad_filled).to_numpy()), name, "value.list", message)


def check_controls(ch: Checker, fields: Sequence[dict[str, Any]]) -> None:
    """Control characters in any cell (only when the reader saw such bytes in a file of this table)."""
    import pyarrow.compute as pc

    if not ch.ct.suspect_controls:
        return
    for f in fields:
        if f["name"] in ch.table.column_names:
            arr = ch.col(f["name"])
            ch.emit(pc.match_substring_regex(arr, CONTROL_RE), f["name"], "value.control",
                    "a control character in the cell (shown escaped); remove it")


def check_formulas(ch: Checker, fields: Sequence[dict[str, Any]]) -> None:
    """Warn about free text a spreadsheet would run as a formula (= + - @ at the start).

    Only free-text columns: typed, enum and pattern columns already reject such values as errors.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    for f in fields:
        cons = f.get("constraints", {})
        if f["type"] != "string" or "enum" in cons or "pattern" in cons or f["name"] not in ch.table.column_names:
            continue
        arr = ch.col(f["name"])
        starts = starts_with_any(arr, "".join(FORMULA_START))
        if not starts.any():
            continue
        # A plain negative number ("-3") is not a formula worth warning about.
        mask = pc.and_(pa.array(starts), pc.invert(pc.match_substring_regex(arr, r"^-?[0-9.]+$")))
        ch.emit(mask, f["name"], "warn.formula", "a spreadsheet would run this cell as a formula")
