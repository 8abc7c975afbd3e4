"""Benchmark 2, build: the full ``openconflict build`` (validate, derive, Parquet, CSV, descriptor, hashes,
zip) at several sizes, wall time and peak memory.

Why a subprocess per build: peak memory is the number that decides whether a curator's laptop can build a
release, and only a fresh process gives an honest high-water mark (``RUSAGE_CHILDREN`` of a wrapper that
runs nothing else). Why several sizes: the 3M/1M ratio shows whether the build scales linearly or some
step (a sort, a join, a Python loop over rows) grows faster than the data.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from benchmarks.common import BenchResult, Timing, openconflict_cmd, run_measured, target
from benchmarks.synth import ensure_tree

VERSION = "1.0.0"
DATE = "2026-02-01"  # after the newest synthetic report (early January 2026): the build refuses earlier dates


def release_dirs(work: Path, n: int) -> tuple[Path, Path]:
    """Where the build of ``n`` events writes (releases, dist); the load benchmark reuses the release."""
    return work / f"release-n{n}" / "releases", work / f"release-n{n}" / "dist"


def build_once(work: Path, n: int, seed: int = 0) -> tuple[float, float, Path, str]:
    """Build a fresh release of ``n`` events; returns (wall s, peak MB, release folder, CLI output)."""
    root = ensure_tree(work, n, seed)
    releases, dist = release_dirs(work, n)
    shutil.rmtree(releases.parent, ignore_errors=True)
    releases.mkdir(parents=True)
    dist.mkdir(parents=True)
    cmd = [*openconflict_cmd(), "build", "--version", VERSION, "--date", DATE, "--root", str(root),
           "--releases", str(releases), "--dist", str(dist)]
    proc = run_measured(cmd)
    if proc.rc != 0:
        raise RuntimeError(f"build of {n:,} events failed (exit {proc.rc}): {proc.stdout[-1500:]} {proc.stderr[-1500:]}")
    return proc.wall, proc.peak_mb, releases / VERSION, (proc.stdout + proc.stderr).strip()[-300:]


def _files(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_size for p in sorted(folder.rglob("*")) if p.is_file()}


def run(n: int, work: Path, *, sizes: list[int] | None = None, repeats: int = 1, seed: int = 0) -> BenchResult:
    """Build at each size (``repeats`` times each, median); targets at 1M and the 3M/1M ratio."""
    result = BenchResult("build", n)
    try:
        import openconflict.release  # noqa: F401
    except ImportError as exc:
        result.skipped = f"openconflict.release is not available yet ({exc})"
        return result
    sizes = sorted(set(sizes or [n]))
    walls: dict[int, float] = {}
    for size in sizes:
        t0 = time.perf_counter()
        ensure_tree(work, size, seed)
        gen = time.perf_counter() - t0
        runs, peaks = [], []
        folder = None
        out = ""
        for _ in range(max(1, repeats)):
            wall, peak, folder, out = build_once(work, size, seed)
            runs.append(round(wall, 3))
            peaks.append(peak)
        med = sorted(runs)[len(runs) // 2]
        walls[size] = med
        assert folder is not None
        files = _files(folder)
        result.timings.append(Timing(f"openconflict build {size:,} events", med, runs, size, peak_mb=round(max(peaks), 1),
                                     note=f"tree generated/cached in {gen:.1f} s"))
        result.extra[f"release_{size}"] = {"files": files, "cli_tail": out,
                                           "zip_bytes": sum(p.stat().st_size for p in
                                                            release_dirs(work, size)[1].glob("*.zip"))}
    m = 1_000_000
    if m in walls:
        peak_1m = result.timing(f"openconflict build {m:,} events")
        result.targets.append(target("build 1,000,000 events", walls[m], 20.0, "s"))
        result.targets.append(target("build 1,000,000 events: peak memory", peak_1m.peak_mb if peak_1m else None,
                                     4096.0, "MB"))
    else:
        big = max(walls)
        t = result.timing(f"openconflict build {big:,} events")
        result.targets.append(target(f"build {big:,} events (target set for 1M: 20 s)", walls[big], 20.0, "s"))
        result.targets.append(target(f"build {big:,} events: peak memory", t.peak_mb if t else None, 4096.0, "MB"))
    if m in walls and 3 * m in walls:
        result.targets.append(target("build 3M / build 1M time", walls[3 * m] / walls[m], 3.5, "x"))
    else:
        result.targets.append(target("build 3M / build 1M time", None, 3.5, "x",
                                     note="3M not run (python benchmarks/run.py --build-sizes 100000,1000000,3000000)"))
    return result
