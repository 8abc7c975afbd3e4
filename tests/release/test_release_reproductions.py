"""Issue 9's reproductions 1, 2, 3, 5, 6 and 9 on the release side: each one broke a published promise before.

Reproductions 1-3 and 9 run on a copy of the real committed releases (laid through the release writer) and
the real curated tables; 5 and 6 on a small SYNTHETIC tree. Reproduction 4 is in test_release_concurrency.py.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import io
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from release_fixtures import Tree, committed_copy, event_row, leftovers, snapshot

from openconflict.errors import BuildError
from openconflict.ledger import read_ledger
from openconflict.release import build_release, release_versions, verify_releases


def build(tree: Tree, version: str, date: str = "2026-11-25", **kw: object) -> object:
    return build_release(tree.root, version, date=date, releases_dir=tree.releases, dist_dir=tree.dist, **kw)


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "openconflict", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300)


def change_fatalities(tree: Tree) -> None:
    """A real curated change (one fatality figure), so that a build has something to publish."""
    path = sorted((tree.root / "events").rglob("*.csv"))[0]
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    rows[0]["fatalities"] = str(int(rows[0]["fatalities"]) + 1)
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


@pytest.fixture()
def committed(tmp_path: Path) -> Tree:
    return committed_copy(tmp_path / "repo")


def test_1_a_missing_file_in_a_published_release_refuses_the_build(committed: Tree) -> None:
    (committed.releases / "1.0.1" / "SHA256SUMS").unlink()
    ledger_before = (committed.releases / "registry.json").read_bytes()
    with pytest.raises(BuildError, match=r"1\.0\.1/SHA256SUMS: missing"):
        build(committed, "1.0.2")
    assert (committed.releases / "registry.json").read_bytes() == ledger_before
    assert release_versions(committed.releases) == ["0.1.0", "1.0.0", "1.0.1"]
    assert not (committed.releases / "1.0.2").exists() and leftovers(committed.releases) == []
    assert any("1.0.1/SHA256SUMS: missing" in p for p in verify_releases(committed.releases))
    out = cli("verify", "--releases", str(committed.releases), cwd=committed.repo)
    assert out.returncode == 1 and "SHA256SUMS: missing" in out.stdout


def test_2_a_tampered_figure_is_refused_with_file_and_both_hashes(committed: Tree) -> None:
    change_fatalities(committed)
    target = committed.releases / "1.0.1" / "data" / "events.csv"
    expected = read_ledger(committed.releases / "registry.json").get("1.0.1").file("data/events.csv").sha256
    st = target.stat()
    text = target.read_text(encoding="utf-8")
    header, row = next(csv.reader([text.splitlines()[0]])), next(csv.reader([text.splitlines()[1]]))
    notes, fatalities = row[header.index("notes")], row[header.index("fatalities")]
    assert len(fatalities) == 1
    needle = f'"{notes.replace(chr(34), chr(34) * 2)}",{fatalities},'
    forged = needle.replace(f",{fatalities},", f",{(int(fatalities) + 1) % 10},")  # one figure, same size
    assert text.count(needle) == 1
    target.write_text(text.replace(needle, forged), encoding="utf-8")
    assert target.stat().st_size == st.st_size
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))  # size and modification time as before
    with pytest.raises(BuildError) as info:
        build(committed, "1.1.0")
    message = str(info.value)
    assert "1.0.1/data/events.csv: sha256 " in message and f"the ledger says {expected}" in message
    assert not (committed.releases / "1.1.0").exists()
    out = cli("build", "--version", "1.1.0", "--date", "2026-11-25", cwd=committed.repo)
    assert out.returncode == 1 and "1.0.1/data/events.csv" in out.stderr and "Traceback" not in out.stderr


@pytest.mark.parametrize("version", ["0.2.0", "0.9.0", "1.0.0", "1.0.1"])
def test_3_a_version_below_the_latest_published_is_refused(committed: Tree, version: str) -> None:
    change_fatalities(committed)
    before = snapshot(committed.releases)
    with pytest.raises(BuildError, match="not above the latest published release 1.0.1|already exists"):
        build(committed, version)
    assert snapshot(committed.releases) == before


def _refusal_rules(info: pytest.ExceptionInfo[BuildError]) -> set[str]:
    report = info.value.report
    assert report is not None, str(info.value)
    return {p.rule for p in report.problems if "SYR2" in p.message or "SYR2" in str(p.value)}


def test_5_a_removed_tombstone_and_a_reused_id_are_refused(tree: Tree) -> None:
    build(tree, "0.1.0", date="2026-01-15")
    tree.remove("SYR2")
    tree.deletions.append(("SYR2", "0.2.0", "SYNTHETIC: duplicate of SYR1"))
    tree.write()
    build(tree, "0.2.0", date="2026-01-15")
    before = snapshot(tree.releases)
    # The tombstone is removed and the id given to another event: the validator reads the latest published
    # release's tombstones and names both mistakes.
    tree.deletions.clear()
    tree.add(event_row(2, "2015-10-19", kind="vac"))
    tree.write()
    with pytest.raises(BuildError) as info:
        build(tree, "0.3.0", date="2026-01-15")
    assert {"id.tombstone-removed", "id.deleted-reused"} <= _refusal_rules(info)
    # Removing the tombstone alone is refused too.
    tree.remove("SYR2")
    tree.add(event_row(4, "2015-10-18"))
    tree.write()
    with pytest.raises(BuildError) as info:
        build(tree, "0.3.0", date="2026-01-15")
    assert "id.tombstone-removed" in _refusal_rules(info)
    assert snapshot(tree.releases) == before


def test_5_the_plan_refuses_tombstone_changes_even_without_the_validator(tree: Tree) -> None:
    """The release plan's own guard, which does not depend on the validator finding the ledger."""
    import pyarrow as pa

    from openconflict.release.plan import LatestRelease, check_tombstones

    events = pa.table({"event_id_cnty": ["SYR1", "SYR2"]})
    earlier = pa.table({"event_id": ["SYR2"]})
    latest = LatestRelease("0.2.0", dt.date(2026, 1, 15), pa.table({"event_id_cnty": ["SYR1"]}), None,
                           {"deletions": earlier})
    with pytest.raises(BuildError, match="tombstones of release 0.2.0 were removed") as info:
        check_tombstones(events, pa.table({"event_id": pa.array([], pa.string())}), _NoDiff(), latest)
    assert "used again" in str(info.value) and "SYR2" in str(info.value)
    with pytest.raises(BuildError, match="marks as deleted are used again"):
        check_tombstones(events, earlier, _NoDiff(), latest)


