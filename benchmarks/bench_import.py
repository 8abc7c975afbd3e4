"""Benchmark 4, import: ``python -c "import openconflict"`` against ``python -c "import pandas"``.

Why it matters: a CLI verb or a notebook cell pays the import on every start, and ``import openconflict``
promises to stay light by importing pandas and pyarrow lazily. Each command runs in a fresh interpreter;
``python -c pass`` is measured too, so the table shows both the wall time and the import's own share
(wall minus bare interpreter start), which is what the 50 ms target is judged on. ``-X importtime`` names
the modules that were imported, so an accidental heavy import shows up in the JSON.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from benchmarks.common import PYTHON, BenchResult, Timing, measure, target

HEAVY = ("pandas", "pyarrow", "numpy", "polars", "frictionless", "jsonschema", "click")


def _run(code: str) -> None:
    subprocess.run([PYTHON, "-c", code], check=True, capture_output=True)


def imported_modules(module: str) -> list[str]:
    """Top-level packages that ``import module`` pulls in (from ``-X importtime``)."""
    out = subprocess.run([PYTHON, "-X", "importtime", "-c", f"import {module}"], capture_output=True, text=True,
                         check=True)
    names = set()
    for line in out.stderr.splitlines():
        if "|" in line and not line.startswith("import time: self"):
            names.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    return sorted(names)


def run(n: int, work: Path, *, repeats: int = 11) -> BenchResult:
    """Median wall time of fresh interpreters importing each module (n and work are unused)."""
    result = BenchResult("import", n)
    med_bare, runs_bare, _ = measure(lambda: _run("pass"), repeats, warmup=1)
    med_oc, runs_oc, _ = measure(lambda: _run("import openconflict"), repeats, warmup=1)
    med_pd, runs_pd, _ = measure(lambda: _run("import pandas"), repeats, warmup=1)
    result.timings += [
        Timing("python -c pass (interpreter start)", med_bare, runs_bare),
        Timing("python -c 'import openconflict'", med_oc, runs_oc,
               note=f"import share {1000 * (med_oc - med_bare):.0f} ms"),
        Timing("python -c 'import pandas'", med_pd, runs_pd, note=f"import share {1000 * (med_pd - med_bare):.0f} ms"),
    ]
    mods = imported_modules("openconflict")
    heavy = [m for m in HEAVY if m in mods]
    result.extra["openconflict_imports"] = mods
    result.extra["heavy_imports"] = heavy
    result.extra["ratios"] = {"pandas / openconflict (import share)":
                              round((med_pd - med_bare) / max(med_oc - med_bare, 1e-4), 1)}
    result.targets += [
        target("import openconflict (wall minus bare interpreter)", 1000 * (med_oc - med_bare), 50.0, "ms"),
        target("import openconflict (wall, including interpreter start)", 1000 * med_oc, 50.0, "ms",
               note="informational: the interpreter alone takes " f"{1000 * med_bare:.0f} ms"),
        target("heavy packages imported by import openconflict", float(len(heavy)), 0.0, "modules",
               note=", ".join(heavy)),
    ]
    return result
