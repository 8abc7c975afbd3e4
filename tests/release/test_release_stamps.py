"""Issue 12: a later build does not re-read the files of earlier releases that did not change since they
were last checked (stamps, :mod:`openconflict.ledger.stamps`), and an earlier release changed in any way is
still refused. Every build and check runs in a fresh process, as ``openconflict build`` does, so the
in-process hash memo plays no part. The tree is SYNTHETIC.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from release_fixtures import Tree, event_row, snapshot

from openconflict.ledger import STAMPS_DIR
from openconflict.release import verify_releases

LOCK_CHECK = """
import json, sys
from pathlib import Path
from openconflict.release.guard import build_lock
with build_lock(Path(sys.argv[1])) as state:
    print(json.dumps({"hashed": sorted(state.stamps.hashed), "trusted": sorted(state.stamps.trusted)}))
"""


def cli(tree: Tree, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "openconflict", *args, "--root", str(tree.root), "--releases",
                           str(tree.releases), "--dist", str(tree.dist)], capture_output=True, text=True,
                          cwd=tree.repo, timeout=300)


def locked_check(tree: Tree) -> dict[str, list[str]]:
    out = subprocess.run([sys.executable, "-c", LOCK_CHECK, str(tree.releases)], capture_output=True, text=True,
                         timeout=120, check=True)
    return json.loads(out.stdout)


def two_releases(tree: Tree) -> None:
    assert cli(tree, "build", "--version", "0.1.0", "--date", "2026-01-15").returncode == 0
    tree.add(event_row(4, "2015-10-16"))
    tree.write()
    out = cli(tree, "build", "--version", "0.2.0", "--date", "2026-01-15")
    assert out.returncode == 0, out.stderr


def test_unchanged_earlier_releases_are_not_read_again(tree: Tree) -> None:
    two_releases(tree)
    files = {v: sorted(p.relative_to(tree.releases / v).as_posix() for p in (tree.releases / v).rglob("*")
                       if p.is_file()) for v in ("0.1.0", "0.2.0")}
    first = locked_check(tree)  # may read a file sealed in the same timestamp tick as its stamp (racy)
    assert set(first["hashed"]) | set(first["trusted"]) == {f"{v}/{f}" for v, fs in files.items() for f in fs}
    second = locked_check(tree)
    assert second["hashed"] == [] and len(second["trusted"]) == sum(len(fs) for fs in files.values())
    assert verify_releases(tree.releases) == []  # verify never trusts stamps and reads every byte


def test_a_dry_run_trusts_stamps_but_writes_none(tree: Tree) -> None:
    assert cli(tree, "build", "--version", "0.1.0", "--date", "2026-01-15").returncode == 0
    stamps = tree.releases / STAMPS_DIR
    for p in stamps.iterdir():
        p.unlink()
    tree.add(event_row(4, "2015-10-16"))
    tree.write()
    before = {p.relative_to(tree.repo).as_posix() for p in tree.repo.rglob("*")}
    out = cli(tree, "build", "--date", "2026-01-15")
    assert out.returncode == 0 and out.stdout.startswith("dry run"), out.stderr
    assert {p.relative_to(tree.repo).as_posix() for p in tree.repo.rglob("*")} == before
    assert list(stamps.iterdir()) == []


def _refused(tree: Tree, *names: str) -> None:
    before = snapshot(tree.releases)
    out = cli(tree, "build", "--version", "0.3.0", "--date", "2026-01-15")
    assert out.returncode == 1 and "Traceback" not in out.stderr, out.stderr
    for name in names:
        assert name in out.stderr
    assert snapshot(tree.releases) == before and not (tree.releases / "0.3.0").exists()


def test_an_earlier_release_changed_behind_its_stamp_is_refused(tree: Tree) -> None:
    two_releases(tree)
    locked_check(tree)
    assert locked_check(tree)["hashed"] == []  # every file is stamped now
    tree.add(event_row(5, "2015-10-17"))
    tree.write()

    # 1. Edited in place, size and modification time restored (only the ctime tells).
    target = tree.releases / "0.1.0" / "data" / "events.csv"
    st = target.stat()
    data = bytearray(target.read_bytes())
    data[-3] ^= 0x01
    target.write_bytes(bytes(data))
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert (target.stat().st_size, target.stat().st_mtime_ns) == (st.st_size, st.st_mtime_ns)
    _refused(tree, "0.1.0/data/events.csv: sha256")
    data[-3] ^= 0x01
    target.write_bytes(bytes(data))

    # 2. The same path swapped between two releases (CITATION.cff: same size, other version inside).
    a, b = tree.releases / "0.1.0" / "CITATION.cff", tree.releases / "0.2.0" / "CITATION.cff"
    assert a.stat().st_size == b.stat().st_size and a.read_bytes() != b.read_bytes()
    os.rename(a, tree.repo / "swap")
    os.rename(b, a)
    os.rename(tree.repo / "swap", b)
    _refused(tree, "0.1.0/CITATION.cff: sha256", "0.2.0/CITATION.cff: sha256")
    os.rename(a, tree.repo / "swap")
    os.rename(b, a)
    os.rename(tree.repo / "swap", b)

    # 3. Replaced by a link to identical bytes.
    target = tree.releases / "0.2.0" / "codebook.md"
    copy = tree.repo / "codebook-copy.md"
    copy.write_bytes(target.read_bytes())
    target.unlink()
    target.symlink_to(copy)
    _refused(tree, "0.2.0/codebook.md: is a link")
    target.unlink()
    os.rename(copy, target)

    # Everything restored: the build goes through, and verify agrees.
    out = cli(tree, "build", "--version", "0.3.0", "--date", "2026-01-15")
    assert out.returncode == 0, out.stderr
    assert verify_releases(tree.releases) == []
