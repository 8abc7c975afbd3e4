"""Table rules of the registries: actors, locations, sources and deletions.

Why apart from the events: each registry has a rule or two of its own (country codes, coordinates inside
the country's box, source scales) on top of its Table Schema, and the events' rules only read them.
"""

from __future__ import annotations

from ..schema import Schema
from .admin import check_admin_units
from .emit import Checker
from .events import check_file_countries, row_iso3
from .fields import check_fields
from .kernels import NUM_RE, nonempty
from .suggest import with_suggestions


def check_actors(ch: Checker, schema: Schema) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc

    check_fields(ch, schema.curated["actors"]["fields"])
    iso = ch.col("country_iso3")
    known = sorted(schema.countries)
    bad = pc.and_(nonempty(iso), pc.invert(pc.is_in(iso, value_set=pa.array(known, pa.string()))))
    message = "not an ISO 3166-1 alpha-3 code"
    ch.emit(bad, "country_iso3", "value.enum", message, messages=with_suggestions(message, iso, bad, known))


def check_locations(ch: Checker, schema: Schema) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    check_fields(ch, schema.curated["locations"]["fields"])
    lid = ch.col("location_id")
    ch.emit(pc.and_(nonempty(lid), pc.not_equal(pc.utf8_slice_codeunits(lid, 0, 3), row_iso3(ch))),
            "location_id", "id.country", "the id's country code must match the file it is in")
    check_file_countries(ch, schema, "file")
    check_admin_units(ch, schema)

    def number(name: str) -> pa.Array:
        col = ch.col(name)
        return pc.cast(pc.if_else(pc.match_substring_regex(col, NUM_RE), col, None), pa.float64())

    lat, lon = number("latitude"), number("longitude")
    n = len(lid)
    lo_lat, lo_lon, hi_lat, hi_lon = (np.full(n, np.nan) for _ in range(4))
    has_box = np.zeros(n, dtype=bool)
    files = ch.col("_file").to_numpy()
    for i, iso in enumerate(ch.ct.file_iso3):
        country = schema.countries.get(iso)
        rows = files == i
        if country is None or not rows.any():
            continue
        if country.bbox is None:
            ch.emit(rows, "latitude", "geo.no-bbox",
                    f"no bounding box for {iso} in the country vocabulary; coordinates not checked against it")
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


def check_sources(ch: Checker, schema: Schema) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc

    check_fields(ch, schema.curated["sources"]["fields"])
    scale = ch.col("source_scale")
    # Few distinct scales: check each distinct value once in Python, then flag its rows.
    wrong = [v for v in pc.unique(scale).to_pylist() if v and not schema.source_scale_ok(v)]
    if wrong:
        bad = pc.is_in(scale, value_set=pa.array(wrong, pa.string()))
        message = "not a source scale (" + ", ".join(schema.source_scales) + ", or several joined with '-')"
        ch.emit(bad, "source_scale", "value.enum", message,
                messages=with_suggestions(message, scale, bad, list(schema.source_scales)))


def check_deletions(ch: Checker, schema: Schema) -> None:
    check_fields(ch, schema.curated["deletions"]["fields"])


CHECKS = {"actors": check_actors, "locations": check_locations, "sources": check_sources,
          "deletions": check_deletions}
