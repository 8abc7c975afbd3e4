"""The other yardsticks of the validate benchmark: the pyarrow parse floor and jsonschema-rs per record.

Why a parse floor: any validator of the curated tree must at least read and parse its CSV files, so the
time ``pyarrow.csv.read_csv`` needs for the same files (in a fresh process, as the CLI runs) is the floor
our validator is judged against (issue 12: within 2x). Two floors are timed and the faster one counts:
each file parsed on its own with pyarrow's type inference (what a user writes first), and each file's
columns read as strings (what a validator must do to report a bad cell instead of failing on it).

Why jsonschema-rs: it is the fastest per-record JSON Schema validator a Python user would reach for, so it
is the honest per-record peer (the pure-Python ``jsonschema`` is kept as well, but it is not the best
peer). It checks the same released records as ``jsonschema`` (built by ``bench_validate.RecordBuilder``).
"""

from __future__ import annotations

import statistics
import subprocess
import time
from pathlib import Path
from typing import Any

from benchmarks.common import PYTHON

#: A fresh interpreter that parses every CSV file of a curated tree and prints the row count.
_FLOOR = """
import sys
from pathlib import Path
import pyarrow as pa, pyarrow.csv as pacsv
root, mode = Path(sys.argv[1]), sys.argv[2]
files = sorted(root.glob("events/*/*.csv")) + sorted(root.glob("locations/*.csv"))
files += [root / n for n in ("actors.csv", "sources.csv", "deletions.csv")]
rows = 0
for f in files:
    if mode == "strings":
        with f.open("rb") as fh:
            names = fh.readline().decode().rstrip("\\r\\n").split(",")
        opts = pacsv.ConvertOptions(column_types={c: pa.string() for c in names})
        t = pacsv.read_csv(f, convert_options=opts)
    else:
        t = pacsv.read_csv(f)
    rows += t.num_rows
print(rows)
"""


def floor_once(root: Path, mode: str) -> tuple[float, int]:
    """One fresh process parsing every CSV of ``root`` ("infer" or "strings"): (wall s, rows)."""
    t0 = time.perf_counter()
    proc = subprocess.run([PYTHON, "-c", _FLOOR, str(root), mode], capture_output=True, text=True, check=True)
    return round(time.perf_counter() - t0, 4), int(proc.stdout.strip())


def parse_floor(root: Path, repeats: int, modes: tuple[str, ...] = ("infer", "strings")) -> dict[str, Any]:
    """Median wall seconds (from outside a fresh process) of pyarrow parsing every CSV of ``root``."""
    out: dict[str, Any] = {}
    for mode in modes:
        runs = [floor_once(root, mode) for _ in range(max(1, repeats))]
        walls = [w for w, _ in runs]
        out[mode] = {"median": statistics.median(walls), "runs": walls, "rows": runs[-1][1]}
    return out


def jsonschema_rs_time(records: list[dict[str, Any]], schema: dict[str, Any]) -> tuple[float, int] | None:
    """(seconds to check ``records`` one by one with jsonschema-rs, invalid count); None if not installed."""
    try:
        import jsonschema_rs
    except ImportError:
        return None
    validator = jsonschema_rs.Draft202012Validator(schema, validate_formats=True)
    t0 = time.perf_counter()
    invalid = sum(1 for r in records if not validator.is_valid(r))
    return time.perf_counter() - t0, invalid
