"""The committed governorate boundaries: an intact topology, Syria's extent, and real released events
inside the governorate their admin1 names (checks the transcription of the file and the decoder)."""

from __future__ import annotations

import json

import pandas as pd
from matplotlib.path import Path as Polygon
from report_fixtures import RELEASES

from openconflict.reporting.mapping import boundaries_path, centroid, governorates

#: Our gazetteer's admin1 spelling -> the boundary file's (Natural Earth) name, where they differ.
SPELLING = {"Latakia": "Lattakia", "Al Hasakah": "Hasaka (Al Haksa)"}


def test_every_ring_closes_and_arcs_join() -> None:
    topo = json.loads(boundaries_path().read_text(encoding="utf-8"))
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        pts = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            pts.append((x, y))
        arcs.append(pts)
    for geom in topo["objects"]["syr"]["geometries"]:
        for ring in geom["arcs"]:
            seq = [arcs[i] if i >= 0 else arcs[~i][::-1] for i in ring]
            for k, seg in enumerate(seq):
                assert seg[-1] == seq[(k + 1) % len(seq)][0], (geom["properties"]["name"], k)


def test_fourteen_governorates_within_syrias_extent() -> None:
    units = governorates()
    names = [n for n, _ in units]
    assert len(set(names)) == 15 and "UNDOF" in names  # 14 governorates and the UNDOF zone
    xs = [p[0] for _, rs in units for r in rs for p in r]
    ys = [p[1] for _, rs in units for r in rs for p in r]
    assert 35.6 < min(xs) < 35.8 and 42.3 < max(xs) < 42.5
    assert 32.2 < min(ys) < 32.4 and 37.2 < max(ys) < 37.4
    areas = {n: centroid(max(rs, key=len))[0] for n, rs in units}
    assert max(areas, key=areas.get) in ("Homs (Hims)", "Dayr Az Zawr")  # the two largest governorates
    assert areas["Damascus"] < 0.05


def test_released_events_lie_in_the_governorate_they_name() -> None:
    ev = pd.read_parquet(RELEASES / "1.0.1" / "data" / "events.parquet",
                         columns=["event_id_cnty", "admin1", "latitude", "longitude"])
    shapes = {n: [Polygon(r) for r in rs] for n, rs in governorates()}
    outside = []
    for row in ev.itertuples():
        name = SPELLING.get(row.admin1, row.admin1)
        assert name in shapes, f"no boundary named like {row.admin1!r}"
        if not any(p.contains_point((row.longitude, row.latitude)) for p in shapes[name]):
            outside.append((row.event_id_cnty, row.admin1))
    assert outside == []
