"""Map-ready files of events: GeoParquet 1.1, GeoJSON (RFC 7946) and GeoPackage, and a GeoDataFrame.

Why its own module: a GIS needs a geometry, a coordinate reference system and the format's own metadata,
and each format has rules a plain table writer does not know (GeoParquet's ``geo`` metadata with WKB
geometry and a bounding box; RFC 7946's longitude-latitude order and its ban on a ``crs`` member; a
GeoPackage's spatial reference). Every event becomes a point in WGS 84 at its ``longitude``/``latitude``
and keeps every other column as an attribute.

Libraries: pyarrow writes GeoParquet (a point's WKB is a fixed 21-byte record that numpy lays out, checked
byte for byte against shapely in the tests), pyogrio (GDAL) writes GeoPackage, geopandas builds
GeoDataFrames; those two come with the ``geo`` extra. GeoParquet and GeoJSON need only the base install. Every file is written to a temporary sibling and renamed into place, so a
failed export leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile
from collections.abc import Iterator
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["GEO_FORMATS", "GEOPARQUET_VERSION", "replacing", "to_geojson", "to_geopackage", "to_geoparquet",
           "to_geopandas", "write_geo"]

GEO_FORMATS = ("geoparquet", "geojson", "gpkg")
GEOPARQUET_VERSION = "1.1.0"
GEOMETRY = "geometry"
LAT, LON = "latitude", "longitude"
#: GeoPackage needs an explicit spatial reference; EPSG:4326 is WGS 84 (GDAL stores x = longitude).
GPKG_CRS = "EPSG:4326"


def write_geo(frame: Any, path: str | os.PathLike[str], fmt: str) -> int:
    """Write ``frame`` to ``path`` as ``fmt`` (geoparquet, geojson or gpkg); returns the number of features."""
    writers = {"geoparquet": to_geoparquet, "geojson": to_geojson, "gpkg": to_geopackage}
    if fmt not in writers:
        raise ValueError(f"unknown map format {fmt!r}; choose one of {', '.join(GEO_FORMATS)}")
    return writers[fmt](frame, path)


def to_geoparquet(frame: Any, path: str | os.PathLike[str]) -> int:
    """GeoParquet 1.1: the attributes, a WKB ``geometry`` column and the ``geo`` metadata.

    The metadata names the primary column, its WKB encoding, the geometry types present and the bounding
    box [xmin, ymin, xmax, ymax]. It carries no ``crs`` key, which the specification defines as OGC:CRS84
    (WGS 84, longitude first): exactly the release's coordinates.
    """
    import pyarrow.parquet as pq

    table, lon, lat = _attributes(frame)
    table = table.append_column(GEOMETRY, _wkb(lon, lat))
    column: dict[str, Any] = {"encoding": "WKB", "geometry_types": ["Point"] if _valid(lon, lat).any() else []}
    box = _bbox(lon, lat)
    if box is not None:
        column["bbox"] = box
    geo = {"version": GEOPARQUET_VERSION, "primary_column": GEOMETRY, "columns": {GEOMETRY: column}}
    table = table.replace_schema_metadata({b"geo": json.dumps(geo, separators=(",", ":")).encode()})
    with replacing(path) as tmp:
        pq.write_table(table, tmp, compression="zstd")
    return table.num_rows


def to_geojson(frame: Any, path: str | os.PathLike[str]) -> int:
    """RFC 7946 GeoJSON: a FeatureCollection of Points, [longitude, latitude], no ``crs`` member.

    Each feature's ``id`` is its ``event_id_cnty`` (when present) and its ``properties`` hold every column,
    numbers as JSON numbers, dates as YYYY-MM-DD, missing values as null. The collection has a ``bbox``.
    """
    table, lon, lat = _attributes(frame)
    valid = _valid(lon, lat)
    box = _bbox(lon, lat)
    names = table.column_names
    has_id = "event_id_cnty" in names
    head: dict[str, Any] = {"type": "FeatureCollection"}
    if box is not None:
        head["bbox"] = box
    opening = json.dumps(head, ensure_ascii=False)[:-1] + ', "features": [\n'
    with replacing(path) as tmp, open(tmp, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(opening)
        row = 0
        for batch in table.to_batches(max_chunksize=20_000):
            columns = [_json_values(batch.column(i)) for i in range(batch.num_columns)]
            for values in zip(*columns, strict=True):
                props = dict(zip(names, values, strict=True))
                geometry = ({"type": "Point", "coordinates": [float(lon[row]), float(lat[row])]}
                            if valid[row] else None)
                feature: dict[str, Any] = {"type": "Feature"}
                if has_id and props["event_id_cnty"] is not None:
                    feature["id"] = props["event_id_cnty"]
                feature["geometry"] = geometry
                feature["properties"] = props
                fh.write(("" if row == 0 else ",\n") + json.dumps(feature, ensure_ascii=False, allow_nan=False))
                row += 1
        fh.write("\n]}\n")
    return table.num_rows


def to_geopackage(frame: Any, path: str | os.PathLike[str], *, layer: str = "events") -> int:
    """GeoPackage (through GDAL): one point layer in EPSG:4326 with every column as a field."""

    pyogrio = _require("pyogrio")
    table, lon, lat = _attributes(frame)
    _refuse_nul(table)
    table = table.append_column(GEOMETRY, _wkb(lon, lat))
    with replacing(path) as tmp:
        pyogrio.write_arrow(table, tmp, layer=layer, driver="GPKG", geometry_name=GEOMETRY,
                            geometry_type="Point", crs=GPKG_CRS)
    return table.num_rows


def to_geopandas(frame: Any) -> Any:
    """A GeoDataFrame (EPSG:4326) of ``frame`` with a point ``geometry``; the columns and dtypes are kept."""
    geopandas = _require("geopandas")
    import numpy as np
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        frame = frame.to_pandas()
    _check_coordinates(frame.columns)
    lon = pd.to_numeric(frame[LON]).to_numpy(dtype="float64", na_value=np.nan)
    lat = pd.to_numeric(frame[LAT]).to_numpy(dtype="float64", na_value=np.nan)
    _check_ranges(lon, lat)
    points = geopandas.points_from_xy(lon, lat, crs=GPKG_CRS)
    points[~_valid(lon, lat)] = None
    return geopandas.GeoDataFrame(frame.copy(), geometry=points, crs=GPKG_CRS)


# ----------------------------------------------------------------------------------------------- helpers


def _require(name: str) -> Any:
    try:
        return import_module(name)
    except ImportError:
        raise ImportError(f"map exports need the optional package {name!r}, which is not installed. "
                          "Install it with: pip install 'openconflict[geo]'") from None


def _check_coordinates(columns: Any) -> None:
    missing = [c for c in (LON, LAT) if c not in list(columns)]
    if missing:
        raise ValueError(f"a map export needs the columns latitude and longitude; missing: {', '.join(missing)}")


def _attributes(frame: Any) -> tuple[pa.Table, Any, Any]:
    """An Arrow table of the attributes (vocabularies decoded to text, event_date as a date) and lon, lat."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if type(frame).__module__.startswith("pandas"):
        table = pa.Table.from_pandas(frame, preserve_index=False)
    elif type(frame).__module__.startswith("polars"):
        table = frame.to_arrow()
    elif isinstance(frame, pa.Table):
        table = frame
    else:
        raise TypeError(f"map exports take a pandas DataFrame, a pyarrow Table or a polars DataFrame, "
                        f"not {type(frame).__name__}")
    _check_coordinates(table.column_names)
    if GEOMETRY in table.column_names:
        raise ValueError(f"the frame already has a column {GEOMETRY!r}; rename it before a map export")
    for i, field in enumerate(table.schema):
        col = table.column(i)
        if pa.types.is_dictionary(field.type):
            col = col.cast(field.type.value_type)
        elif pa.types.is_large_string(field.type) or pa.types.is_string_view(field.type):
            col = col.cast(pa.string())
        if field.name == "event_date" and pa.types.is_timestamp(col.type):
            midnight = pc.all(pc.equal(pc.cast(pc.cast(col, pa.date32()), col.type), col)).as_py()
            if midnight in (True, None):
                col = pc.cast(col, pa.date32())
        table = table.set_column(i, pa.field(field.name, col.type), col)
    table = table.replace_schema_metadata(None)
    lon = table.column(LON).to_numpy(zero_copy_only=False).astype("float64")
    lat = table.column(LAT).to_numpy(zero_copy_only=False).astype("float64")
    _check_ranges(lon, lat)
    return table, np.asarray(lon), np.asarray(lat)


