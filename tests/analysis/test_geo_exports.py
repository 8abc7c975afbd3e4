"""Map exports read back by other tools: GeoJSON and GeoPackage through GDAL (pyogrio), GeoParquet through
geopandas and pyarrow (and GDAL when its Parquet driver is present), checked against the source frame."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pyogrio = pytest.importorskip("pyogrio")
geopandas = pytest.importorskip("geopandas")
shapely = pytest.importorskip("shapely")

from openconflict.export_geo import (  # noqa: E402
    GEOPARQUET_VERSION,
    to_geojson,
    to_geopackage,
    to_geopandas,
    to_geoparquet,
    write_geo,
)

EXT = {"geoparquet": "parquet", "geojson": "geojson", "gpkg": "gpkg"}


def _plain(v: object) -> object:
    """A comparable Python value: missing -> None, dates -> date, numpy scalars -> Python."""
    if v is None or (not isinstance(v, str | bytes) and pd.isna(v)):
        return None
    if isinstance(v, pd.Timestamp | dt.datetime):
        return v.date() if v == pd.Timestamp(v).normalize() else v
    if isinstance(v, np.generic):
        return v.item()
    return v


def assert_same_attributes(read: pd.DataFrame, source: pd.DataFrame) -> None:
    assert len(read) == len(source)
    for col in source.columns:
        assert col in read.columns, col
        got = [_plain(v) for v in read[col]]
        want = [_plain(v) for v in source[col]]
        if col == "event_date":
            got = [v if v is None or isinstance(v, dt.date) else dt.date.fromisoformat(str(v)) for v in got]
            want = [v if v is None or isinstance(v, dt.date) else dt.date.fromisoformat(str(v)) for v in want]
        assert got == want, col


def assert_points(geoms: object, source: pd.DataFrame) -> None:
    geoms = np.asarray(geoms, dtype=object)
    for g, lon, lat in zip(geoms, source["longitude"], source["latitude"], strict=True):
        if pd.isna(lon):
            assert g is None or g.is_empty
        else:
            assert g.geom_type == "Point" and (g.x, g.y) == (lon, lat)


@pytest.mark.parametrize("fmt", ["geojson", "gpkg"])
def test_release_through_gdal(tmp_path: Path, release_frame: pd.DataFrame, fmt: str) -> None:
    path = tmp_path / f"events.{EXT[fmt]}"
    assert write_geo(release_frame, path, fmt) == len(release_frame)
    info = pyogrio.read_info(path)
    assert info["geometry_type"] == "Point" and info["features"] == len(release_frame)
    assert info["crs"] in ("EPSG:4326", "OGC:CRS84")
    read = pyogrio.read_dataframe(path)
    assert_points(read.geometry, release_frame)
    assert_same_attributes(read, release_frame)
    if fmt == "geojson":  # the feature id GDAL exposes is the event id
        assert list(read["id"]) == list(release_frame["event_id_cnty"])
    else:
        assert [c for c in read.columns if c != "geometry"] == list(release_frame.columns)


def test_geoparquet_metadata_follows_the_spec(tmp_path: Path, release_frame: pd.DataFrame) -> None:
    import pyarrow.parquet as pq

    path = tmp_path / "events.parquet"
    to_geoparquet(release_frame, path)
    meta = json.loads(pq.read_schema(path).metadata[b"geo"])
    assert meta["version"] == GEOPARQUET_VERSION == "1.1.0"
    assert meta["primary_column"] == "geometry"
    column = meta["columns"]["geometry"]
    assert column["encoding"] == "WKB" and column["geometry_types"] == ["Point"]
    assert "crs" not in column  # absent means OGC:CRS84, longitude first: the release's coordinates
    assert column["bbox"] == [release_frame["longitude"].min(), release_frame["latitude"].min(),
                              release_frame["longitude"].max(), release_frame["latitude"].max()]
    assert set(column) <= {"encoding", "geometry_types", "crs", "edges", "orientation", "bbox", "epoch", "covering"}
    table = pq.read_table(path)
    assert table.schema.field("geometry").type == "binary"
    geoms = shapely.from_wkb(table.column("geometry").to_pylist())
    assert_points(geoms, release_frame)
    assert table.column_names == [*release_frame.columns, "geometry"]
    assert str(table.schema.field("event_date").type) == "date32[day]"


def test_wkb_is_byte_for_byte_shapely(tmp_path: Path, synthetic: pd.DataFrame) -> None:
    import pyarrow.parquet as pq

    frame = synthetic.head(500).copy()
    frame.loc[frame.index[3:6], ["latitude", "longitude"]] = np.nan
    frame.loc[frame.index[7], ["latitude", "longitude"]] = [-90.0, 180.0]
    frame.loc[frame.index[8], ["latitude", "longitude"]] = [0.0, -0.0]
    to_geoparquet(frame, tmp_path / "w.parquet")
    ours = pq.read_table(tmp_path / "w.parquet").column("geometry").to_pylist()
    points = shapely.points(frame["longitude"].to_numpy(), frame["latitude"].to_numpy())
    theirs = [None if math.isnan(x) else w for w, x in zip(shapely.to_wkb(points, byte_order=1), frame["longitude"],
                                                          strict=True)]
    assert ours == theirs and ours[3] is None and ours[0] is not None


def test_no_valid_point_and_no_rows(tmp_path: Path, release_frame: pd.DataFrame) -> None:
    import pyarrow.parquet as pq

    empty = release_frame.iloc[:0]
    to_geoparquet(empty, tmp_path / "empty.parquet")
    meta = json.loads(pq.read_schema(tmp_path / "empty.parquet").metadata[b"geo"])
    assert meta["columns"]["geometry"]["geometry_types"] == [] and "bbox" not in meta["columns"]["geometry"]
    assert pq.read_table(tmp_path / "empty.parquet").num_rows == 0
    nowhere = release_frame.head(3).assign(latitude=np.nan, longitude=np.nan)
    to_geoparquet(nowhere, tmp_path / "nowhere.parquet")
    assert pq.read_table(tmp_path / "nowhere.parquet").column("geometry").null_count == 3
    to_geojson(nowhere, tmp_path / "nowhere.geojson")
    doc = json.loads((tmp_path / "nowhere.geojson").read_text(encoding="utf-8"))
    assert "bbox" not in doc and [f["geometry"] for f in doc["features"]] == [None] * 3


def test_geoparquet_read_by_geopandas_and_gdal_if_it_can(tmp_path: Path, release_frame: pd.DataFrame) -> None:
    ours = tmp_path / "ours.parquet"
    to_geoparquet(release_frame, ours)
    read = geopandas.read_parquet(ours)
    assert read.crs.to_string() == "OGC:CRS84"
    assert_points(read.geometry, release_frame)
    assert_same_attributes(read, release_frame)
    # geopandas' own writer on the same frame reads back to the same features.
    theirs = tmp_path / "theirs.parquet"
    to_geopandas(release_frame).to_parquet(theirs, schema_version="1.1.0")
    other = geopandas.read_parquet(theirs)
    assert (shapely.get_coordinates(read.geometry.values) == shapely.get_coordinates(other.geometry.values)).all()
    if "Parquet" in pyogrio.list_drivers():  # the pyogrio wheel's GDAL has no Parquet driver; a system GDAL may
        gdal = pyogrio.read_dataframe(ours)
        assert_points(gdal.geometry, release_frame)
        assert_same_attributes(gdal, release_frame)


def test_geojson_is_rfc7946(tmp_path: Path, release_frame: pd.DataFrame) -> None:
    path = tmp_path / "events.geojson"
    to_geojson(release_frame, path)
    raw = path.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")  # UTF-8 without a byte order mark

    def no_constants(token: str) -> None:
        raise AssertionError(f"non-JSON number {token}")

    doc = json.loads(raw.decode("utf-8"), parse_constant=no_constants)
    assert doc["type"] == "FeatureCollection" and "crs" not in doc
    assert len(doc["bbox"]) == 4 and doc["bbox"][0] <= doc["bbox"][2] and doc["bbox"][1] <= doc["bbox"][3]
    numeric = [c for c in release_frame.columns if pd.api.types.is_numeric_dtype(release_frame[c])]
    for feature, (_, row) in zip(doc["features"], release_frame.iterrows(), strict=True):
        assert feature["type"] == "Feature" and "crs" not in feature
        assert feature["id"] == row["event_id_cnty"]
        geometry = feature["geometry"]
        assert geometry["type"] == "Point" and geometry["coordinates"] == [row["longitude"], row["latitude"]]
        assert all(isinstance(c, float) for c in geometry["coordinates"])
        lon, lat = geometry["coordinates"]
        assert -180 <= lon <= 180 and -90 <= lat <= 90
        props = feature["properties"]
        assert list(props) == list(release_frame.columns)
        for col in numeric:
            assert isinstance(props[col], int | float) and not isinstance(props[col], bool), col
        assert props["event_date"] == str(row["event_date"])


def test_typed_frame_missing_values_and_unicode(tmp_path: Path, synthetic: pd.DataFrame) -> None:
    frame = synthetic.head(300).copy()  # SYNTHETIC events, the dtypes load_events gives
    frame["event_type"] = frame["event_type"].astype("category")
    frame["inter2"] = frame["inter2"].astype("Int32")
    frame.loc[frame.index[:5], "inter2"] = pd.NA
    frame.loc[frame.index[5:8], ["latitude", "longitude"]] = np.nan
    frame.loc[frame.index[9], "notes"] = "SYNTHETIC \u00e9v\u00e9nement \u062d\u0644\u0628 \"quoted\" / slash"
    for fmt in ("geojson", "gpkg", "geoparquet"):
        path = tmp_path / f"typed.{EXT[fmt]}"
        write_geo(frame, path, fmt)
        read = geopandas.read_parquet(path) if fmt == "geoparquet" else pyogrio.read_dataframe(path)
        assert_points(read.geometry, frame)
        assert_same_attributes(read, frame.astype({"event_type": str}))
    doc = json.loads((tmp_path / "typed.geojson").read_text(encoding="utf-8"))
    assert doc["features"][5]["geometry"] is None and doc["features"][0]["properties"]["inter2"] is None


def test_awkward_text_and_numbers_survive(tmp_path: Path) -> None:
    frame = pd.DataFrame({  # SYNTHETIC values chosen to trip writers up
        "event_id_cnty": ["SYN1", "SYN2", "SYN3"],
        "notes": ["tab\there\r\nnew \u2028 line", "\U0001F600 \\ \"q\" </script>", ""],
        "latitude": [1.23456789, -90.0, 0.0], "longitude": [180.0, -180.0, 1e-9],
        "timestamp": [2**53 + 1, -(2**62), 0], "share": [1e308, 0.5, 5e-324],
    })
    for fmt in ("geojson", "gpkg"):
        path = tmp_path / f"awkward.{EXT[fmt]}"
        write_geo(frame, path, fmt)
        read = pyogrio.read_dataframe(path)
        assert_points(read.geometry, frame)
        assert read["notes"].fillna("").tolist() == frame["notes"].tolist()
        assert read["share"].tolist() == frame["share"].tolist()
    gpkg = pyogrio.read_dataframe(tmp_path / "awkward.gpkg")
    assert gpkg["timestamp"].tolist() == frame["timestamp"].tolist()
    doc = json.loads((tmp_path / "awkward.geojson").read_text(encoding="utf-8"))
    assert [f["properties"]["timestamp"] for f in doc["features"]] == frame["timestamp"].tolist()  # exact ints


def test_nul_in_text_is_refused_for_geopackage(tmp_path: Path, release_frame: pd.DataFrame) -> None:
    bad = release_frame.copy()
    bad.loc[4, "notes"] = "SYNTHETIC before\x00after"
    with pytest.raises(ValueError, match="'notes' holds a NUL character \\(first at row 4\\)"):
        to_geopackage(bad, tmp_path / "x.gpkg")
    assert list(tmp_path.iterdir()) == []
    to_geojson(bad, tmp_path / "x.geojson")  # JSON escapes it: nothing is lost
    doc = json.loads((tmp_path / "x.geojson").read_text(encoding="utf-8"))
    assert doc["features"][4]["properties"]["notes"] == "SYNTHETIC before\x00after"


def test_to_geopandas_keeps_columns_and_dtypes(release_frame: pd.DataFrame) -> None:
    gdf = to_geopandas(release_frame)
    assert isinstance(gdf, geopandas.GeoDataFrame) and gdf.crs.to_epsg() == 4326
    pd.testing.assert_frame_equal(pd.DataFrame(gdf.drop(columns="geometry")), release_frame)
    assert_points(gdf.geometry, release_frame)


@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "geoparquet"])
def test_bad_coordinates_write_nothing_and_keep_the_old_file(tmp_path: Path, release_frame: pd.DataFrame,
                                                             fmt: str) -> None:
    path = tmp_path / f"events.{EXT[fmt]}"
    path.write_bytes(b"previous export")
    bad = release_frame.copy()
    bad.loc[7, "latitude"] = 95.0  # latitude and longitude swapped or mistyped
    with pytest.raises(ValueError, match="not WGS 84 degrees.*row 7"):
        write_geo(bad, path, fmt)
    half = release_frame.copy()
    half.loc[3, "longitude"] = math.nan
    with pytest.raises(ValueError, match="not WGS 84"):
        write_geo(half, path, fmt)
    assert path.read_bytes() == b"previous export"
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def test_failure_mid_write_leaves_no_partial_file(tmp_path: Path, release_frame: pd.DataFrame) -> None:
    frame = release_frame.assign(blob=[object()] * len(release_frame))  # Arrow cannot convert it
    with pytest.raises(Exception):  # noqa: B017 - pyarrow's own error; what matters is what is left
        to_geoparquet(frame, tmp_path / "x.parquet")
    assert list(tmp_path.iterdir()) == []


def test_refusals(tmp_path: Path, release_frame: pd.DataFrame) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        to_geojson(release_frame, tmp_path / "missing" / "x.geojson")
    with pytest.raises(ValueError, match="latitude and longitude"):
        to_geopackage(release_frame.drop(columns=["latitude"]), tmp_path / "x.gpkg")
    with pytest.raises(ValueError, match="already has a column 'geometry'"):
        to_geoparquet(release_frame.assign(geometry=1), tmp_path / "x.parquet")
    with pytest.raises(ValueError, match="unknown map format"):
        write_geo(release_frame, tmp_path / "x.shp", "shp")
    with pytest.raises(TypeError, match="DataFrame"):
        to_geojson({"latitude": [1]}, tmp_path / "x.geojson")
    assert list(tmp_path.iterdir()) == []
