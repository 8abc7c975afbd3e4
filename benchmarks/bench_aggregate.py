"""Benchmark: the researcher's toolkit at ACLED scale, on SYNTHETIC events only.

1. ``openconflict.analysis.aggregate`` against the plain pandas group-by a user would write for the same
   table (target: no slower), for admin1 x month, admin1 x week split by event type, and a complete
   admin1 x month panel (the hand-written version reindexes on the product of units and months). Every
   case checks that both give the same totals.
2. ``openconflict.export_geo.to_geoparquet`` against ``geopandas.GeoDataFrame.to_parquet`` on the same
   frame (geopandas timed with and without building its GeoDataFrame).

The frame is made in memory: ~500 admin1 units (``SYNTHETIC admin N``) over 10 years, every note reads
SYNTHETIC. Nothing here is data about real events.

    python benchmarks/bench_aggregate.py [--n 1000000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from benchmarks.common import BenchResult, Timing, measure, target  # noqa: E402

EVENT_TYPES = ["Battles", "Protests", "Riots", "Explosions/Remote violence", "Violence against civilians",
               "Strategic developments"]


def synthetic_frame(n: int, seed: int = 0) -> pd.DataFrame:
    """``n`` SYNTHETIC events with the dtypes ``load_events`` gives (text, categories, datetime64, Int32)."""
    rng = np.random.default_rng(seed)
    countries = np.array([f"SYNTHETIC country {i}" for i in range(50)], dtype=object)
    c = rng.integers(0, 50, n)
    a = rng.integers(0, 10, n)
    admin1 = np.array([f"SYNTHETIC admin {i}" for i in range(500)], dtype=object)[c * 10 + a]
    text = "str" if int(pd.__version__.split(".")[0]) >= 3 else object
    frame = pd.DataFrame({
        "event_id_cnty": pd.array([f"SYN{i + 1}" for i in range(n)], dtype=text),
        "event_date": (np.datetime64("2016-01-01") + rng.integers(0, 3653, n).astype("timedelta64[D]")
                       ).astype("datetime64[ns]"),
        "event_type": pd.Categorical.from_codes(rng.integers(0, 6, n), categories=EVENT_TYPES),
        "actor1": pd.array(np.array([f"SYNTHETIC actor {i}" for i in range(300)], dtype=object)[
            rng.integers(0, 300, n)], dtype=text),
        "inter1": pd.array(rng.integers(1, 9, n), dtype="Int32"),
        "country": pd.array(countries[c], dtype=text),
        "admin1": pd.array(admin1, dtype=text),
        "location": pd.array(np.array([f"SYNTHETIC place {i}" for i in range(20_000)], dtype=object)[
            rng.integers(0, 20_000, n)], dtype=text),
        "latitude": np.round(rng.uniform(-40, 60, n), 4),
        "longitude": np.round(rng.uniform(-100, 120, n), 4),
        "fatalities": pd.array(rng.poisson(1.5, n), dtype="Int32"),
        "notes": pd.array(np.full(n, "SYNTHETIC event for benchmarking; not a report of anything.", dtype=object),
                          dtype=text),
    })
    return frame


def _pandas_month(df: pd.DataFrame) -> pd.DataFrame:
    return (df.assign(month=df["event_date"].dt.to_period("M"))
            .groupby(["admin1", "month"], observed=True)
            .agg(events=("event_id_cnty", "count"), fatalities=("fatalities", "sum")).reset_index())


def _pandas_week_split(df: pd.DataFrame) -> pd.DataFrame:
    return (df.assign(week=df["event_date"].dt.to_period("W-SUN").dt.start_time)
            .groupby(["admin1", "week", "event_type"], observed=True)
            .agg(events=("event_id_cnty", "count"), fatalities=("fatalities", "sum")).reset_index())


def _pandas_complete(df: pd.DataFrame) -> pd.DataFrame:
    counts = (df.assign(month=df["event_date"].dt.to_period("M"))
              .groupby(["admin1", "month"], observed=True)
              .agg(events=("event_id_cnty", "count"), fatalities=("fatalities", "sum")))
    months = pd.period_range(counts.index.get_level_values("month").min(),
                             counts.index.get_level_values("month").max(), freq="M")
    full = pd.MultiIndex.from_product([sorted(df["admin1"].unique()), months], names=["admin1", "month"])
    return counts.reindex(full, fill_value=0).reset_index()


def run(n: int, work: Path | None = None, *, repeats: int = 3, seed: int = 0) -> BenchResult:
    from openconflict.analysis.aggregate import aggregate

    result = BenchResult("toolkit", n)
    df = synthetic_frame(n, seed)
    cases = [
        ("admin1 x month", lambda: aggregate(df, by=("admin1", "month")), lambda: _pandas_month(df)),
        ("admin1 x week x event_type", lambda: aggregate(df, by=("admin1", "week"), split="event_type"),
         lambda: _pandas_week_split(df)),
        ("complete admin1 x month panel", lambda: aggregate(df, by=("admin1", "month"), complete=True),
         lambda: _pandas_complete(df)),
    ]
    for name, ours, theirs in cases:
        t_ours, runs_ours, a = measure(ours, repeats, warmup=1)
        t_pd, runs_pd, b = measure(theirs, repeats, warmup=1)
        if (len(a), int(a["events"].sum()), int(a["fatalities"].sum())) != (
                len(b), int(b["events"].sum()), int(b["fatalities"].sum())):
            raise AssertionError(f"{name}: aggregate and pandas disagree")
        result.timings.append(Timing(f"aggregate: {name}", t_ours, runs_ours, n, note=f"{len(a):,} rows"))
        result.timings.append(Timing(f"pandas group-by: {name}", t_pd, runs_pd, n))
        result.targets.append(target(f"aggregate no slower than pandas ({name})", t_ours / t_pd, 1.0, "x"))

    try:
        import geopandas
    except ImportError:
        result.extra["geoparquet"] = "skipped: geopandas is not installed (pip install 'openconflict[geo]')"
        return result
    from openconflict.export_geo import to_geoparquet

    with tempfile.TemporaryDirectory(dir=work) as tmp:
        ours_path, theirs_path = Path(tmp) / "ours.parquet", Path(tmp) / "theirs.parquet"

        def build_gdf() -> object:
            points = geopandas.points_from_xy(df["longitude"], df["latitude"], crs="EPSG:4326")
            return geopandas.GeoDataFrame(df, geometry=points, crs="EPSG:4326")

        gdf = build_gdf()
        t_ours, runs_ours, _ = measure(lambda: to_geoparquet(df, ours_path), repeats)
        t_gpd, runs_gpd, _ = measure(lambda: gdf.to_parquet(theirs_path, schema_version="1.1.0"), repeats)
        t_gpd_all, runs_all, _ = measure(lambda: build_gdf().to_parquet(theirs_path, schema_version="1.1.0"),
                                         repeats)
        result.timings += [
            Timing("to_geoparquet (frame -> file)", t_ours, runs_ours, n,
                   note=f"zstd, {ours_path.stat().st_size / 1e6:.1f} MB"),
            Timing("geopandas to_parquet (GeoDataFrame ready)", t_gpd, runs_gpd, n,
                   note=f"snappy, {theirs_path.stat().st_size / 1e6:.1f} MB"),
            Timing("geopandas build GeoDataFrame + to_parquet", t_gpd_all, runs_all, n),
        ]
        result.targets.append(target("to_geoparquet vs geopandas build + write", t_ours / t_gpd_all, 1.0, "x"))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    r = run(args.n, repeats=args.repeats)
    print(f"toolkit benchmark, N = {r.n:,} SYNTHETIC events")
    for t in r.timings:
        print(f"  {t.case:<48} {t.median_s * 1000:9.1f} ms  (runs: {', '.join(f'{x:.3f}' for x in t.runs)})"
              + (f"  {t.note}" if t.note else ""))
    for tg in r.targets:
        print(f"  target: {tg.name}: {tg.measured} {tg.unit} (limit {tg.limit}) -> {'MET' if tg.met else 'MISSED'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
