"""Curated tables -> release tables: joins with the registries and every derived column.

Why here and not in the curated files: a curator records only decisions (who, what, where, when); codes
that follow from those decisions (year, disorder type, actor-type codes, interaction, ISO codes, region,
admin names, coordinates, source names and scales, timestamp) are computed, so they can never disagree.
All joins are vectorised with pyarrow.compute.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from openconflict.curated import Curated
from openconflict.release.joins import IdLists, lookup, null_if_empty, take_rows, to_int
from openconflict.schema import Schema

if TYPE_CHECKING:
    import pyarrow as pa

#: Released events columns: ACLED's 31 in ACLED's order, then ours.
ACLED_COLUMNS = [
    "event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type", "sub_event_type",
    "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2", "interaction",
    "civilian_targeting", "iso", "region", "country", "admin1", "admin2", "admin3", "location", "latitude",
    "longitude", "geo_precision", "source", "source_scale", "notes", "fatalities", "tags", "timestamp",
]
EXTRA_COLUMNS = ["iso3", "location_id", "source_ids", "source_urls", "admin1_pcode", "admin2_pcode",
                 "admin3_pcode", "dataset", "fatalities_best", "fatalities_high", "fatalities_known"]
#: The value of the ``dataset`` column: how a frame mixing our events with ACLED's tells them apart.
DATASET = "OpenConflict"
EVENT_COLUMNS = ACLED_COLUMNS + EXTRA_COLUMNS


def arrow_type(field: dict[str, Any]) -> pa.DataType:
    """The Arrow type a Table Schema field is released as."""
    import pyarrow as pa

    name, ftype = field["name"], field["type"]
    if ftype == "integer":
        return pa.int64() if name.endswith("timestamp") else pa.int32()
    if ftype == "number":
        return pa.float64()
    if ftype == "date":
        return pa.date32()
    if ftype == "boolean":
        return pa.bool_()
    return pa.string()


def release_arrow_schema(schema: Schema, table: str) -> pa.Schema:
    import pyarrow as pa

    return pa.schema([pa.field(f["name"], arrow_type(f)) for f in schema.release[table]["fields"]])


def derive_events(curated: Curated, schema: Schema) -> pa.Table:
    """The released events table, sorted by country, event_date and event number."""
    import pyarrow as pa
    import pyarrow.compute as pc

    ev = curated.tables["events"].table
    actors = curated.tables["actors"].table
    locs = curated.tables["locations"].table
    srcs = curated.tables["sources"].table

    eid = ev.column("event_id")
    iso3 = pc.utf8_slice_codeunits(eid, 0, 3)
    codes = sorted(schema.countries)
    iso_arr = pa.array(codes, pa.string())
    country_at = pc.index_in(iso3, value_set=iso_arr)  # found once, taken from for each country column
    c_num = pa.array([schema.countries[c].iso_numeric for c in codes], pa.int32())
    c_name = pa.array([schema.countries[c].name for c in codes], pa.string())
    c_region = pa.array([schema.countries[c].region for c in codes], pa.string())

    dates = pc.cast(pc.strptime(ev.column("event_date"), format="%Y-%m-%d", unit="s"), pa.date32())
    sub = ev.column("sub_event_type")
    disorder = lookup(sub, pa.array([e.sub_event_type for e in schema.event_types]),
                       pa.array([e.disorder_type for e in schema.event_types]))

    actor_names = actors.column("actor")
    actor_types = to_int(actors.column("actor_type"))
    inter1 = lookup(ev.column("actor1"), actor_names, actor_types)
    inter2 = pc.fill_null(lookup(null_if_empty(ev.column("actor2")), actor_names, actor_types), 0)
    lo, hi = pc.min_element_wise(inter1, inter2), pc.max_element_wise(inter1, inter2)
    interaction = pc.if_else(pc.equal(inter2, 0), pc.multiply(inter1, 10), pc.add(pc.multiply(lo, 10), hi))

    loc_at = pc.index_in(ev.column("location_id"), value_set=locs.column("location_id"))

    def loc(col: str) -> Any:
        return pc.take(locs.column(col), loc_at)

    lat = pc.round(pc.cast(loc("latitude"), pa.float64()), 4)
    lon = pc.round(pc.cast(loc("longitude"), pa.float64()), 4)

    source_lists = ev.column("source_ids")
    cited = IdLists(source_lists, srcs.column("source_id"))
    source = cited.joined(srcs.column("publisher"), "; ", distinct=True)
    scale = cited.scale(srcs.column("source_scale"), list(schema.source_scales))
    urls = cited.joined(srcs.column("url"), "; ", distinct=False)

    ts = pc.cast(pc.cast(pc.strptime(ev.column("updated"), format="%Y-%m-%dT%H:%M:%SZ", unit="s"),
                         pa.int64()), pa.int64())
    cols: dict[str, Any] = {
        "event_id_cnty": eid,
        "event_date": dates,
        "year": pc.cast(pc.year(dates), pa.int32()),
        "time_precision": to_int(ev.column("time_precision")),
        "disorder_type": disorder,
        "event_type": ev.column("event_type"),
        "sub_event_type": sub,
        "actor1": ev.column("actor1"),
        "assoc_actor_1": null_if_empty(ev.column("assoc_actor_1")),
        "inter1": inter1,
        "actor2": null_if_empty(ev.column("actor2")),
        "assoc_actor_2": null_if_empty(ev.column("assoc_actor_2")),
        "inter2": inter2,
        "interaction": pc.cast(interaction, pa.int32()),
        "civilian_targeting": null_if_empty(ev.column("civilian_targeting")),
        "iso": pc.take(c_num, country_at),
        "region": pc.take(c_region, country_at),
        "country": pc.take(c_name, country_at),
        "admin1": null_if_empty(loc("admin1")),
        "admin2": null_if_empty(loc("admin2")),
        "admin3": null_if_empty(loc("admin3")),
        "location": loc("location"),
        "latitude": lat,
        "longitude": lon,
        "geo_precision": to_int(ev.column("geo_precision")),
        "source": source,
        "source_scale": scale,
        "notes": ev.column("notes"),
        "fatalities": to_int(ev.column("fatalities")),
        "tags": null_if_empty(ev.column("tags")),
        "timestamp": ts,
        "iso3": iso3,
        "location_id": ev.column("location_id"),
        "source_ids": source_lists,
        "source_urls": urls,
        "admin1_pcode": null_if_empty(loc("admin1_pcode")),
        "admin2_pcode": null_if_empty(loc("admin2_pcode")),
        "admin3_pcode": null_if_empty(loc("admin3_pcode")),
        "dataset": pa.repeat(pa.scalar(DATASET, pa.string()), len(eid)),
        "fatalities_best": to_int(ev.column("fatalities_best")),
        "fatalities_high": to_int(ev.column("fatalities_high")),
        "fatalities_known": pc.equal(ev.column("fatalities_known"), "true"),
    }
    target = release_arrow_schema(schema, "events")
    table = pa.table({f.name: pc.cast(cols[f.name], f.type) for f in target}, schema=target)
    number = pc.cast(pc.utf8_slice_codeunits(eid, 3, 32), pa.int64())
    order = pc.sort_indices(
        pa.table({"c": table.column("country"), "d": table.column("event_date"), "n": number}),
        sort_keys=[("c", "ascending"), ("d", "ascending"), ("n", "ascending")],
    )
    return _apply_order(table, order.to_numpy())


MAX_RUNS = 4096


def _apply_order(table: pa.Table, order: Any) -> pa.Table:
    """``table.take(order)``, but as zero-copy slices when the order is a few ascending runs.

    Curated files are usually already in order within a country, so the sorted table is a handful of
    contiguous runs of the input; slicing them avoids copying every column of a million rows. The runs stay
    separate chunks (no ``combine_chunks``, which would copy every column after all): the Parquet and CSV
    writers cut row groups and lines the same way whatever the chunks, so the files are byte-identical.
    """
    import numpy as np
    import pyarrow as pa

    if len(order) == 0:
        return table
    breaks = np.flatnonzero(np.diff(order) != 1) + 1
    if len(breaks) + 1 > MAX_RUNS:
        return table.take(pa.array(order))
    starts = np.concatenate([[0], breaks])
    stops = np.concatenate([breaks, [len(order)]])
    pieces = [table.slice(int(order[a]), int(b - a)) for a, b in zip(starts, stops, strict=True)]
    return pa.concat_tables(pieces)


def _typed(curated_table: pa.Table, schema: Schema, name: str, extra: dict[str, Any] | None = None) -> pa.Table:
    import pyarrow as pa
    import pyarrow.compute as pc

    target = release_arrow_schema(schema, name)
    cols = {}
    for f in target:
        arr = extra[f.name] if extra and f.name in extra else curated_table.column(f.name)
        if arr.type == f.type and not pa.types.is_string(f.type):
            cols[f.name] = arr  # derived already in its released type
            continue
        if pa.types.is_string(f.type):
            arr = null_if_empty(arr)
        elif pa.types.is_date(f.type):
            arr = pc.cast(pc.strptime(null_if_empty(arr), format="%Y-%m-%d", unit="s"), pa.date32())
        else:
            arr = pc.cast(null_if_empty(arr), f.type)
        cols[f.name] = pc.cast(arr, f.type)
    return pa.table(cols, schema=target)


def deletion_timestamps(deleted_in: Any, release_dates: Mapping[str, dt.date]) -> Any:
    """Unix seconds of midnight UTC on the release date of each tombstone's ``deleted_in`` version.

    This is the ``deleted_timestamp`` of ACLED's deleted-events feed: a user's update script compares it
    with the ``timestamp`` of the events it holds. A version that is neither published nor being built
    has no date; the release plan refuses such a tombstone before this runs.
    """
    import pyarrow as pa

    epoch = dt.date(1970, 1, 1)
    seconds = {v: (d - epoch).days * 86_400 for v, d in release_dates.items()}
    return pa.array([seconds.get(v) for v in deleted_in.to_pylist()], pa.int64())


def derive_registries(curated: Curated, schema: Schema,
                      release_dates: Mapping[str, dt.date] | None = None,
                      cited: pa.Array | None = None, sources: bool = True) -> dict[str, pa.Table]:
    """Released actors, locations (with their country), sources and deletions, sorted by key.

    ``release_dates`` maps every published version, and the one being built, to its release date; the
    deletions table derives ACLED's ``deleted_timestamp`` from it. With ``cited`` (the source ids the
    released events cite) the sources are cut to those: ``datasets/sources.csv`` also holds reports that
    only held-back events (awaiting their second pass) or no event cite, and a release's sources table, and
    every count of reports and publishers made from it, should describe the evidence of the events it
    contains and nothing else. They are cut first, then sorted and typed: one copy of the largest registry
    instead of three. ``sources=False`` leaves them out (a build in parts writes them a batch at a time:
    :mod:`openconflict.release.sources_out`).
    """
    import numpy as np
    import pyarrow as pa

    tables = curated.tables
    locs = tables["locations"]
    iso = np.array(locs.file_iso3 or [""], dtype=object)[locs.table.column("_file").to_numpy()] \
        if locs.num_rows else np.array([], dtype=object)
    out = {
        "actors": _typed(tables["actors"].table, schema, "actors").sort_by("actor"),
        "locations": _typed(locs.table, schema, "locations",
                            {"iso3": pa.array(iso.tolist(), pa.string())}).sort_by("location_id"),
        "deletions": _typed(tables["deletions"].table, schema, "deletions", {
            "event_id_cnty": tables["deletions"].table.column("event_id"),
            "deleted_timestamp": deletion_timestamps(tables["deletions"].table.column("deleted_in"),
                                                     release_dates or {}),
        }).sort_by("event_id"),
    }
    if sources:
        out["sources"] = released_sources(tables["sources"].table, schema, sources_order(tables["sources"].table,
                                                                                        cited))
    return {name: out[name] for name in ("actors", "locations", "sources", "deletions") if name in out}


def sources_order(table: pa.Table, cited: pa.Array | Any | None) -> pa.Array:
    """The rows of the curated sources ``table`` that are released, in the released order (by id): those
    ``cited`` names (ids, or a mask of the rows), or all of them. Ids are unique once validated: no ties."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    ids = table.column("source_id")
    if cited is None:
        return pc.sort_indices(ids)
    if isinstance(cited, np.ndarray):  # the rows themselves (a build in parts gathers them as a mask)
        kept = pa.array(np.flatnonzero(cited), pa.uint64())
    else:
        kept = pc.indices_nonzero(pc.is_in(ids, value_set=cited))
    return pc.take(kept, pc.sort_indices(pc.take(ids, kept)))


def released_sources(table: pa.Table, schema: Schema, rows: pa.Array) -> pa.Table:
    """The released sources at ``rows`` of the curated ``table`` (see :func:`sources_order`), typed. Typing
    is row by row, so it commutes with the cut and the sort, and a build may type them a batch at a time."""
    return typed_sources(take_rows(table.select([f.name for f in release_arrow_schema(schema, "sources")]), rows),
                         schema)


def typed_sources(curated: pa.Table, schema: Schema) -> pa.Table:
    """Curated sources rows as released: the released columns, typed."""
    return _typed(curated.select([f.name for f in release_arrow_schema(schema, "sources")]), schema, "sources")


def cited_ids(events: pa.Table) -> pa.Array:
    """The distinct source ids the events cite."""
    import pyarrow.compute as pc

    return pc.unique(pc.list_flatten(pc.split_pattern(events.column("source_ids"), "; ")))
