"""Stamps of checked releases (issue 12): an unchanged published file is not read again by a later check in
a fresh process, and every way of changing a file behind the stamp's back is still hashed and refused.

Each check runs in a fresh interpreter (as ``openconflict build`` does), so the in-process hash memo of
:func:`openconflict.files.sha256_file` cannot hide what the stamps do. The folders are small SYNTHETIC
stand-ins for release folders, recorded with the ledger's own writer.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from openconflict.ledger import STAMPS_DIR, Stamps, append_release, check_published, folder_files

CHECK = """
import json, sys
from openconflict.ledger import Stamps, check_published
s = Stamps(sys.argv[1], write=sys.argv[2] == "write")
problems = check_published(sys.argv[1], stamps=s)
print(json.dumps({"problems": problems, "hashed": sorted(s.hashed), "trusted": sorted(s.trusted)}))
"""


def check(releases: Path, *, write: bool = True) -> dict[str, list[str]]:
    """One check of ``releases`` against its ledger in a fresh process; what it found, read and trusted."""
    out = subprocess.run([sys.executable, "-c", CHECK, str(releases), "write" if write else "read"],
                         capture_output=True, text=True, timeout=120, check=True)
    return json.loads(out.stdout)


def publish(releases: Path, version: str, files: dict[str, bytes]) -> None:
    folder = releases / version
    for rel, data in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)
    append_release(releases, version, "2026-01-01", 1, folder_files(folder))


@pytest.fixture()
def releases(tmp_path: Path) -> Path:
    """Two published releases whose files have the same paths and sizes but different bytes."""
    root = tmp_path / "releases"
    root.mkdir()
    publish(root, "1.0.0", {"data/events.csv": b"SYNTHETIC,1\n" * 1000, "SHA256SUMS": b"a\n"})
    publish(root, "1.1.0", {"data/events.csv": b"SYNTHETIC,2\n" * 1000, "SHA256SUMS": b"b\n"})
    time.sleep(0.05)  # older than the next check's probe by more than a timestamp tick
    return root


ALL = ["1.0.0/SHA256SUMS", "1.0.0/data/events.csv", "1.1.0/SHA256SUMS", "1.1.0/data/events.csv"]


def stamp_records(releases: Path, version: str) -> dict[str, object]:
    return json.loads((releases / STAMPS_DIR / f"{version}.json").read_text(encoding="utf-8"))["files"]


def test_a_second_check_reads_no_unchanged_file(releases: Path) -> None:
    first = check(releases)
    assert first == {"problems": [], "hashed": ALL, "trusted": []}
    assert set(stamp_records(releases, "1.0.0")) == {"SHA256SUMS", "data/events.csv"}
    before = {p.name: p.read_bytes() for p in (releases / STAMPS_DIR).iterdir()}
    second = check(releases)
    assert second == {"problems": [], "hashed": [], "trusted": ALL}
    assert {p.name: p.read_bytes() for p in (releases / STAMPS_DIR).iterdir()} == before  # nothing rewritten


def test_a_read_only_check_trusts_stamps_but_never_writes_them(releases: Path) -> None:
    assert check(releases, write=False) == {"problems": [], "hashed": ALL, "trusted": []}
    assert not (releases / STAMPS_DIR).exists()
    check(releases)
    assert check(releases, write=False)["trusted"] == ALL


def test_an_edit_that_restores_size_and_mtime_is_hashed_and_refused(releases: Path) -> None:
    check(releases)
    target = releases / "1.0.0" / "data" / "events.csv"
    st = target.stat()
    data = bytearray(target.read_bytes())
    data[5] ^= 0x01
    target.write_bytes(bytes(data))
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert (target.stat().st_size, target.stat().st_mtime_ns) == (st.st_size, st.st_mtime_ns)
    for _ in range(2):  # the refusal does not poison the stamps: the next check refuses again
        result = check(releases)
        assert result["hashed"] == ["1.0.0/data/events.csv"]
        [problem] = result["problems"]
        assert problem.startswith("1.0.0/data/events.csv: sha256 ") and "the ledger says" in problem
    data[5] ^= 0x01  # put the ledger's bytes back: hashed once more, accepted, stamped again
    target.write_bytes(bytes(data))
    time.sleep(0.05)
    assert check(releases) == {"problems": [], "hashed": ["1.0.0/data/events.csv"],
                               "trusted": [p for p in ALL if p != "1.0.0/data/events.csv"]}
    assert check(releases)["hashed"] == []


def test_a_file_replaced_by_a_link_to_identical_bytes_is_refused(releases: Path, tmp_path: Path) -> None:
    check(releases)
    target = releases / "1.1.0" / "data" / "events.csv"
    copy = tmp_path / "copy.csv"
    copy.write_bytes(target.read_bytes())
    target.unlink()
    target.symlink_to(copy)
    assert check(releases)["problems"] == ["1.1.0/data/events.csv: is a link; a release holds only regular files",
                                           "1.1.0/data/events.csv: missing (the ledger lists it)"]


def test_files_swapped_between_releases_are_refused(releases: Path) -> None:
    check(releases)
    a, b = releases / "1.0.0" / "data" / "events.csv", releases / "1.1.0" / "data" / "events.csv"
    tmp = a.with_name("swap")
    os.rename(a, tmp)
    os.rename(b, a)
    os.rename(tmp, b)
    result = check(releases)
    assert result["hashed"] == ["1.0.0/data/events.csv", "1.1.0/data/events.csv"]
    assert [p.split(":")[0] for p in result["problems"]] == ["1.0.0/data/events.csv", "1.1.0/data/events.csv"]


def test_swapped_forged_or_garbage_stamp_files_only_cost_a_rehash(releases: Path) -> None:
    check(releases)
    stamps = releases / STAMPS_DIR
    one, two = stamps / "1.0.0.json", stamps / "1.1.0.json"
    a, b = one.read_bytes(), two.read_bytes()
    one.write_bytes(b)  # another release's stamps: its version and digests do not fit
    two.write_bytes(a)
    assert check(releases) == {"problems": [], "hashed": ALL, "trusted": []}
    records = json.loads(one.read_text(encoding="utf-8"))
    records["files"]["data/events.csv"]["sha256"] = "0" * 64  # names a digest the ledger does not hold
    one.write_text(json.dumps(records), encoding="utf-8")
    two.write_bytes(b"\xff{not json")
    result = check(releases)
    assert result["problems"] == [] and "1.0.0/data/events.csv" in result["hashed"]
    assert sorted(result["hashed"]) == ["1.0.0/data/events.csv", "1.1.0/SHA256SUMS", "1.1.0/data/events.csv"]
    assert check(releases)["hashed"] == []


def test_a_stamps_folder_that_is_a_link_is_never_used_or_written_through(releases: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (releases / STAMPS_DIR).symlink_to(outside)
    assert check(releases) == {"problems": [], "hashed": ALL, "trusted": []}
    assert check(releases)["hashed"] == ALL
    assert list(outside.iterdir()) == []


def test_a_file_changed_after_the_probe_is_not_stamped(releases: Path) -> None:
    """The racy case: a file whose ctime is not older than the check's probe could change again within the
    same timestamp tick, so it is hashed but not recorded; the next check reads it once more."""
    stamps = Stamps(releases)
    stamps.start()
    target = releases / "1.0.0" / "SHA256SUMS"
    os.chmod(target, 0o644)  # a new ctime, after the probe; the bytes still match the ledger
    assert check_published(releases, stamps=stamps) == []
    assert "SHA256SUMS" not in stamp_records(releases, "1.0.0")
    assert "data/events.csv" in stamp_records(releases, "1.0.0")
    time.sleep(0.05)
    assert check(releases)["hashed"] == ["1.0.0/SHA256SUMS"]
    assert check(releases)["hashed"] == []
