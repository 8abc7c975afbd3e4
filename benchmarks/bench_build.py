"""Benchmark 2, build: the full ``openconflict build`` (validate, derive, Parquet, CSV, descriptor, hashes,
zip) at several sizes, wall time and peak memory.

Why a subprocess per build: peak memory is the number that decides whether a curator's laptop can build a
release, and only a fresh process gives an honest high-water mark (``RUSAGE_CHILDREN`` of a wrapper that
runs nothing else). Why several sizes: the 3M/1M ratio shows whether the build scales linearly or some
step (a sort, a join, a Python loop over rows) grows faster than the data.
"""

from __future__ import annotations

import shutil
import statistics
import time
from pathlib import Path

from benchmarks.common import BenchResult, Timing, openconflict_cmd, run_measured, target
from benchmarks.synth import ensure_tree

VERSION = "1.0.0"
DATE = "2026-02-01"  # after the newest synthetic report (early January 2026): the build refuses earlier dates


def release_dirs(work: Path, n: int) -> tuple[Path, Path]:
    """Where the build of ``n`` events writes (releases, dist); the load benchmark reuses the release."""
    return work / f"release-n{n}" / "releases", work / f"release-n{n}" / "dist"


def build_once(work: Path, n: int, seed: int = 0, cpu: list[float] | None = None) -> tuple[float, float, Path, str]:
    """Build a fresh release of ``n`` events; returns (wall s, peak MB, release folder, CLI output); the
    build's CPU seconds (user + system) are appended to ``cpu`` if given."""
    root = ensure_tree(work, n, seed)
    releases, dist = release_dirs(work, n)
    shutil.rmtree(releases.parent, ignore_errors=True)
    releases.mkdir(parents=True)
    dist.mkdir(parents=True)
    cmd = [*openconflict_cmd(), "build", "--version", VERSION, "--date", DATE, "--root", str(root),
           "--releases", str(releases), "--dist", str(dist)]
    proc = run_measured(cmd)
    if cpu is not None:
        cpu.append(round(proc.cpu, 2))
    if proc.rc != 0:
        raise RuntimeError(f"build of {n:,} events failed (exit {proc.rc}): {proc.stdout[-1500:]} {proc.stderr[-1500:]}")
    return proc.wall, proc.peak_mb, releases / VERSION, (proc.stdout + proc.stderr).strip()[-300:]


def _files(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_size for p in sorted(folder.rglob("*")) if p.is_file()}


def _edit_tree(root: Path, stage: int) -> int:
    """Revise the notes of every event in about 1 % of the event files (a different 1 % per stage), the
    kind of correction a later release carries; returns the number of files edited."""
    files = sorted((root / "events").glob("*/*.csv"))
    edited = 0
    for k, path in enumerate(files):
        if k % 100 != stage % 100:
            continue
        body = path.read_bytes()
        new = body.replace(b"(generated; not reported).", f"(generated; not reported; revised {stage}).".encode())
        if new != body:
            path.write_bytes(new)
            edited += 1
    return edited


def later_releases(work: Path, n: int, earlier: int, seed: int = 0) -> list[tuple[int, float, float, float]]:
    """Build a first release of ``n`` events and then ``earlier`` later ones, each after revising about 1 % of
    the events; returns (earlier releases present, wall s, peak MB, CPU s) for every build, the first included."""
    src = ensure_tree(work, n, seed)
    base = work / f"later-n{n}"
    shutil.rmtree(base, ignore_errors=True)
    root = base / "datasets"
    shutil.copytree(src, root)
    releases, dist = base / "releases", base / "dist"
    releases.mkdir(parents=True)
    dist.mkdir(parents=True)
    out = []
    try:
        for k in range(earlier + 1):
            if k:
                _edit_tree(root, k)
            cmd = [*openconflict_cmd(), "build", "--version", f"1.0.{k}", "--date", DATE, "--root", str(root),
                   "--releases", str(releases), "--dist", str(dist)]
            proc = run_measured(cmd)
            if proc.rc != 0:
                raise RuntimeError(f"build 1.0.{k} of {n:,} events failed (exit {proc.rc}): "
                                   f"{proc.stdout[-1500:]} {proc.stderr[-1500:]}")
            out.append((k, round(proc.wall, 3), round(proc.peak_mb, 1), round(proc.cpu, 2)))
    finally:
        shutil.rmtree(base, ignore_errors=True)  # a 10M series holds ~30 GB of releases otherwise
    return out