class _NoDiff:
    """A diff with nothing deleted: the tombstone guard reads only its deleted ids."""

    def ids(self, change: str) -> list[str]:
        return []


@pytest.mark.parametrize(("date", "message"), [
    ("2108-01-01", "in the future"),
    ("0001-01-01", "before the newest event"),
    ("2015-10-17", "before the newest report"),  # after every event (Oct 14-16) but before report B (Nov 20)
    ("2026-01-14", "before the date of the latest published release"),
    ("2026-1-15", "not a date"),
    ("2026-01-15T00:00:00", "not a date"),
])
def test_6_a_bad_date_publishes_nothing(tree: Tree, date: str, message: str) -> None:
    build(tree, "0.1.0", date="2026-01-15")
    tree.add(event_row(4, "2015-10-16"))
    tree.write()
    before = snapshot(tree.repo / "build")
    with pytest.raises(BuildError, match=message):
        build(tree, "0.2.0", date=date)
    assert snapshot(tree.repo / "build") == before and leftovers(tree.releases, tree.dist) == []


def test_6_dist_pointing_at_a_file_publishes_nothing(tree: Tree) -> None:
    tree.dist.parent.mkdir(parents=True)
    tree.dist.write_text("not a folder")
    with pytest.raises(BuildError, match="is a file, not a folder"):
        build(tree, "0.1.0", date="2026-01-15")
    assert not tree.releases.exists() or release_versions(tree.releases) == []
    assert tree.dist.read_text() == "not a folder"
    out = cli("build", "--version", "0.1.0", "--date", "2026-01-15", "--dist", str(tree.dist), cwd=tree.repo)
    assert out.returncode == 1 and "is a file" in out.stderr and not (tree.releases / "0.1.0").exists()


FULL_DISK = """
import resource, signal, sys
from pathlib import Path
from openconflict.release import build_release
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write beyond the limit fails with EFBIG, like a full disk
limit = int(sys.argv[5])
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
build_release(Path(sys.argv[1]), sys.argv[2], date="2026-01-15", releases_dir=Path(sys.argv[3]),
              dist_dir=Path(sys.argv[4]))
"""


