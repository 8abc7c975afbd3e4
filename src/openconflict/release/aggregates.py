"""The aggregate tables every release ships: events and fatalities per unit, month and event type.

Why in the release: most analyses start from counts per governorate (or district) and month, and a
researcher should get the same counts as everyone else, checked like every other release file. One row per
unit, month and event type that had at least one event; rows sorted by the unit columns, month, then event
type in codebook order; columns as in ``schema/release/aggregates_admin{1,2}_month.json``. Pure pyarrow
(``Table.group_by``), so it costs a fraction of a second on a million events.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["AGGREGATES", "aggregate_tables"]

#: Table name -> the unit columns it counts by (then month and event type).
AGGREGATES: dict[str, tuple[str, ...]] = {
    "aggregates_admin1_month": ("iso3", "country", "admin1"),
    "aggregates_admin2_month": ("iso3", "country", "admin1", "admin2"),
}


def aggregate_tables(events: pa.Table, event_types: list[str]) -> dict[str, pa.Table]:
    """Both aggregate tables of a released events table; ``event_types`` gives the codebook order."""
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
