"""Which Parquet row-group size serves every query shape: the release's events rewritten with other row-group
sizes (same rows, same sort order, same writer options otherwise), and each shape read cold by pyarrow,
polars and duckdb.

    python benchmarks/layout_probe.py RELEASE/data/events.parquet [--sizes 4096,16384,65536] [--repeats 3]

Why: issue 12 asks to choose the row-group size and sort order from measurements. Small row groups let a
country-year read a few thousand rows, but every shape that touches all row groups (one event type, one
actor, the whole release) pays a fixed cost per row group. SYNTHETIC data only (the benchmark releases).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.load_shapes import _cold_once, queries  # noqa: E402

#: Arrow output only: ours is the loader's own scan (no ledger: the rewritten files are not releases).
TOOLS = ("openconflict scan (arrow)", "polars collect", "duckdb .arrow()", "pyarrow.dataset to_table")


def rewrite(src: Path, dest: Path, row_group: int) -> None:
    """``src`` rewritten by the release's own Parquet writer with another row-group size."""
    import pyarrow.parquet as pq

    from openconflict.release.write import write_parquet

    write_parquet(pq.read_table(src), dest, row_group)


def probe(src: Path, sizes: list[int], repeats: int, country: str, actor: str) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="oc-layout-") as tmp:
        for size in sizes:
            path = Path(tmp) / f"events-{size}.parquet"
            rewrite(src, path, size)
            for shape, q in queries(country, actor).items():
                walls: dict[str, list[float]] = {tool: [] for tool in TOOLS}
                for _ in range(repeats):  # interleaved, so a noisy moment hits every tool alike
                    for tool in TOOLS:
                        spec = {"tool": tool, "query": q, "path": str(path), "version": "", "output": "arrow"}
                        walls[tool].append(_cold_once(spec, {})[0])
                for tool in TOOLS:
                    rows.append({"row_group": size, "bytes": path.stat().st_size, "shape": shape, "tool": tool,
                                 "median_s": round(statistics.median(walls[tool]), 4), "runs": walls[tool]})
                    print(json.dumps(rows[-1]), flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("parquet", type=Path)
    parser.add_argument("--sizes", default="4096,16384,65536")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--country", default="Syria")
    parser.add_argument("--actor", default="Synthetic Rebel Front 1 (SYR)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    rows = probe(args.parquet, [int(s) for s in args.sizes.split(",")], args.repeats, args.country, args.actor)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
