"""``openconflict archive`` rewrites the byte-identical zip; ``openconflict publish --to`` grows a mirror.

The mirror is then served by a real HTTP server on 127.0.0.1 and its ledger and files fetched and checked,
as any static host would serve them.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import subprocess
import sys
import threading
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from release_fixtures import Tree, event_row, leftovers, snapshot

from openconflict.errors import BuildError
from openconflict.ledger import read_ledger
from openconflict.release import archive_release, build_release, publish_to_mirror, verify_releases

DATE = "2026-01-15"
ZIP = "openconflict-events-{}.zip"


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "openconflict", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300)


@pytest.fixture()
def two(tree: Tree) -> Tree:
    """Releases 0.1.0 and 0.2.0 of the SYNTHETIC tree, with their archives."""
    build_release(tree.root, "0.1.0", date=DATE, releases_dir=tree.releases, dist_dir=tree.dist)
    tree.add(event_row(4, "2015-10-16"))
    tree.write()
    build_release(tree.root, "0.2.0", date="2026-01-16", releases_dir=tree.releases, dist_dir=tree.dist)
    return tree


def test_archive_reproduces_the_build_zip_byte_for_byte(two: Tree, tmp_path: Path) -> None:
    for version in ("0.1.0", "0.2.0"):
        original = (two.dist / ZIP.format(version)).read_bytes()
        (two.dist / ZIP.format(version)).unlink()  # a lost archive is not a lost release
        assert archive_release(version, releases_dir=two.releases, dist_dir=two.dist).read_bytes() == original
        other = archive_release(version, releases_dir=two.releases, dist_dir=tmp_path / "elsewhere" / "dist")
        assert other.read_bytes() == original
    names = zipfile.ZipFile(two.dist / ZIP.format("0.2.0")).namelist()
    ledger = read_ledger(two.releases / "registry.json")
    assert sorted(names) == sorted(f"openconflict-events-0.2.0/{p}" for p in ledger.get("0.2.0").files)
    out = cli("archive", "0.1.0", "--releases", str(two.releases), "--dist", str(two.dist), cwd=two.repo)
    assert out.returncode == 0 and "every member matches the ledger" in out.stdout
    assert leftovers(two.releases, two.dist, tmp_path / "elsewhere" / "dist") == []


def test_archive_refuses_a_tampered_release_unknown_version_and_a_file_as_dist(two: Tree) -> None:
    target = two.releases / "0.1.0" / "CITATION.cff"
    target.write_text(target.read_text() + "# edited\n")
    (two.dist / ZIP.format("0.1.0")).unlink()
    with pytest.raises(BuildError, match=r"0\.1\.0/CITATION\.cff: \d+ bytes, sha256 [0-9a-f]{64}; the ledger says"):
        archive_release("0.1.0", releases_dir=two.releases, dist_dir=two.dist)
    assert not (two.dist / ZIP.format("0.1.0")).exists()
    with pytest.raises(BuildError, match="not in the ledger"):
        archive_release("0.3.0", releases_dir=two.releases, dist_dir=two.dist)
    blocker = two.repo / "a-file"
    blocker.write_text("x")
    out = cli("archive", "0.2.0", "--releases", str(two.releases), "--dist", str(blocker), cwd=two.repo)
    assert out.returncode == 1 and "is a file, not a folder" in out.stderr and "Traceback" not in out.stderr
    assert blocker.read_text() == "x" and leftovers(two.dist) == []


def test_publish_lays_releases_and_extends_the_mirror_ledger(two: Tree, tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    assert publish_to_mirror("0.1.0", mirror, releases_dir=two.releases) == ["0.1.0"]
    first = read_ledger(mirror / "registry.json")
    assert first.versions == ["0.1.0"] and verify_releases(mirror) == []
    out = cli("publish", "0.2.0", "--to", str(mirror), "--releases", str(two.releases), cwd=two.repo)
    assert out.returncode == 0, out.stderr
    second = read_ledger(mirror / "registry.json")
    assert second.versions == ["0.1.0", "0.2.0"] and second.entries[0] == first.entries[0]
    assert (mirror / "registry.json").read_bytes() == (two.releases / "registry.json").read_bytes()
    assert snapshot(mirror / "0.2.0") == snapshot(two.releases / "0.2.0")
    assert verify_releases(mirror) == []
    # Publishing again, or an older version, changes nothing.
    before = snapshot(mirror)
    assert publish_to_mirror("0.2.0", mirror, releases_dir=two.releases) == []
    assert publish_to_mirror("0.1.0", mirror, releases_dir=two.releases) == []
    assert snapshot(mirror) == before and leftovers(mirror) == []


def _rechain(data: dict) -> dict:  # type: ignore[type-arg]
    from openconflict.ledger import canonical

    prior = None
    for item in data["releases"]:
        item.pop("previous", None)
        if prior is not None:
            item["previous"] = prior
        prior = hashlib.sha256(canonical(item)).hexdigest()
    return data


def test_publish_refuses_a_mirror_whose_ledger_was_rewritten(two: Tree, tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    publish_to_mirror("0.1.0", mirror, releases_dir=two.releases)
    # A forger rewrites the mirror's history (one hash, chain recomputed) and the matching file.
    data = json.loads((mirror / "registry.json").read_text())
    data["releases"][0]["files"]["CITATION.cff"]["sha256"] = "0" * 64
    (mirror / "registry.json").write_text(json.dumps(_rechain(data), indent=2) + "\n")
    before = snapshot(mirror)
    with pytest.raises(BuildError, match=r"rewrites release history at position 1.*0\.1\.0"):
        publish_to_mirror("0.2.0", mirror, releases_dir=two.releases)
    assert snapshot(mirror) == before and not (mirror / "0.2.0").exists()
    out = cli("publish", "0.2.0", "--to", str(mirror), "--releases", str(two.releases), cwd=two.repo)
    assert out.returncode == 1 and "rewrites release history" in out.stderr


def test_publish_refuses_a_tampered_mirror_file_and_bad_targets(two: Tree, tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    publish_to_mirror("0.1.0", mirror, releases_dir=two.releases)
    (mirror / "0.1.0" / "codebook.md").write_text("changed")
    with pytest.raises(BuildError, match=r"0\.1\.0/codebook\.md: \d+ bytes"):
        publish_to_mirror("0.2.0", mirror, releases_dir=two.releases)
    assert not (mirror / "0.2.0").exists()
    with pytest.raises(BuildError, match="overlaps the releases folder"):
        publish_to_mirror("0.2.0", two.releases, releases_dir=two.releases)
    with pytest.raises(BuildError, match="overlaps the releases folder"):
        publish_to_mirror("0.2.0", two.releases / "sub", releases_dir=two.releases)
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(BuildError, match="is a file"):
        publish_to_mirror("0.2.0", a_file, releases_dir=two.releases)
    with pytest.raises(BuildError, match="not in the ledger"):
        publish_to_mirror("9.9.9", tmp_path / "other", releases_dir=two.releases)


@pytest.fixture()
def served(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    folder = tmp_path / "served"
    folder.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield folder, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_published_mirror_serves_every_file_the_ledger_lists(two: Tree, served: tuple[Path, str]) -> None:
    folder, url = served
    publish_to_mirror("0.2.0", folder, releases_dir=two.releases)
    with urllib.request.urlopen(f"{url}/registry.json", timeout=10) as resp:
        ledger_json = json.loads(resp.read())
    from openconflict.ledger import parse_ledger

    ledger = parse_ledger(ledger_json, url)
    assert ledger.versions == ["0.1.0", "0.2.0"]
    for entry in ledger.entries:
        for rel, meta in entry.files.items():
            with urllib.request.urlopen(f"{url}/{entry.version}/{rel}", timeout=10) as resp:
                body = resp.read()
            assert (len(body), hashlib.sha256(body).hexdigest()) == (meta.bytes, meta.sha256), rel


KILLED_PUBLISH = """
import os, signal, sys
from pathlib import Path
from openconflict.release import publish_to_mirror
def die(frame, event, arg):
    if event == "call" and frame.f_code.co_name == sys.argv[4] and frame.f_code.co_filename.endswith(sys.argv[5]):
        os.kill(os.getpid(), signal.SIGKILL)
