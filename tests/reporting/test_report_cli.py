"""``openconflict report``: resolves the version through the ledger, refuses edited releases, and never
ends in a traceback."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner
from report_fixtures import RELEASES, Page

from openconflict.reporting.cli import report_command


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(report_command, list(args))
    return result.exit_code, result.output


def test_latest_by_default_with_its_predecessor(tmp_path: Path) -> None:
    code, out = run("--releases", str(RELEASES), "-o", str(tmp_path))
    assert code == 0, out
    page = Page((tmp_path / "index.html").read_text(encoding="utf-8"))
    assert "1.0.0 → 1.0.1" in page.text_by_id["version-rule"]


def test_an_older_version_on_demand(tmp_path: Path) -> None:
    code, out = run("1.0.0", "--releases", str(RELEASES), "-o", str(tmp_path))
    assert code == 0, out
    assert "0.1.0 → 1.0.0" in Page((tmp_path / "index.html").read_text(encoding="utf-8")).text_by_id["version-rule"]


def test_unknown_version_and_missing_ledger(tmp_path: Path) -> None:
    code, out = run("7.7.7", "--releases", str(RELEASES), "-o", str(tmp_path))
    assert code == 1 and "not in the ledger" in out and "Traceback" not in out
    code, out = run("--releases", str(tmp_path / "none"), "-o", str(tmp_path))
    assert code == 1 and "no ledger" in out and "Traceback" not in out
    assert not (tmp_path / "index.html").exists()


def test_an_edited_release_is_refused(tmp_path: Path, synthetic_releases: Path) -> None:
    releases = tmp_path / "releases"
    shutil.copytree(synthetic_releases, releases)
    events = releases / "1.1.0" / "data" / "events.csv"
    events.chmod(0o644)
    before = events.read_text(encoding="utf-8")
    events.write_text(before.replace("SYNTHETIC TEST ROW 1\"", "EDITED\""), encoding="utf-8")
    assert events.read_text(encoding="utf-8") != before
    code, out = run("1.1.0", "--releases", str(releases), "-o", str(tmp_path / "out"))
    assert code == 1 and "does not match the ledger" in out and "data/events.csv" in out
    assert not (tmp_path / "out").exists()
    code, out = run("1.1.0", "--releases", str(releases), "-o", str(tmp_path / "out"), "--no-verify")
    assert code == 0, out


def test_never_writes_into_a_published_release(tmp_path: Path, synthetic_releases: Path) -> None:
    releases = tmp_path / "releases"
    shutil.copytree(synthetic_releases, releases)
    before = sorted(p.relative_to(releases) for p in releases.rglob("*"))
    for target in (releases / "1.1.0" / "report", releases / "1.1.0", releases, releases / "new"):
        code, out = run("1.1.0", "--releases", str(releases), "-o", str(target))
        assert code == 1 and "published releases are never changed" in out, target
    assert sorted(p.relative_to(releases) for p in releases.rglob("*")) == before


def test_runs_as_a_module_without_a_traceback(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    ok = subprocess.run([sys.executable, "-m", "openconflict.reporting", "1.0.0", "--releases", str(RELEASES),
                         "-o", str(tmp_path / "out")], capture_output=True, text=True, env=env, timeout=240)
    assert ok.returncode == 0 and (tmp_path / "out" / "index.html").is_file(), ok.stderr
    bad = subprocess.run([sys.executable, "-m", "openconflict.reporting", "0.0.9", "--releases", str(RELEASES)],
                         capture_output=True, text=True, env=env, timeout=240)
    assert bad.returncode == 1 and "not in the ledger" in bad.stderr and "Traceback" not in bad.stderr