def _refuse_nul(table: pa.Table) -> None:
    """GDAL keeps text as C strings and would silently cut a value at a NUL character: refuse instead."""
    import pyarrow as pa
    import pyarrow.compute as pc

    for name in table.column_names:
        col = table.column(name)
        if pa.types.is_string(col.type):
            hits = pc.match_substring(col, "\x00")
            if pc.any(hits).as_py():
                row = pc.index(hits, True).as_py()
                raise ValueError(f"column {name!r} holds a NUL character (first at row {row}); GDAL would cut "
                                 "the text there, so nothing was written. Remove it or export another format")


def _valid(lon: Any, lat: Any) -> Any:
    import numpy as np

    return np.isfinite(lon) & np.isfinite(lat)


def _check_ranges(lon: Any, lat: Any) -> None:
    import numpy as np

    one_missing = np.isnan(lon) != np.isnan(lat)
    bad = one_missing | np.isinf(lon) | np.isinf(lat) | (np.abs(lat) > 90) | (np.abs(lon) > 180)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{int(bad.sum())} row(s) have coordinates that are not WGS 84 degrees "
                         f"(first: row {i}, latitude {lat[i]}, longitude {lon[i]}); nothing was written")


def _wkb(lon: Any, lat: Any) -> pa.Array:
    """ISO WKB points (little-endian, 21 bytes each) as an Arrow binary array; null where a coordinate is
    missing. A point's WKB is a fixed record (byte order, type 1, x, y), so numpy lays it out directly:
    the same bytes as ``shapely.to_wkb`` (the tests compare them), without a Python object per point."""
    import numpy as np
    import pyarrow as pa

    n = len(lon)
    valid = _valid(lon, lat)
    record = np.dtype([("order", "u1"), ("type", "<u4"), ("x", "<f8"), ("y", "<f8")])
    points = np.zeros(n, dtype=record)
    points["order"], points["type"] = 1, 1
    points["x"], points["y"] = np.where(valid, lon, 0.0), np.where(valid, lat, 0.0)
    large = n * record.itemsize >= 2**31 - 1  # past 2 GiB of WKB, 32-bit offsets would overflow
    offset_type, arrow_type = (np.int64, pa.large_binary()) if large else (np.int32, pa.binary())
    offsets = np.zeros(n + 1, dtype=offset_type)
    np.cumsum(np.where(valid, record.itemsize, 0), out=offsets[1:])
    data = points.view(np.uint8).reshape(n, record.itemsize)[valid].tobytes() if n else b""
    nulls = int(n - valid.sum())
    bitmap = pa.py_buffer(np.packbits(valid, bitorder="little").tobytes()) if nulls else None
    return pa.Array.from_buffers(arrow_type, n, [bitmap, pa.py_buffer(offsets.tobytes()), pa.py_buffer(data)],
                                 null_count=nulls)


