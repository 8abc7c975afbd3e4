"""Shared plumbing of the benchmarks: timing, subprocesses with peak memory, results and targets.

Why medians over repeats: the benchmark machine is shared (2 cores), so single timings are noisy; the
median of a few runs, compared with a baseline measured in the same process run, is what the targets are
judged on. Every benchmark returns a :class:`BenchResult`, which ``run.py`` prints and saves as JSON.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORK = HERE / ".work"
RESULTS = HERE / "results"
PYTHON = sys.executable


@dataclass
class Timing:
    """One measured case: median seconds over ``runs``; ``scaled_from`` names a slice scaled up to N."""

    case: str
    median_s: float
    runs: list[float]
    rows: int = 0
    scaled_from: int | None = None
    peak_mb: float | None = None
    note: str = ""


@dataclass
class Target:
    """One line of the issue's targets, with the measured value and whether it is met."""

    name: str
    measured: float | None
    limit: float
    unit: str
    met: bool | None
    note: str = ""


@dataclass
class BenchResult:
    name: str
    n: int
    timings: list[Timing] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    skipped: str | None = None

    def timing(self, case: str) -> Timing | None:
        return next((t for t in self.timings if t.case == case), None)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def measure(fn: Callable[[], Any], repeats: int, warmup: int = 0) -> tuple[float, list[float], Any]:
    """Median wall time of ``fn`` over ``repeats`` calls (after ``warmup`` untimed ones), and its last value."""
    value: Any = None
    for _ in range(warmup):
        value = fn()
    runs = []
    for _ in range(max(1, repeats)):
        t0 = time.perf_counter()
        value = fn()
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs), [round(r, 6) for r in runs], value


_PEAK_WRAPPER = """
import json, resource, subprocess, sys, time
t0 = time.perf_counter()
proc = subprocess.run(sys.argv[1:], capture_output=True, text=True)
wall = time.perf_counter() - t0
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
peak_kb, cpu = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
print(json.dumps({"rc": proc.returncode, "wall": wall, "peak_kb": peak_kb, "cpu": cpu,
                  "stdout": proc.stdout[-4000:], "stderr": proc.stderr[-4000:]}))
"""


@dataclass
class Proc:
    rc: int
    wall: float
    peak_mb: float
    stdout: str
    stderr: str
    cpu: float = 0.0  # user + system seconds of the command: less sensitive than wall time to a busy machine


def run_measured(cmd: Sequence[str], env: dict[str, str] | None = None, timeout: float | None = None) -> Proc:
    """Run ``cmd`` under a fresh wrapper process, so RUSAGE_CHILDREN's peak RSS is this command's alone."""
    full_env = {**os.environ, **(env or {})}
    out = subprocess.run([PYTHON, "-c", _PEAK_WRAPPER, *cmd], capture_output=True, text=True, env=full_env,
                         timeout=timeout, check=True)
    data = json.loads(out.stdout)
    return Proc(data["rc"], data["wall"], data["peak_kb"] / 1024, data["stdout"], data["stderr"], data.get("cpu", 0.0))


def openconflict_cmd() -> list[str]:
    """The ``openconflict`` CLI of this interpreter's environment (the console script, else the module)."""
    script = Path(PYTHON).parent / "openconflict"
    if script.exists():
        return [str(script)]
    return [PYTHON, "-c", "import sys; from openconflict.cli import main; sys.exit(main())"]


def target(name: str, measured: float | None, limit: float, unit: str, *, higher_is_better: bool = False,
           note: str = "") -> Target:
    if measured is None:
        return Target(name, None, limit, unit, None, note or "not measured")
    met = measured >= limit if higher_is_better else measured <= limit
    return Target(name, round(measured, 4), limit, unit, met, note)


def read_json(path: Path) -> tuple[list[BenchResult], dict[str, Any]]:
    """Results saved by :func:`write_json`, so a table can be re-rendered without re-running."""
    payload = json.loads(path.read_text(encoding="utf-8"))
    results = []
    for r in payload["results"]:
        res = BenchResult(r["name"], r["n"], extra=r.get("extra", {}), skipped=r.get("skipped"))
        res.timings = [Timing(**t) for t in r.get("timings", [])]
        res.targets = [Target(**t) for t in r.get("targets", [])]
        results.append(res)
    return results, payload.get("meta", {})


def write_json(results: list[BenchResult], path: Path, meta: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"meta": meta, "results": [r.to_dict() for r in results]}
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    tmp.replace(path)
