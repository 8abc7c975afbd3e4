"""Same release, same bytes: twice in one process, and in a fresh process whose matplotlib settings,
time zone and locale try to change the output."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from report_fixtures import RELEASES

from openconflict.ledger import read_ledger
from openconflict.reporting import render_report

REPO = Path(__file__).resolve().parents[2]
HOSTILE_RC = """\
font.family: serif
font.size: 17
axes.prop_cycle: cycler('color', ['ff0000', '00ff00'])
figure.dpi: 42
savefig.dpi: 300
savefig.format: svg
svg.hashsalt: random
lines.markersize: 30
axes.grid: True
"""


def test_twice_in_one_process_gives_the_same_bytes(tmp_path: Path, synthetic_releases: Path) -> None:
    for folder, prev in ((RELEASES / "1.0.1", RELEASES / "1.0.0"), (synthetic_releases / "1.1.0", synthetic_releases / "1.0.0")):
        a = render_report(folder, tmp_path / "a", prev).read_bytes()
        b = render_report(folder, tmp_path / "b", prev).read_bytes()
        assert a == b


def test_a_fresh_process_with_hostile_settings_gives_the_same_bytes(tmp_path: Path) -> None:
    here = render_report(RELEASES / "1.0.1", tmp_path / "here", RELEASES / "1.0.0").read_bytes()
    cfg = tmp_path / "mplconfig"
    cfg.mkdir()
    (cfg / "matplotlibrc").write_text(HOSTILE_RC, encoding="utf-8")
    env = {**os.environ, "MPLCONFIGDIR": str(cfg), "TZ": "Pacific/Kiritimati", "LC_ALL": "de_DE.UTF-8",
           "LANG": "de_DE.UTF-8", "PYTHONHASHSEED": "12345", "SOURCE_DATE_EPOCH": "1",
           "PYTHONPATH": str(REPO / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    code = ("import sys; from pathlib import Path; import matplotlib; matplotlib.use('svg'); "
            "from openconflict.reporting import render_report; "
            "render_report(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))")
    subprocess.run([sys.executable, "-c", code, str(RELEASES / "1.0.1"), str(tmp_path / "there"),
                    str(RELEASES / "1.0.0")], check=True, env=env, cwd=tmp_path, timeout=240)
    assert (tmp_path / "there" / "index.html").read_bytes() == here


def test_the_callers_matplotlib_settings_are_left_as_they_were(tmp_path: Path) -> None:
    import gc

    import matplotlib

    with matplotlib.rc_context({"font.size": 17.0, "axes.grid": True}):
        before = dict(matplotlib.rcParams)
        render_report(RELEASES / "1.0.1", tmp_path, RELEASES / "1.0.0")
        assert dict(matplotlib.rcParams) == before
    assert gc.isenabled()


def test_concurrent_renders_into_one_folder(tmp_path: Path) -> None:
    """Threads take turns; processes writing the same folder each replace the file whole."""
    import threading

    reference = render_report(RELEASES / "1.0.1", tmp_path / "ref", RELEASES / "1.0.0").read_bytes()
    errors: list[BaseException] = []

    def work() -> None:
        try:
            render_report(RELEASES / "1.0.1", tmp_path / "threads", RELEASES / "1.0.0")
        except BaseException as exc:  # noqa: BLE001 - collected and re-raised in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and (tmp_path / "threads" / "index.html").read_bytes() == reference
    env = {**os.environ, "PYTHONPATH": str(REPO / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    code = ("import sys; from pathlib import Path; from openconflict.reporting import render_report; "
            "render_report(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(RELEASES / "1.0.1"), str(tmp_path / "procs"),
                               str(RELEASES / "1.0.0")], env=env) for _ in range(3)]
    assert [p.wait(240) for p in procs] == [0, 0, 0]
    assert (tmp_path / "procs" / "index.html").read_bytes() == reference
    assert sorted(p.name for p in (tmp_path / "procs").iterdir()) == ["index.html"]  # no temporary files left


def test_the_builds_report_from_memory_equals_a_render_from_the_files(tmp_path: Path,
                                                                       synthetic_releases: Path) -> None:
    """The release step hands its tables to the report in memory; `openconflict report` reads the files.
    Both must give the same bytes, and the bytes the release folder holds where the folder was built by this
    code (synthetic releases, the latest committed one; older committed reports predate later sections)."""
    import pyarrow.parquet as pq

    folders = [p for p in (*sorted(RELEASES.iterdir()), *sorted(synthetic_releases.iterdir()))
               if (p / "report" / "index.html").is_file()]
    assert len(folders) >= 3
    for folder in folders:
        data = folder / "data"
        tables = {n: pq.read_table(data / f"{n}.parquet") for n in ("events", "sources", "agreement")
                  if (data / f"{n}.parquet").is_file()}
        built = (folder / "report" / "index.html").read_bytes()
        ledger = read_ledger(folder.parent / "registry.json")
        before = ledger.previous_of(folder.name)
        previous = folder.parent / before.version if before else None
        from_files = render_report(folder, tmp_path / folder.name / "f", previous).read_bytes()
        from_memory = render_report(folder, tmp_path / folder.name / "m", previous, tables=tables).read_bytes()
        assert from_files == from_memory, folder
        if folder.parent != RELEASES or folder.name == ledger.latest.version:
            assert built == from_memory, folder
