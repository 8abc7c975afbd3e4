"""The three published releases keep every byte, verify, and 1.0.1 is rebuilt identically by the new writer."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from release_fixtures import COMMITTED_RELEASES, REPO, committed_copy, snapshot

from openconflict.errors import BuildError
from openconflict.ledger import read_ledger
from openconflict.release import build_release, verify_releases


def test_committed_releases_verify() -> None:
    assert read_ledger(COMMITTED_RELEASES / "registry.json").versions == ["0.1.0", "1.0.0", "1.0.1"]
    assert verify_releases(COMMITTED_RELEASES) == []
    out = subprocess.run([sys.executable, "-m", "openconflict", "verify"], capture_output=True, text=True,
                         cwd=REPO, timeout=300)
    assert out.returncode == 0 and "3 release(s) verified" in out.stdout, out.stdout + out.stderr


def test_rebuilding_1_0_1_gives_the_committed_bytes_and_ledger(tmp_path: Path) -> None:
    t = committed_copy(tmp_path / "repo", upto="1.0.0")
    full = committed_copy(tmp_path / "full")
    try:
        probe = build_release(REPO / "datasets", "1.1.0", date="2026-11-24", releases_dir=full.releases,
                              dist_dir=None, dry_run=True)
        unchanged = bool(probe.unchanged)
    except BuildError:  # e.g. a report published after 1.0.1's date: the data moved on
        unchanged = False
    if not unchanged:
        pytest.skip("datasets/ changed since 1.0.1, so 1.0.1 cannot be rebuilt from them")
    result = build_release(REPO / "datasets", "1.0.1", date="2026-11-24", releases_dir=t.releases,
                           dist_dir=t.dist)
    assert result.previous == "1.0.0"
    assert snapshot(t.releases / "1.0.1") == snapshot(COMMITTED_RELEASES / "1.0.1")
    assert (t.releases / "registry.json").read_bytes() == (COMMITTED_RELEASES / "registry.json").read_bytes()