def _bbox(lon: Any, lat: Any) -> list[float] | None:
    valid = _valid(lon, lat)
    if not valid.any():
        return None
    x, y = lon[valid], lat[valid]
    return [float(x.min()), float(y.min()), float(x.max()), float(y.max())]


def _json_values(column: Any) -> list[Any]:
    """Python values JSON can hold: dates as ISO text, NaN and infinities as null, bytes as text."""
    import datetime as dt

    values = column.to_pylist()
    if not values:
        return values
    sample = next((v for v in values if v is not None), None)
    if isinstance(sample, dt.datetime):
        return [None if v is None else v.isoformat() for v in values]
    if isinstance(sample, dt.date):
        return [None if v is None else v.isoformat() for v in values]
    if isinstance(sample, float):
        return [None if v is None or not math.isfinite(v) else v for v in values]
    if isinstance(sample, bytes):
        return [None if v is None else v.decode("utf-8", "replace") for v in values]
    return values


@contextlib.contextmanager
def replacing(path: str | os.PathLike[str]) -> Iterator[str]:
    """A temporary sibling of ``path`` to write; renamed over ``path`` on success, removed on failure.

    For writers that want a file name rather than bytes (GDAL, pandas' Stata writer); the Stata export
    uses it too. (A candidate for ``files.py`` next to ``atomic_write``.)"""
    target = Path(path)
    if not target.parent.is_dir():
        raise FileNotFoundError(f"the folder {target.parent} does not exist; create it first")
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=target.suffix or ".tmp")
    os.close(fd)
    os.unlink(tmp)  # GDAL refuses to create a GeoPackage over an existing (empty) file
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        for leftover in (tmp, tmp + "-journal", tmp + "-wal", tmp + "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(leftover)
