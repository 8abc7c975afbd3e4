"""Run every benchmark and print one table: medians, ratios against the baselines, targets met or missed.

    python benchmarks/run.py [--n 1000000] [--only validate,build,diff,load,import] [--quick] [--huge]
                             [--build-sizes 100000,1000000,3000000] [--json PATH] [--markdown]
    python benchmarks/run.py --render benchmarks/results/latest.json --markdown   # re-print a saved run

Why one command: the targets of the "fast at ACLED scale" issue are judged on numbers measured in the same
process run on the same machine, baselines included, so the ratios stay meaningful on a shared box. The
results go to ``benchmarks/results/latest.json``; ``--markdown`` also prints the table as Markdown for
``benchmarks/README.md``. Synthetic trees and releases are cached under ``benchmarks/.work/`` (git-ignored).
``--quick`` is N = 10,000 with one repeat: a smoke run, not a measurement.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import time
import traceback
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import bench_build, bench_diff, bench_import, bench_load, bench_validate  # noqa: E402
from benchmarks.common import RESULTS, WORK, BenchResult, read_json, write_json  # noqa: E402

ALL = ("validate", "build", "diff", "load", "import")


def run_all(n: int, only: list[str], *, quick: bool = False, build_sizes: list[int] | None = None,
            work: Path = WORK, seed: int = 0, huge: bool = False, repeats: int = 3) -> list[BenchResult]:
    """Run the chosen benchmarks; a failing benchmark is recorded as skipped with its error, never fatal."""
    work.mkdir(parents=True, exist_ok=True)
    results: list[BenchResult] = []
    for name in only:
        t0 = time.perf_counter()
        try:
            if name == "validate":
                r = bench_validate.run(n, work, repeats=1 if quick else 3, seed=seed,
                                       fl_slice=min(n, 5_000) if quick else None, fl_runs=1 if quick else 5,
                                       js_slice=min(n, 2_000 if quick else bench_validate.JSONSCHEMA_SLICE),
                                       rs_slice=min(n, 5_000 if quick else bench_validate.JSONSCHEMA_RS_SLICE))
            elif name == "build":
                sizes = build_sizes or ([n] if quick else sorted({100_000, n}))
                later = [n] if quick else sorted({100_000, n} | ({3 * n, 10 * n} if huge else set()))
                r = bench_build.run(n, work, sizes=sizes, seed=seed, repeats=1 if quick else repeats,
                                    later_sizes=later, earlier=2 if quick else 5)
            elif name == "load":
                r = bench_load.run(n, work, repeats=5 if quick else 15, csv_repeats=1 if quick else 3, seed=seed,
                                   cold_repeats=1 if quick else repeats, shape_repeats=2 if quick else 7)
            elif name == "diff":
                parquet = bench_build.release_dirs(work, n)[0] / bench_build.VERSION / "data" / "events.parquet"
                if not parquet.exists():
                    bench_build.build_once(work, n, seed)
                r = bench_diff.run(n, parquet, repeats=1 if quick else repeats)
            elif name == "import":
                r = bench_import.run(n, work, repeats=3 if quick else 11)
            else:
                raise ValueError(f"unknown benchmark {name!r}; choose from {', '.join(ALL)}")
        except Exception as exc:  # noqa: BLE001 - one broken benchmark must not hide the others
            r = BenchResult(name, n, skipped=f"{type(exc).__name__}: {exc}")
            r.extra["traceback"] = traceback.format_exc()[-3000:]
        r.extra["bench_seconds"] = round(time.perf_counter() - t0, 1)
        results.append(r)
    return results


def _fmt_s(s: float) -> str:
    if s < 1:
        return f"{s * 1000:.1f} ms"
    return f"{s:.2f} s"


def render(results: list[BenchResult], markdown: bool = False) -> str:
    """The table of timings (median, runs, ratio to our path) and of targets."""
    out: list[str] = []
    for r in results:
        out.append(f"\n{'### ' if markdown else '== '}{r.name} (N = {r.n:,})")
        if r.skipped:
            out.append(f"SKIPPED: {r.skipped}")
            continue
        ours = r.timings[0].median_s if r.timings else None
        if r.name == "validate":
            ours = next((t.median_s for t in r.timings if "CLI" in t.case), ours)
        if r.name == "import":
            ours = next((t.median_s for t in r.timings if "openconflict" in t.case), ours)
        if r.name == "load":  # ratios by shape against the best peer are in the targets table
            ours = None
        rows = [("case", "median", "runs", "vs ours", "note")]
        for t in r.timings:
            ratio = f"{t.median_s / ours:.1f}x" if ours and r.name != "build" else ""
            extra = []
            if t.scaled_from:
                extra.append(f"scaled from {t.scaled_from:,}")
            if t.peak_mb is not None:
                extra.append(f"peak {t.peak_mb:,.0f} MB")
            if t.note:
                extra.append(t.note)
            rows.append((t.case, _fmt_s(t.median_s), str(len(t.runs)), ratio, "; ".join(extra)))
        out += _table(rows, markdown)
        trows = [("target", "measured", "limit", "status")]
        for tg in r.targets:
            status = "n/a" if tg.met is None else ("MET" if tg.met else "MISSED")
            meas = "-" if tg.measured is None else f"{tg.measured:,.2f} {tg.unit}"
            trows.append((tg.name + (f" ({tg.note})" if tg.note else ""), meas, f"{tg.limit:,g} {tg.unit}", status))
        out.append("")
        out += _table(trows, markdown)
        det = r.extra.get("detection")
        if det:
            out.append("")
            caught = ", ".join(f"{tool} {k}" for tool, k in det["caught"].items())
            out.append(f"Injected errors caught, of {det['injected']}: {caught}.")
            out.append("")
            drows = [("rule", "injected", "openconflict", "frictionless", "jsonschema")]
            for rule, d in sorted(det["by_rule"].items()):
                drows.append((rule, str(d["injected"]), str(d["openconflict"]), str(d["frictionless"]),
                              str(d["jsonschema"])))
            out += _table(drows, markdown)
    return "\n".join(out)


def _table(rows: list[tuple[str, ...]], markdown: bool) -> list[str]:
    if markdown:
        lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows[1:]]
        return lines
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows]


README = Path(__file__).resolve().parent / "README.md"
START, END = "<!-- results:start -->", "<!-- results:end -->"


def update_readme(results: list[BenchResult], meta: dict[str, object], readme: Path = README) -> None:
    """Replace the results section of benchmarks/README.md with the Markdown table of this run."""
    text = readme.read_text(encoding="utf-8")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    body = (f"Measured {meta.get('when', '?')} with `{meta.get('command', '?')}` "
            f"(Python {meta.get('python', '?')}, {meta.get('cpus', '?')} CPUs, shared machine; "
            f"load average at the end {meta.get('load_average_at_end', '?')}).\n"
            + render(results, markdown=True))
    readme.write_text(f"{head}{START}\n{body}\n{END}{tail}", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="OpenConflict benchmarks (synthetic data only).")
    parser.add_argument("--n", type=int, default=1_000_000, help="events in the benchmark trees")
    parser.add_argument("--only", default=",".join(ALL), help="comma-separated subset of " + ",".join(ALL))
    parser.add_argument("--quick", action="store_true", help="N = 10,000 and one repeat: a smoke run")
    parser.add_argument("--build-sizes", default="", help="comma-separated sizes for the build benchmark")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--huge", action="store_true",
                        help="also the later-release build series at 3N and 10N (10M: ~30 min, tens of GB of disk)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per case for the medians (cold loads, builds)")
    parser.add_argument("--json", type=Path, default=RESULTS / "latest.json")
    parser.add_argument("--work", type=Path, default=WORK, help="cache of generated trees and releases")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    parser.add_argument("--update-readme", action="store_true",
                        help="write the table into benchmarks/README.md (with --render: from that file)")
    parser.add_argument("--render", type=Path, metavar="JSON", help="only print the table of a saved results file")
    args = parser.parse_args(argv)
    if args.render:
        saved, meta = read_json(args.render)
        print(f"Measured {meta.get('when', '?')} with `{meta.get('command', '?')}` "
              f"(Python {meta.get('python', '?')}, {meta.get('cpus', '?')} CPUs).")
        print(render(saved, markdown=args.markdown))
        if args.update_readme:
            update_readme(saved, meta)
        return 0
    n = 10_000 if args.quick else args.n
    only = [s.strip() for s in args.only.split(",") if s.strip()]
    sizes = [int(s) for s in args.build_sizes.split(",") if s.strip()] or None
    t0 = time.perf_counter()
    results = run_all(n, only, quick=args.quick, build_sizes=sizes, work=args.work, seed=args.seed, huge=args.huge,
                      repeats=args.repeats)
    meta = {"when": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "n": n, "quick": args.quick,
            "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
            "python": platform.python_version(), "machine": platform.machine(), "cpus": os.cpu_count(),
            "seconds": round(time.perf_counter() - t0, 1), "command": " ".join(sys.argv)}
    write_json(results, args.json, meta)
    if args.update_readme:
        update_readme(results, meta)
    print(render(results, markdown=args.markdown))
    print(f"\nresults written to {args.json}")
    missed = [t.name for r in results for t in r.targets if t.met is False]
    skipped = [r.name for r in results if r.skipped]
    if missed:
        print("targets missed: " + "; ".join(missed))
    if skipped:
        print("benchmarks skipped: " + ", ".join(skipped))
    return 0


if __name__ == "__main__":
    sys.exit(main())