def run(n: int, work: Path, *, sizes: list[int] | None = None, repeats: int = 1, seed: int = 0,
        later_sizes: list[int] | None = None, earlier: int = 5) -> BenchResult:
    """First-release builds at each of ``sizes`` (``repeats`` times, median), then at each of ``later_sizes``
    a series of later releases with 1..``earlier`` releases already present (time and peak memory each)."""
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
        runs, peaks, cpus = [], [], []
        folder = None
        out = ""
        for _ in range(max(1, repeats)):
            wall, peak, folder, out = build_once(work, size, seed, cpus)
            runs.append(round(wall, 3))
            peaks.append(peak)
        med = statistics.median(runs)
        walls[size] = med
        assert folder is not None
        result.timings.append(Timing(f"first release, {size:,} events", med, runs, size, peak_mb=round(max(peaks), 1),
                                     note=f"CPU {statistics.median(cpus):.1f} s (median); tree generated/cached "
                                          f"in {gen:.1f} s"))
        result.extra[f"release_{size}"] = {"files": _files(folder), "cli_tail": out,
                                           "zip_bytes": sum(p.stat().st_size for p in
                                                            release_dirs(work, size)[1].glob("*.zip"))}
    later: dict[int, dict[int, tuple[float, float]]] = {}
    for size in sorted(set(later_sizes or [])):
        # The whole series is repeated (each build of a series depends on the one before), then each
        # position's median is taken; the ratio uses the median first build of the series.
        # Above 2M (the --huge sizes) one series with one earlier release: the issue asks for the peak memory
        # of a later release with the previous one present, and six 10M releases (~9 GB each) would not fit
        # this machine's disk beside the tree (nor its time budget) three times over.
        big_size = size > 2_000_000
        runs_by_k: dict[int, list[tuple[float, float, float]]] = {}
        for _ in range(1 if big_size else max(1, repeats)):
            for k, w, p, c in later_releases(work, size, 1 if big_size else earlier, seed):
                runs_by_k.setdefault(k, []).append((w, p, c))
        later[size] = {k: (statistics.median(w for w, _, _ in r), max(p for _, p, _ in r))
                       for k, r in runs_by_k.items()}
        for k, r in sorted(runs_by_k.items()):
            what = "first release (of the series)" if k == 0 else f"later release, {k} earlier present"
            note = f"CPU {statistics.median(c for _, _, c in r):.1f} s (median)"
            result.timings.append(Timing(f"{what}, {size:,} events", later[size][k][0], [w for w, _, _ in r], size,
                                         peak_mb=later[size][k][1],
                                         note=note + ("; after revising the notes of ~1 % of events" if k else "")))
    result.extra["later"] = {str(s): {str(k): v for k, v in d.items()} for s, d in later.items()}
    m = 1_000_000
    first = result.timing(f"first release, {m:,} events")
    result.targets.append(target("first release of 1,000,000 events", walls.get(m), 9.0, "s"))
    result.targets.append(target("first release of 1,000,000 events: peak memory",
                                 first.peak_mb if first else None, 4096.0, "MB"))
    if m in later:
        base_w = later[m][0][0]
        for k in sorted(later[m]):
            if k:
                result.targets.append(target(f"later release of 1M ({k} earlier) / first release time",
                                             later[m][k][0] / base_w, 1.2, "x", note="the same series"))
    bigger = sorted(s for s in later if s > m)
    if m in later and bigger:
        for big in bigger:  # 1 earlier release present in both, as the big series has
            result.targets.append(target(f"later release peak memory, {big:,} / 1,000,000 events (1 earlier)",
                                         later[big][1][1] / later[m][1][1], 1.5, "x"))
    else:
        result.targets.append(target("later release peak memory, 10M / 1M", None, 1.5, "x",
                                     note="needs the --huge series (python benchmarks/run.py --huge)"))
    return result