sys.setprofile(die)
publish_to_mirror(sys.argv[1], Path(sys.argv[2]), releases_dir=Path(sys.argv[3]))
"""


@pytest.mark.parametrize(("function", "module"), [("_copy_release", "mirror.py"), ("fsync_tree", "guard.py"),
                                                  ("write_extension", "ledger/write.py"), ("atomic_write", "files.py")])
def test_a_killed_publish_leaves_a_consistent_mirror_and_the_next_one_finishes(
        two: Tree, tmp_path: Path, function: str, module: str) -> None:
    mirror = tmp_path / "mirror"
    publish_to_mirror("0.1.0", mirror, releases_dir=two.releases)
    ledger_before = (mirror / "registry.json").read_bytes()
    proc = subprocess.run([sys.executable, "-c", KILLED_PUBLISH, "0.2.0", str(mirror), str(two.releases), function,
                           module], capture_output=True, text=True, timeout=300)
    assert proc.returncode == -9, proc.stderr[-2000:]
    # The mirror's ledger never names a release whose files are not complete.
    assert (mirror / "registry.json").read_bytes() == ledger_before
    assert read_ledger(mirror / "registry.json").versions == ["0.1.0"]
    publish_to_mirror("0.2.0", mirror, releases_dir=two.releases)
    assert (mirror / "registry.json").read_bytes() == (two.releases / "registry.json").read_bytes()
    assert verify_releases(mirror) == [] and leftovers(mirror) == []
