"""Smoke runs of every benchmark at N = 10,000: they produce results, and our validator catches every
injected error. Timings are never asserted (the machine is shared; the targets are judged by
``benchmarks/run.py`` at full size), only structure and correctness.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks import bench_build, bench_import, bench_load, bench_validate, run, synth, synth_hostile  # noqa: E402

N = 10_000


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bench-work")


def _has_module(name: str) -> bool:
    try:
        __import__(name)
    except ImportError:
        return False
    return True


def test_synth_is_deterministic_and_clean(tmp_path: Path) -> None:
    from openconflict.validate import validate

    a = synth.generate(tmp_path / "a" / "datasets", 2_000, seed=7)
    synth.generate(tmp_path / "b" / "datasets", 2_000, seed=7)
    files_a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.csv"))
    files_b = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*.csv"))
    assert files_a == files_b
    for rel in files_a[:50] + [Path("datasets/sources.csv"), Path("datasets/actors.csv")]:
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes()
    assert a.n_events == 2_000 and len(a.countries) == 50
    report, curated = validate([tmp_path / "a" / "datasets"])
    assert report.problems == []
    assert curated.tables["events"].num_rows == 2_000
    sources = (tmp_path / "a" / "datasets" / "sources.csv").read_text(encoding="utf-8").splitlines()[1:]
    assert sources and all(",SYNTHETIC,SYNTHETIC " in row and "https://example.invalid/synthetic/" in row
                           for row in sources)


def test_injected_errors_cover_every_rule_and_are_caught(tmp_path: Path) -> None:
    from openconflict.validate import validate

    root = tmp_path / "datasets"
    summary = synth.generate(root, N, seed=3, inject_errors=True)
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert len(manifest["injected"]) == len(summary.injected) > 40
    rules = {i["rule"] for i in manifest["injected"]}
    # Every rule of the validator's catalogue must be planted at least once (bar the few no tree can
    # carry, each with its reason), so a new rule without an injection fails here.
    from openconflict.validate.rules import CATALOGUE

    assert set(synth_hostile.NOT_INJECTED) <= set(CATALOGUE)
    assert sorted(set(CATALOGUE) - set(synth_hostile.NOT_INJECTED) - rules) == []
    report, _ = validate([root])
    found = {(p.file, p.line, p.rule) for p in report.problems}
    missed = [i for i in manifest["injected"] if (i["file"], i["line"], i["rule"]) not in found]
    assert missed == []


def test_validate_benchmark(work: Path) -> None:
    result = bench_validate.run(N, work, repeats=1, fl_slice=2_000, js_slice=500, rs_slice=1_000, fl_runs=2)
    assert result.skipped is None
    cases = [t.case for t in result.timings]
    assert any("CLI" in c for c in cases) and any("frictionless" in c for c in cases)
    assert any(c.startswith("jsonschema (pure Python)") for c in cases)
    assert any(c.startswith("jsonschema-rs") for c in cases)
    peers = [t for t in result.timings if t.case.startswith("jsonschema")]
    assert peers and all((t.note or "").startswith("0 invalid") for t in peers)  # clean records pass the peers
    floors = [t for t in result.timings if "parse floor" in t.case]
    assert len(floors) == 2 and all(t.rows > N for t in floors)  # events plus registries
    assert len(result.extra["ratios"]["frictionless / openconflict CLI, per run"]) == 2
    assert all(t.median_s > 0 for t in result.timings)
    det = result.extra["detection"]
    assert det["caught"]["openconflict"] == det["injected"] > 40
    assert det["missed_by_openconflict"] == []
    assert det["caught"]["frictionless"] < det["injected"]  # it cannot see cross-field rules
    assert result.extra["clean_tree"] == {"errors": 0, "warnings": 0}


@pytest.mark.skipif(not _has_module("openconflict.release"), reason="the build is not available yet")
def test_build_benchmark(work: Path) -> None:
    result = bench_build.run(N, work, sizes=[N], later_sizes=[N], earlier=2)
    assert result.skipped is None, result.skipped
    timing = result.timings[0]
    assert timing.rows == N and timing.peak_mb and timing.peak_mb > 0
    assert [t.case for t in result.timings[1:]] == [f"first release (of the series), {N:,} events",
                                                    f"later release, 1 earlier present, {N:,} events",
                                                    f"later release, 2 earlier present, {N:,} events"]
    files = result.extra[f"release_{N}"]["files"]
    assert "data/events.parquet" in files and "data/events.csv" in files and "datapackage.json" in files
    assert result.extra[f"release_{N}"]["zip_bytes"] > 0


@pytest.mark.skipif(not (_has_module("openconflict.release") and _has_module("openconflict.loader")),
                    reason="the build or the loader is not available yet")
def test_load_benchmark(work: Path) -> None:
    result = bench_load.run(N, work, repeats=2, csv_repeats=1, cold_repeats=1, shape_repeats=1)
    assert result.extra["shape_rows_agree"]
    # interpreter start, then 4 shapes x 2 outputs x (ours, ours with copies off, 3 peers)
    assert sum(t.case.startswith("cold: ") for t in result.timings) == 1 + 4 * 2 * 5
    assert sum(t.case.startswith("first load: ") for t in result.timings) == 2
    assert result.skipped is None, result.skipped
    assert result.extra["row_counts_agree"], result.extra["row_counts"]
    assert {t.case for t in result.timings} >= {"openconflict.load_events (pandas)", "pandas.read_csv + filter"}
    assert result.timings[0].rows > 0


def test_import_benchmark(work: Path) -> None:
    result = bench_import.run(N, work, repeats=2)
    assert len(result.timings) == 3
    assert result.extra["heavy_imports"] == []


def test_runner_writes_json_and_table(work: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "latest.json"
    assert run.main(["--quick", "--only", "import", "--json", str(out), "--work", str(work)]) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["meta"]["n"] == N and data["results"][0]["name"] == "import"
    printed = capsys.readouterr().out
    assert "import openconflict" in printed and "MET" in printed


@pytest.mark.skipif(not _has_module("openconflict.release"), reason="the build is not available yet")
def test_diff_benchmark(work: Path) -> None:
    from benchmarks import bench_diff

    parquet = bench_build.release_dirs(work, N)[0] / bench_build.VERSION / "data" / "events.parquet"
    if not parquet.exists():
        bench_build.build_once(work, N)
    result = bench_diff.run(N, parquet, repeats=1)
    assert result.extra["same_changes"] is True
    assert "added" in result.timings[0].note and result.timings[0].rows == N


def test_report_benchmark_times_the_report_inside_a_real_build(work: Path, tmp_path: Path) -> None:
    from benchmarks import bench_report

    build, report = bench_report.build_with_report(synth.ensure_tree(work, N), tmp_path)
    assert 0 < report < build
    page = tmp_path / "releases" / "1.0.0" / "report" / "index.html"
    assert page.is_file() and b"Coder agreement" in page.read_bytes()
