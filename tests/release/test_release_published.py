"""The published releases keep every byte, verify, and 1.0.1 is rebuilt identically by the new writer."""

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
    versions = read_ledger(COMMITTED_RELEASES / "registry.json").versions
    assert versions[:4] == ["0.1.0", "1.0.0", "1.0.1", "2.0.0"]
    assert verify_releases(COMMITTED_RELEASES) == []
    out = subprocess.run([sys.executable, "-m", "openconflict", "verify"], capture_output=True, text=True,
                         cwd=REPO, timeout=300)
    assert out.returncode == 0 and f"{len(versions)} release(s) verified" in out.stdout, out.stdout + out.stderr


def test_rebuilding_the_latest_release_gives_the_committed_bytes_and_ledger(tmp_path: Path) -> None:
    """Same inputs, same bytes: the latest release, rebuilt from datasets/ on top of its predecessor."""
    ledger = read_ledger(COMMITTED_RELEASES / "registry.json")
    latest = ledger.latest
    previous = ledger.previous_of(latest.version)
    assert previous is not None
    full = committed_copy(tmp_path / "full", upto=latest.version)
    try:
        probe = build_release(REPO / "datasets", None, date=latest.date, releases_dir=full.releases,
                              dist_dir=None, dry_run=True)
        unchanged = bool(probe.unchanged)
    except BuildError:  # e.g. a report published after the latest release's date: the data moved on
        unchanged = False
    if not unchanged:
        pytest.skip(f"datasets/ changed since {latest.version}, so it cannot be rebuilt from them")
    t = committed_copy(tmp_path / "repo", upto=previous.version)
    result = build_release(REPO / "datasets", latest.version, date=latest.date, releases_dir=t.releases,
                           dist_dir=t.dist)
    assert result.previous == previous.version
    assert snapshot(t.releases / latest.version) == snapshot(COMMITTED_RELEASES / latest.version)
    assert (t.releases / "registry.json").read_bytes() == (COMMITTED_RELEASES / "registry.json").read_bytes()
