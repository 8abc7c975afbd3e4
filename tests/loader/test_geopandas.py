"""load_events(output="geopandas"): a GeoDataFrame of WGS 84 points through the map exporter, or an error
that names the ``geo`` extra when it is not installed."""

from __future__ import annotations

import sys

import pandas as pd
import pytest
from loader_fixtures import VERSIONS, Releases

import openconflict.loader as L

pytestmark = pytest.mark.usefixtures("bundled_all")


def test_events_as_a_geodataframe(releases: Releases) -> None:
    geopandas = pytest.importorskip("geopandas")
    gdf = L.load_events(output="geopandas", iso3="SYR", inter_labels=True)
    plain = L.load_events(iso3="SYR", inter_labels=True)
    assert isinstance(gdf, geopandas.GeoDataFrame)
    assert gdf.crs.to_epsg() == 4326
    assert list(gdf.columns) == [*plain.columns, "geometry"]
    pd.testing.assert_frame_equal(pd.DataFrame(gdf.drop(columns="geometry")), plain)
    assert (gdf.geometry.x == plain["longitude"]).all() and (gdf.geometry.y == plain["latitude"]).all()
    assert set(gdf["event_id_cnty"]) == {k for k in releases.rows[VERSIONS[-1]] if k.startswith("SYR")}


def test_tables_with_coordinates_too() -> None:
    geopandas = pytest.importorskip("geopandas")
    places = L.load_table("locations", output="geopandas")
    assert isinstance(places, geopandas.GeoDataFrame) and len(places) == len(L.load_table("locations"))
    with pytest.raises(ValueError, match="latitude and longitude"):
        L.load_table("actors", output="geopandas")


def test_without_the_geo_extra_the_error_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [m for m in sys.modules if m == "geopandas" or m.startswith("geopandas.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "geopandas", None)  # makes `import geopandas` fail
    with pytest.raises(ImportError, match=r"'geo' extra.*pip install 'openconflict\[geo\]'"):
        L.load_events(output="geopandas")
    with pytest.raises(ImportError, match=r"openconflict\[geo\]"):
        L.load_table("locations", output="geopandas")
    assert len(L.load_events(output="pandas"))  # everything else still works
