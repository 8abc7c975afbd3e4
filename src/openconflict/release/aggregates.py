"""The aggregate tables every release ships: events and fatalities per unit, month and event type.

Why in the release: most analyses start from counts per governorate (or district) and month, and a
researcher should get the same counts as everyone else, checked like every other release file. One row per
unit, month and event type that had at least one event; rows sorted by the unit columns, month, then event
type in codebook order; columns as in ``schema/release/aggregates_admin{1,2}_month.json``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["AGGREGATES", "aggregate_tables", "grouped_reference"]

#: Table name -> the unit columns it counts by (then month and event type).
AGGREGATES: dict[str, tuple[str, ...]] = {
    "aggregates_admin1_month": ("iso3", "country", "admin1"),
    "aggregates_admin2_month": ("iso3", "country", "admin1", "admin2"),
}


def aggregate_tables(events: pa.Table, event_types: list[str]) -> dict[str, pa.Table]:
    """Both aggregate tables of a released events table; ``event_types`` gives the codebook order.

    Why integer codes: grouping and then sorting a million rows by four text columns, a month and an event
    type took 0.9-1.4 s of a 1M build (the admin2 table has almost as many rows as there are events). Each
    text column is coded once by the rank of its value (nulls last, as ``sort_by`` places them), a unit is
    the rank of its tuple of codes, and one ``numpy.unique`` over unit, month and event-type rank groups and
    sorts in a single pass. The rows and their order are exactly :func:`grouped_reference`'s, which the
    tests compare it with; a release whose event types or dates fall outside what the codes can express
    (a type missing from the codebook, a null date) uses that reference instead.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    rank = pa.array(event_types, pa.string())
    type_rank = pc.index_in(events.column("event_type"), value_set=rank)
    if events.num_rows == 0 or type_rank.null_count or events.column("event_date").null_count:
        return grouped_reference(events, event_types)
    types = _numpy(type_rank).astype(np.int64)
    days = _numpy(pc.cast(events.column("event_date"), pa.int32())).astype("datetime64[D]")
    months = days.astype("datetime64[M]").astype(np.int64)
    first_month = int(months.min())
    months -= first_month
    fatalities = _numpy(pc.fill_null(events.column("fatalities"), 0)).astype(np.float64)
    codes = {c: _rank_codes(events.column(c)) for c in ("iso3", "country", "admin1", "admin2")}
    span_m, span_t = int(months.max()) + 1, len(event_types)
    out: dict[str, pa.Table] = {}
    for name, units in AGGREGATES.items():
        # Mixed radix: the unit's codes, then month, then type, in one int64 that sorts like the tuple.
        radix = [int(codes[u][1]) for u in units] + [span_m, span_t]
        if math.prod(radix) >= 2**62:
            return grouped_reference(events, event_types)
        key = np.zeros(events.num_rows, np.int64)
        for u in units:
            key = key * codes[u][1] + codes[u][0]
        key = (key * span_m + months) * span_t + types
        groups, inverse = np.unique(key, return_inverse=True)
        inverse = inverse.reshape(-1)
        counts = np.bincount(inverse, minlength=len(groups)).astype(np.int64)
        # float64 sums are exact: a million int32 counts stay far below 2**53
        sums = np.bincount(inverse, weights=fatalities, minlength=len(groups)).astype(np.int64)
        fields = [pa.field(u, pa.string()) for u in units] + [
            pa.field("month", pa.date32()), pa.field("event_type", pa.string()),
            pa.field("events", pa.int64()), pa.field("fatalities", pa.int64())]
        rest = groups // span_t
        month_of_group = (rest % span_m + first_month).astype("datetime64[M]").astype("datetime64[D]")
        rest //= span_m
        texts: list[pa.Array] = []
        for u in reversed(units):  # the unit's codes back out of the mixed radix, last digit first
            code = rest % codes[u][1]
            rest //= codes[u][1]
            texts.insert(0, codes[u][2].take(pa.array(code, mask=code == codes[u][1] - 1)))
        columns = [*texts, pa.array(month_of_group.astype(np.int32), pa.int32()).cast(pa.date32()),
                   rank.take(pa.array(groups % span_t)), pa.array(counts), pa.array(sums)]
        out[name] = pa.table(columns, schema=pa.schema(fields))
    return out


def _numpy(values: pa.ChunkedArray | pa.Array) -> Any:
    """A null-free numeric column as one numpy array."""
    import pyarrow as pa

    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks != 1 else values.chunk(0)
    return values.to_numpy(zero_copy_only=False)


def _rank_codes(column: pa.ChunkedArray) -> tuple[Any, int, pa.Array]:
    """Each value's rank among the column's distinct values in Arrow's sort order (nulls ranked last), how
    many ranks there are (the null one included), and the distinct values in rank order."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    encoded = pc.dictionary_encode(column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column)
    dictionary = encoded.dictionary
    order = _numpy(pc.sort_indices(dictionary))
    rank_of = np.empty(len(dictionary) + 1, np.int64)
    rank_of[order] = np.arange(len(dictionary))
    rank_of[len(dictionary)] = len(dictionary)  # null: after every value
    indices = _numpy(pc.fill_null(encoded.indices, len(dictionary)))
    return rank_of[indices], len(dictionary) + 1, dictionary.take(pa.array(order))


def grouped_reference(events: pa.Table, event_types: list[str]) -> dict[str, pa.Table]:
    """The aggregate tables by ``Table.group_by`` and ``sort_by``: the definition the fast path must equal."""
    import pyarrow as pa
    import pyarrow.compute as pc

    days = pc.cast(events.column("event_date"), pa.timestamp("s"))
    month = pc.cast(pc.cast(pc.floor_temporal(days, unit="month"), pa.date32()), pa.date32())
    base = pa.table({
        "iso3": events.column("iso3"), "country": events.column("country"),
        "admin1": events.column("admin1"), "admin2": events.column("admin2"), "month": month,
        "event_type": events.column("event_type"),
        "fatalities": pc.cast(pc.fill_null(events.column("fatalities"), 0), pa.int64()),
    })
    rank = {name: i for i, name in enumerate(event_types)}
    out: dict[str, pa.Table] = {}
    for name, units in AGGREGATES.items():
        keys = [*units, "month", "event_type"]
        grouped = base.group_by(keys, use_threads=False).aggregate(
            [("event_type", "count", pc.CountOptions(mode="all")), ("fatalities", "sum")])
        order = pc.index_in(grouped.column("event_type"), value_set=pa.array(list(rank), pa.string()))
        grouped = grouped.append_column("_rank", order)
        grouped = grouped.sort_by([*((u, "ascending") for u in units), ("month", "ascending"),
                                   ("_rank", "ascending")])
        fields = [pa.field(u, pa.string()) for u in units] + [
            pa.field("month", pa.date32()), pa.field("event_type", pa.string()),
            pa.field("events", pa.int64()), pa.field("fatalities", pa.int64())]
        out[name] = pa.table([*(grouped.column(k) for k in keys),
                              pc.cast(grouped.column("event_type_count"), pa.int64()),
                              pc.cast(grouped.column("fatalities_sum"), pa.int64())], schema=pa.schema(fields))
    return out
