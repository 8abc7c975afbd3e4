"""Column kernels: vectorised building blocks the rules are made of (masks, parsers, groupings).

Why a module of their own: every rule is "compute a mask of offending rows over a whole column", and the
same few kernels (whole-value ASCII pattern match, calendar dates, duplicate groups, list explosion)
serve all of them. Nothing here loops over rows in Python; per-value work runs on distinct values only.
"""

from __future__ import annotations

from typing import Any

INT_RE = r"\A-?[0-9]{1,18}\z"  # up to 18 digits: fits int64, holds Unix timestamps
NUM_RE = r"\A-?[0-9]{1,3}(\.[0-9]+)?\z"
NUM4_RE = r"\A-?[0-9]{1,3}(\.[0-9]{1,4})?\z"
DATE_RE = r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}\z"
DATETIME_RE = r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z\z"
#: C0 controls except tab, LF and CR; DEL; C1 controls. Line breaks reach a cell only inside quotes.
CONTROL_RE = "[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f\\x{80}-\\x{9f}]"
EARLIEST_YEAR = 1900
INT32_MAX = 2**31 - 1


def whole(pattern: str) -> str:
    """An RE2 pattern that must match the whole value: ``^``/``$`` of a schema pattern become \\A/\\z."""
    body = pattern.removeprefix("^")
    if body.endswith("$") and not body.endswith("\\$"):
        body = body[:-1]
    return rf"\A(?:{body})\z"


def matches(arr: Any, pattern: str, ascii_only: bool = True) -> Any:
    """Mask: the whole value matches ``pattern`` (a schema pattern) and, with ``ascii_only``, is ASCII."""
    import pyarrow.compute as pc

    found = pc.match_substring_regex(arr, whole(pattern))
    return pc.and_(found, pc.string_is_ascii(arr)) if ascii_only else found


def int_text(arr: Any, digits: int = 18, signed: bool = True) -> Any:
    """Mask: the whole value is 1 to ``digits`` ASCII digits, after a '-' when ``signed``.

    The same as matching ``\\A-?[0-9]{1,digits}\\z`` (or without ``-?``), from two plain kernels instead
    of a regex on every cell (ten times faster on a million counts).
    """
    import pyarrow.compute as pc

    short = pc.less_equal(pc.binary_length(arr), digits)
    plain = pc.and_(pc.ascii_is_decimal(arr), short)
    if not signed:
        return plain
    negative = pc.starts_with(arr, "-")
    if not pc.any(negative).as_py():
        return plain
    rest = pc.utf8_slice_codeunits(arr, 1)
    minus = pc.and_(pc.and_(negative, pc.ascii_is_decimal(rest)), pc.less_equal(pc.binary_length(arr), digits + 1))
    return pc.or_(plain, minus)


def nonempty(arr: Any) -> Any:
    import pyarrow.compute as pc

    return pc.not_equal(arr, "")


