"""The cache keeps its promises: changed bytes are never served, nothing outside the cache folder is read,
written or deleted whatever the folder contains, and a releases folder or mirror is refused as a cache."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from loader_fixtures import VERSIONS, Mirror, Releases, subprocess_env, tree_state

import openconflict.loader as L
from openconflict.errors import ConfigError, OfflineError

OLD = "0.1.0"
LATEST = VERSIONS[-1]
EVENTS = "data/events.parquet"


def edit_in_place_keeping_size_and_mtime(path: Path) -> None:
    """What a careless (or malicious) user can do: same inode, same size, same mtime, other bytes."""
    st = path.stat()
    with open(path, "r+b") as fh:
        fh.seek(st.st_size // 2)
        byte = fh.read(1)
        fh.seek(st.st_size // 2)
        fh.write(bytes([byte[0] ^ 0xFF]))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    after = path.stat()
    assert (after.st_ino, after.st_size, after.st_mtime_ns) == (st.st_ino, st.st_size, st.st_mtime_ns)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.usefixtures("bundled_latest")
def test_a_cached_file_changed_in_place_with_size_and_mtime_restored_is_never_served(
        mirror: Mirror, releases: Releases, isolated_env: Path) -> None:
    L.load_events(OLD)  # downloaded, verified, stamped
    cached = isolated_env / OLD / EVENTS
    edit_in_place_keeping_size_and_mtime(cached)
    # Another process (which only has the stamp on disk) must not serve it either.
    code = f"import openconflict.loader as L; L.load_events({OLD!r})"
    run = subprocess.run([sys.executable, "-c", code], env=subprocess_env(OPENCONFLICT_OFFLINE="1"),
                         capture_output=True, text=True, timeout=120)
    assert run.returncode != 0 and "no longer matches its sha256" in run.stderr
    # This process (which verified it a moment ago) re-checks it too, and fetches a good copy.
    df = L.load_events(OLD)
    assert mirror.count(f"/{OLD}/{EVENTS}") == 2
    assert sha256(cached) == sha256(releases.root / OLD / EVENTS)
    assert set(df["event_id_cnty"]) == set(releases.rows[OLD])


def test_a_bundled_file_changed_in_place_is_never_served(
        bundled_latest: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert len(L.load_events()) > 0  # verified and stamped
    edit_in_place_keeping_size_and_mtime(bundled_latest / LATEST / EVENTS)
    monkeypatch.setenv("OPENCONFLICT_OFFLINE", "1")
    with pytest.raises(OfflineError, match=LATEST):
        L.load_events()


@pytest.mark.usefixtures("bundled_latest")
def test_a_releases_folder_is_refused_as_cache_and_never_written(
        bundled_latest: Path, mirror: Mirror, monkeypatch: pytest.MonkeyPatch) -> None:
    before = tree_state(bundled_latest)
    for cache in (bundled_latest, bundled_latest / LATEST, bundled_latest / LATEST / "data"):
        monkeypatch.setenv("OPENCONFLICT_CACHE", str(cache))
        assert len(L.load_events()) > 0  # reading the bundled release never needs the cache
        with pytest.raises(ConfigError, match="OPENCONFLICT_CACHE") as info:
            L.load_events(OLD)
        assert "releases folder" in str(info.value)
        with pytest.raises(ConfigError):
            L.download(LATEST, force=True)
    assert tree_state(bundled_latest) == before
    assert mirror.requests == []


@pytest.mark.usefixtures("bundled_latest")
def test_a_cache_folder_holding_a_mirror_is_refused(
        releases: Releases, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "shared"
    (cache / "mirror").mkdir(parents=True)
    (cache / "mirror" / "registry.json").write_bytes((releases.root / "registry.json").read_bytes())
    monkeypatch.setenv("OPENCONFLICT_CACHE", str(cache))
    monkeypatch.setenv("OPENCONFLICT_URL", "http://127.0.0.1:9")
    with pytest.raises(ConfigError, match="holds a releases folder or mirror"):
        L.load_events(OLD)


@pytest.mark.usefixtures("bundled_latest")
def test_links_in_the_cache_never_lead_outside(
        mirror: Mirror, releases: Releases, isolated_env: Path, tmp_path: Path) -> None:
    """Every entry the loader would use is a link to a folder or file outside: nothing there is touched."""
    outside = tmp_path / "outside"
    (outside / "folder").mkdir(parents=True)
    for name in ("victim.txt", "stamps.json", "lock.txt", "part.txt"):
        (outside / name).write_text(f"precious {name}\n")
    good = outside / "events.parquet"  # the right bytes, but outside: still not to be read from there
    good.write_bytes((releases.root / OLD / EVENTS).read_bytes())
    version = isolated_env / OLD
    (version / "data").mkdir(parents=True)
    (version / "data" / "events.parquet").symlink_to(good)
    (version / "datapackage.json").symlink_to(outside / "victim.txt")
    (version / ".lock").symlink_to(outside / "lock.txt")
    (version / "data" / ".events.parquet.x.part").symlink_to(outside / "part.txt")
    (version / "old").symlink_to(outside / "folder")
    (isolated_env / ".stamps").mkdir()
    (isolated_env / ".stamps" / f"{OLD}.json").symlink_to(outside / "stamps.json")
    (isolated_env / ".derived").symlink_to(outside / "folder")
    (isolated_env / "0.2.0").symlink_to(outside / "folder")
    before = tree_state(outside)

    assert set(L.load_events(OLD)["event_id_cnty"]) == set(releases.rows[OLD])
    assert set(L.load_events("0.2.0")["event_id_cnty"]) == set(releases.rows["0.2.0"])
    L.download(OLD)
    assert set(L.verify(OLD)["status"]) == {"ok"}

    assert tree_state(outside) == before  # nothing outside was written, truncated or deleted
    assert mirror.count(f"/{OLD}/{EVENTS}") == 1  # the outside copy was not used, even with the right bytes
    for p in (version / "data" / "events.parquet", version / "datapackage.json", isolated_env / "0.2.0"):
        assert not p.is_symlink()
    assert not (version / "data" / ".events.parquet.x.part").is_symlink()  # a leftover partial: removed


def test_a_cache_path_that_is_a_file_or_cannot_be_created(
        bundled_latest: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENCONFLICT_URL", "http://127.0.0.1:9")
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder")
    for cache, message in ((a_file, "is a file"), (a_file / "cache", "cannot create the cache folder")):
        monkeypatch.setenv("OPENCONFLICT_CACHE", str(cache))
        assert len(L.load_events()) > 0  # the bundled release never needs the cache
        with pytest.raises(ConfigError, match=message) as info:
            L.download(OLD)
        assert "OPENCONFLICT_CACHE" in str(info.value)
    assert a_file.read_text() == "not a folder"


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write into read-only folders")
def test_a_cache_that_is_not_writable(bundled_latest: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "read-only"
    cache.mkdir(mode=0o555)
    monkeypatch.setenv("OPENCONFLICT_CACHE", str(cache))
    monkeypatch.setenv("OPENCONFLICT_URL", "http://127.0.0.1:9")
    with pytest.raises(ConfigError, match="not writable"):
        L.download(OLD)