def test_6_a_full_disk_while_the_zip_is_written_publishes_nothing(tmp_path: Path) -> None:
    # Notes of incompressible SYNTHETIC text make the archive (CSV deflated + Parquet stored) the largest file.
    rng = random.Random(9)
    tree = Tree(tmp_path / "repo")
    for i in range(1, 301):
        row = event_row(i, f"2015-10-{1 + i % 19:02d}")
        row["notes"] = "SYNTHETIC " + base64.b64encode(rng.randbytes(2000)).decode()
        tree.add(row)
    tree.write()
    # How big the release's files and its archive are (the same build elsewhere).
    probe = Tree(tmp_path / "probe")
    build_release(tree.root, "0.1.0", date="2026-01-15", releases_dir=probe.releases, dist_dir=probe.dist)
    largest = max(p.stat().st_size for p in (probe.releases / "0.1.0").rglob("*") if p.is_file())
    archive = (probe.dist / "openconflict-events-0.1.0.zip").stat().st_size
    assert archive > largest + 1024, "the archive must be the largest file for this test to aim at it"
    limit = largest + 512  # every release file fits, the archive does not
    proc = subprocess.run([sys.executable, "-c", FULL_DISK, str(tree.root), "0.1.0", str(tree.releases),
                           str(tree.dist), str(limit)], capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0 and "could not write the archive" in proc.stderr
    assert "File too large" in proc.stderr
    assert release_versions(tree.releases) == [] and not (tree.releases / "0.1.0").exists()
    assert leftovers(tree.releases, tree.dist) == [] and list(tree.dist.iterdir()) == []
    # With room again, the same build publishes, byte for byte what the probe built.
    build(tree, "0.1.0", date="2026-01-15")
    assert snapshot(tree.releases / "0.1.0") == snapshot(probe.releases / "0.1.0")
    assert (tree.dist / "openconflict-events-0.1.0.zip").read_bytes() == \
        (probe.dist / "openconflict-events-0.1.0.zip").read_bytes()


def test_9_files_changed_by_anything_are_refused(tree: Tree) -> None:
    """A loader cache pointed into build/releases adds stamps and rewrites files: the next build refuses."""
    build(tree, "0.1.0", date="2026-01-15")
    tree.add(event_row(4, "2015-10-16"))
    tree.write()
    folder = tree.releases / "0.1.0"
    stamp = folder / "data" / ".events.parquet.verified"
    stamp.write_text("cache stamp")
    with pytest.raises(BuildError, match=r"0\.1\.0/data/\.events\.parquet\.verified: extra file"):
        build(tree, "0.2.0", date="2026-01-15")
    stamp.unlink()
    # Rewritten in place with the same size and modification time, after this process hashed it once.
    target = folder / "data" / "actors.parquet"
    st = target.stat()
    data = bytearray(target.read_bytes())
    data[-20] ^= 0xFF
    target.write_bytes(bytes(data))
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert target.stat().st_size == st.st_size and target.stat().st_mtime_ns == st.st_mtime_ns
    with pytest.raises(BuildError, match=r"0\.1\.0/data/actors\.parquet: sha256 [0-9a-f]{64}, the ledger says"):
        build(tree, "0.2.0", date="2026-01-15")
    # A link in place of a file is refused too, even when it points at identical bytes.
    copy = tree.repo / "copy.parquet"
    data[-20] ^= 0xFF
    copy.write_bytes(bytes(data))
    target.unlink()
    target.symlink_to(copy)
    with pytest.raises(BuildError, match="is a link"):
        build(tree, "0.2.0", date="2026-01-15")
    target.unlink()
    target.write_bytes(bytes(data))
    build(tree, "0.2.0", date="2026-01-15")
    assert verify_releases(tree.releases) == []


@pytest.mark.parametrize("inside", ["", "0.1.0", "0.1.0/data"])
def test_6_dist_inside_the_releases_folder_is_refused(tree: Tree, inside: str) -> None:
    build(tree, "0.1.0", date="2026-01-15")
    tree.add(event_row(4, "2015-10-16"))
    tree.write()
    before = snapshot(tree.releases)
    with pytest.raises(BuildError, match="inside the releases folder"):
        build_release(tree.root, "0.2.0", date="2026-01-15", releases_dir=tree.releases,
                      dist_dir=tree.releases / inside)
    assert snapshot(tree.releases) == before and leftovers(tree.releases) == []
