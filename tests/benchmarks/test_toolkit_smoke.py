"""Smoke run of the toolkit benchmark at N = 10,000 SYNTHETIC events: it runs, both sides agree (the
benchmark itself raises when they do not), and it reports every case. Timings are never asserted."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks import bench_aggregate  # noqa: E402


def test_toolkit_benchmark_smoke(tmp_path: Path) -> None:
    frame = bench_aggregate.synthetic_frame(1_000, seed=1)
    assert frame["notes"].str.startswith("SYNTHETIC").all() and frame["admin1"].str.startswith("SYNTHETIC").all()
    result = bench_aggregate.run(10_000, tmp_path, repeats=1)
    cases = [t.case for t in result.timings]
    assert sum(c.startswith("aggregate: ") for c in cases) == 3
    assert sum(c.startswith("pandas group-by: ") for c in cases) == 3
    assert len(result.targets) >= 3 and all(t.measured is not None for t in result.targets)
    if "geoparquet" not in result.extra:  # geopandas installed: the GeoParquet comparison ran too
        assert any(c.startswith("to_geoparquet") for c in cases)
    assert list(tmp_path.iterdir()) == []  # its temporary files are gone