def on_distinct(func: Any, arr: Any) -> Any:
    """Apply a per-cell parser to the distinct values only, then spread the results back.

    A million events carry a few thousand distinct dates, so parsing the distinct values and taking by
    index is much cheaper than parsing every row.
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


def parse_dates(arr: Any) -> tuple[Any, Any]:
    """(dates as date32, null where invalid; mask of real calendar dates written YYYY-MM-DD)."""
    return on_distinct(parse_dates_all, arr)


def parse_dates_all(arr: Any) -> tuple[Any, Any]:
    """Vectorised with numpy on the digits: exact about month lengths and leap years."""
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
    month_days = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)
    days_in_month = month_days[mi] + (leap & (mi == 1))
    real = np.asarray(shaped.to_numpy(zero_copy_only=False), dtype=bool) & month_ok & (d >= 1) & (d <= days_in_month)
    stamp = ((y - 1970).astype("datetime64[Y]").astype("datetime64[M]") + mi.astype("timedelta64[M]")) \
        .astype("datetime64[D]") + (np.clip(d, 1, 31) - 1).astype("timedelta64[D]")
    return pa.array(stamp, type=pa.date32(), mask=~real), pa.array(real)


def real_datetimes(arr: Any) -> Any:
    """Mask of cells that are real UTC times written YYYY-MM-DDTHH:MM:SSZ, from 1900 on."""
    return on_distinct(_real_datetimes_all, arr)


def _real_datetimes_all(arr: Any) -> Any:
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    shaped = np.asarray(pc.fill_null(pc.match_substring_regex(arr, DATETIME_RE), False)
                        .to_numpy(zero_copy_only=False), dtype=bool)
    _, day_ok = parse_dates_all(pc.utf8_slice_codeunits(arr, 0, 10))
    safe = pc.if_else(pa.array(shaped), arr, "1970-01-01T00:00:00Z")

    def part(start: int, width: int = 2) -> Any:
        return np.asarray(pc.cast(pc.utf8_slice_codeunits(safe, start, start + width), pa.int32()).to_numpy())

    ok = shaped & np.asarray(day_ok.to_numpy(zero_copy_only=False), dtype=bool)
    ok &= (part(11) < 24) & (part(14) < 60) & (part(17) < 60) & (part(0, 4) >= EARLIEST_YEAR)
    return pa.array(ok)


def dictionary_codes(arr: Any) -> tuple[Any, Any]:
    """(the distinct values of a column, as an Arrow array; each row's index into them, numpy int64)."""
    import numpy as np
    import pyarrow.compute as pc

    enc = pc.dictionary_encode(pc.fill_null(arr, ""))
    enc = enc.combine_chunks() if hasattr(enc, "combine_chunks") else enc
    return enc.dictionary, np.asarray(enc.indices.to_numpy(zero_copy_only=False), dtype=np.int64)


def few_values(arr: Any, sample: int = 4096) -> bool:
    """Whether a column looks like one of few distinct values (at most a quarter distinct in its first
    ``sample`` cells): worth encoding once for many rules. Only speed depends on the guess, never a result."""
    import pyarrow.compute as pc

    head = arr.slice(0, sample)
    return len(head) > 0 and pc.count_distinct(head).as_py() * 4 <= len(head)


def per_value(func: Any, arr: Any, codes: tuple[Any, Any]) -> Any:
    """``func`` (a cell-by-cell kernel) over a column of few distinct values, computed once per value.

    ``codes`` is :func:`dictionary_codes` of ``arr``. A column with nulls, or with many distinct values,
    gets ``func(arr)`` itself, so the result is always exactly what ``func`` gives on every cell.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    values, idx = codes
    if arr.null_count or len(values) * 4 > len(arr):
        return func(arr)
    return pc.take(func(values), pa.array(idx))


def encode(columns: list[Any], codes: list[tuple[Any, Any]] | None = None) -> Any:
    """One int64 key per row combining the values of ``columns`` (equal rows, equal keys); ``codes``:
    their :func:`dictionary_codes` when already known."""
    import numpy as np

    key = np.zeros(len(columns[0]), dtype=np.int64)
    radix = 1
    for k, col in enumerate(columns):
        values, indices = codes[k] if codes is not None else dictionary_codes(col)
        size = max(len(values), 1)
        if radix * size >= 2**62:  # too many combinations for one int64: fold by re-encoding the key
            _, key = np.unique(key, return_inverse=True)
            radix = int(key.max()) + 1 if len(key) else 1
        key = key * size + indices
        radix *= size
    return key


def duplicate_rows(columns: list[Any], codes: list[tuple[Any, Any]] | None = None) -> Any:
    """Boolean numpy mask of rows whose values in all ``columns`` occur in another row too."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    key = encode(columns, codes)
    if len(key) == 0:
        return np.zeros(0, dtype=bool)
    # a hash pass over the int64 keys, not np.unique's sort of a million of them
    codes = np.asarray(pc.dictionary_encode(pa.array(key)).indices.to_numpy(), dtype=np.int64)
    return np.bincount(codes)[codes] > 1


def also_at(key: Any, where: Any, rows: Any, shown: int = 3) -> Any:
    """For each of ``rows`` (indices into ``key``), the other places its key occurs, as one string.

    Column-wise: rows are sorted by key, each row's group is a slice of that order, and the first
    ``shown`` other members are joined with Arrow kernels; a large group adds "and N more". ``where``
    is a string array naming each row's place (file:line).
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    rows = np.asarray(rows, dtype=np.int64)
    order = rows[np.argsort(key[rows], kind="stable")]
    k = key[order]
    starts = np.flatnonzero(np.r_[True, k[1:] != k[:-1]])
    sizes = np.diff(np.r_[starts, len(order)])
    group = np.repeat(np.arange(len(starts)), sizes)
    pos = np.arange(len(order)) - starts[group]
    places = pc.take(where, pa.array(order))
    parts = []
    for j in range(shown):
        other = j + (pos <= j)  # the j-th member that is not the row itself
        valid = other < sizes[group]
        idx = np.where(valid, starts[group] + np.minimum(other, sizes[group] - 1), 0)
        parts.append(pc.if_else(pa.array(valid), pc.take(places, pa.array(idx)), pa.scalar(None, pa.string())))
    text = pc.binary_join_element_wise(*parts, ", ", null_handling="skip")
    more = sizes[group] - 1 - shown
    suffix = pc.if_else(pa.array(more > 0), pc.binary_join_element_wise(
        " and ", pc.cast(pa.array(np.maximum(more, 0)), pa.string()), " more", ""), "")
    text = pc.binary_join_element_wise(text, suffix, "")
    # Positions in ``order`` of the rows in ascending row order: the result lines up with sorted rows.
    return np.sort(rows), pc.take(text, pa.array(np.argsort(order, kind="stable")))


def starts_with_any(arr: Any, chars: str) -> Any:
    """Mask (numpy bool): the cell's first character is one of the ASCII ``chars``.

    Read from each cell's first byte through the offsets (an ASCII character is a whole UTF-8 code
    unit, and no other character's bytes start with one), instead of slicing a million strings.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    wanted = np.zeros(256, dtype=bool)
    wanted[list(chars.encode("ascii"))] = True
    parts = []
    for chunk in (arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]):
        if chunk.type != pa.string() or chunk.null_count:
            first = pc.utf8_slice_codeunits(chunk, 0, 1)
            parts.append(np.asarray(pc.fill_null(pc.is_in(first, value_set=pa.array(list(chars), pa.string())), False)
                                    .to_numpy(zero_copy_only=False), dtype=bool))
            continue
        n = len(chunk)
        _, offsets, data = chunk.buffers()
        offs = np.frombuffer(offsets, dtype=np.int32, count=n + 1, offset=chunk.offset * 4)
        starts = offs[:-1]
        filled = offs[1:] > starts
        first_bytes = np.zeros(n, dtype=np.uint8)
        if data is not None and filled.any():
            first_bytes[filled] = np.frombuffer(data, dtype=np.uint8)[starts[filled]]
        parts.append(wanted[first_bytes] & filled)
    return np.concatenate(parts) if parts else np.zeros(0, dtype=bool)


def split_lists(arr: Any) -> tuple[Any, Any]:
    """Explode a '; '-separated list column: (flat items, parent row index)."""
    import pyarrow.compute as pc

    lists = pc.split_pattern(arr, pattern="; ")
    return pc.list_flatten(lists), pc.list_parent_indices(lists)


def lookup(keys: Any, table_keys: Any, table_values: Any) -> Any:
    """Vectorised dictionary lookup: value of ``table_values`` where ``table_keys`` equals each key."""
    import pyarrow.compute as pc

    return pc.take(table_values, pc.index_in(keys, value_set=table_keys))
