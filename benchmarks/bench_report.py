"""Benchmark: the release report of a 1M-event synthetic release against the build of that release.

Why this comparison: the release step is to build the report for every release, and the issue's target is
that the report adds at most 10 % to the build of a million events. Both are measured in the same run:
the build as the ``openconflict build`` command (wall time of a fresh process, as bench_build measures
it), the report as a fresh process that imports openconflict.reporting and calls ``render_report``
(imports of pyarrow and matplotlib included); inside ``build_release`` itself, against the rest of that
build (what the release step pays: the headline figure); and warm, in process after a first render. The data is synthetic (benchmarks/synth.py).

    python benchmarks/bench_report.py [--n 1000000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_build import build_once  # noqa: E402
from benchmarks.common import PYTHON, RESULTS, WORK, run_measured  # noqa: E402
from benchmarks.synth import ensure_tree  # noqa: E402

LIMIT = 0.10  # the report may add at most 10 % to the build


def render_fresh(folder: Path, out: Path) -> tuple[float, float]:
    """Wall seconds and peak MB of a new interpreter rendering the report of ``folder``."""
    code = ("import sys; from pathlib import Path; from openconflict.reporting import render_report; "
            "render_report(Path(sys.argv[1]), Path(sys.argv[2]))")
    proc = run_measured([PYTHON, "-c", code, str(folder), str(out)])
    if proc.rc != 0:
        raise RuntimeError(f"report failed (exit {proc.rc}): {proc.stderr[-2000:]}")
    return proc.wall, proc.peak_mb


def build_with_report(root: Path, tmp: Path) -> tuple[float, float]:
    """(whole build s, report s inside it) of one ``build_release`` in a fresh process: the release step as it
    runs, with the report rendered from the build's in-memory tables and matplotlib imported in the
    background from the start. The report's share is timed by wrapping the real rendering step (it still
    runs and its page is part of the release); nothing is skipped or replaced."""
    import subprocess

    code = ("import json, sys, time; from pathlib import Path; "
            "import openconflict.release.write as w; real = w._render_report; spent = []\n"
            "def timed(*a, **k):\n"
            "    t = time.perf_counter(); r = real(*a, **k); spent.append(time.perf_counter() - t); return r\n"
            "w._render_report = timed\n"
            "from openconflict import build_release; tmp = Path(sys.argv[2]); t = time.perf_counter()\n"
            "build_release(Path(sys.argv[1]), '1.0.0', date='2026-02-01', releases_dir=tmp / 'releases', "
            "dist_dir=tmp / 'dist')\n"
            "print(json.dumps([time.perf_counter() - t, spent[0]]))")
    proc = subprocess.run([PYTHON, "-c", code, str(root), str(tmp)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"build failed: {proc.stderr[-2000:]}")
    build, report = json.loads(proc.stdout.strip().splitlines()[-1])
    return build, report


def render_in_process(folder: Path, out: Path, repeats: int) -> list[float]:
    from openconflict.reporting import render_report

    render_report(folder, out)  # warm-up: imports, fonts, boundary file
    runs = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        render_report(folder, out)
        runs.append(time.perf_counter() - t0)
    return runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    WORK.mkdir(parents=True, exist_ok=True)
    build_wall, build_peak, folder, _ = build_once(WORK, args.n)
    with tempfile.TemporaryDirectory(prefix="report-bench-") as tmp:
        fresh = [render_fresh(folder, Path(tmp) / f"fresh{i}") for i in range(args.repeats)]
        both = [build_with_report(ensure_tree(WORK, args.n), Path(tmp) / f"both{i}") for i in range(args.repeats)]
        warm = render_in_process(folder, Path(tmp) / "warm", args.repeats)
        size = (Path(tmp) / "warm" / "index.html").stat().st_size
        same = (Path(tmp) / "warm" / "index.html").read_bytes() == (Path(tmp) / "fresh0" / "index.html").read_bytes()
    fresh_med = statistics.median(w for w, _ in fresh)
    warm_med = statistics.median(warm)
    shares = [r / (b - r) for b, r in both]  # what the report adds to the rest of the build
    first_share = statistics.median(shares)
    first_med = statistics.median(r for _, r in both)
    result = {
        "n": args.n,
        "build_wall_s": round(build_wall, 3), "build_peak_mb": round(build_peak, 1),
        "report_fresh_process_s": [round(w, 3) for w, _ in fresh], "report_fresh_median_s": round(fresh_med, 3),
        "report_fresh_peak_mb": round(max(p for _, p in fresh), 1),
        "build_with_report_and_report_inside_s": [[round(b, 3), round(r, 3)] for b, r in both],
        "report_inside_build_median_s": round(first_med, 3),
        "report_in_process_s": [round(w, 3) for w in warm], "report_in_process_median_s": round(warm_med, 3),
        "report_bytes": size, "fresh_and_in_process_identical": same,
        "share_fresh": round(fresh_med / build_wall, 4), "share_inside_build": round(first_share, 4),
        "share_in_process": round(warm_med / build_wall, 4),
        "limit": LIMIT,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "report.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=1))
    for label, share, value in (("a fresh process, against the CLI build", fresh_med / build_wall, fresh_med),
                                ("the build itself, against the rest of that build", first_share, first_med),
                                ("process, warm, against the CLI build", warm_med / build_wall, warm_med)):
        print(f"report in {label}: {value:.2f} s = {100 * share:.1f} % "
              f"(target <= {100 * LIMIT:.0f} %: {'MET' if share <= LIMIT else 'MISSED'})")
    print(f"CLI build: {build_wall:.2f} s; in-process builds: {', '.join(f'{b:.2f} s' for b, _ in both)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
