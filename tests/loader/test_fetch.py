"""Fetching from a real HTTP mirror on 127.0.0.1: verification, lying servers, offline, concurrency."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from loader_fixtures import VERSIONS, Mirror, Releases, subprocess_env

import openconflict.loader as L
from openconflict.errors import (
    ChecksumError,
    ConfigError,
    DownloadError,
    MirrorNotConfiguredError,
    OfflineError,
    VersionNotFoundError,
)
from openconflict.ledger import read_ledger

pytestmark = pytest.mark.usefixtures("bundled_latest")  # only 0.3.0 ships; older versions need the mirror

OLD = "0.1.0"
EVENTS = "data/events.parquet"
BOOKKEEPING = {".stamps", ".derived", ".lock", ".ledger.lock", "ledger.json"}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def cache_files(cache: Path) -> list[str]:
    """Every file in the cache except the loader's own bookkeeping (stamps, locks, derived facts, ledger)."""
    if not cache.exists():
        return []
    return sorted(p.relative_to(cache).as_posix() for p in cache.rglob("*")
                  if p.is_file() and not BOOKKEEPING & set(p.relative_to(cache).parts))


def test_download_verify_and_reuse_without_a_second_request(
        mirror: Mirror, releases: Releases, isolated_env: Path) -> None:
    df = L.load_events(OLD)
    assert set(df["event_id_cnty"]) == set(releases.rows[OLD])
    assert mirror.count(f"/{OLD}/{EVENTS}") == 1, mirror.requests
    cached = isolated_env / OLD / EVENTS
    assert sha256(cached) == sha256(releases.root / OLD / EVENTS)
    # A pandas load needs only the events file (the descriptor's vocabularies serve polars output only).
    assert set(cache_files(isolated_env)) == {f"{OLD}/{EVENTS}"}
    before = len(mirror.requests)
    again = L.load_events(OLD, iso3="SYR")
    assert len(mirror.requests) == before  # served from the cache, not the network
    assert len(again) == sum(r["iso3"] == "SYR" for r in releases.rows[OLD].values())


def test_cached_files_are_world_readable(mirror: Mirror, isolated_env: Path) -> None:
    old = os.umask(0o077)  # even under a strict umask: a shared cache must be readable by everyone
    try:
        L.download(OLD)
    finally:
        os.umask(old)
    files = [p for p in (isolated_env / OLD).rglob("*") if p.is_file() and p.name != ".lock"]
    assert files and {oct(p.stat().st_mode & 0o777) for p in files} == {"0o644"}


def test_reuse_across_processes_works_offline(mirror: Mirror) -> None:
    L.download(OLD)
    requests = len(mirror.requests)
    code = f"import openconflict.loader as L; print(len(L.load_events({OLD!r}, output='arrow')))"
    result = subprocess.run([sys.executable, "-c", code], env=subprocess_env(OPENCONFLICT_OFFLINE="1"),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) == L.info(OLD)["events"]
    assert len(mirror.requests) == requests


def test_bundled_version_needs_no_network(mirror: Mirror) -> None:
    assert len(L.load_events()) == L.info()["events"]
    assert L.load_events(VERSIONS[-1], output="arrow").num_rows == L.info()["events"]
    assert mirror.requests == []


@pytest.mark.parametrize("fault", ["truncate", "short", "wrong", "longer"])
def test_a_lying_server_never_enters_the_cache(
        mirror: Mirror, releases: Releases, isolated_env: Path, fault: str) -> None:
    mirror.faults[EVENTS] = fault
    entry = read_ledger(releases.root / "registry.json").get(OLD).file(EVENTS)
    error = DownloadError if fault == "truncate" else ChecksumError
    with pytest.raises(error) as info:
        L.load_events(OLD)
    message = str(info.value)
    assert f"{mirror.url}/{OLD}/{EVENTS}" in message
    if error is ChecksumError:
        assert entry.sha256 in message and "try again" in message and "OPENCONFLICT_URL" in message
    if fault == "wrong":  # same size, other bytes: the actual hash is named too
        wrong = hashlib.sha256(bytes(reversed((releases.root / OLD / EVENTS).read_bytes()))).hexdigest()
        assert wrong in message
    assert not (isolated_env / OLD / EVENTS).exists()
    assert not [p for p in (isolated_env / OLD).rglob("*.part")]  # no temporary file left behind
    mirror.faults.clear()  # the mirror recovers: the next load succeeds
    assert len(L.load_events(OLD)) == L.info(OLD)["events"]


def test_404_names_the_url_and_the_fix(mirror: Mirror, isolated_env: Path) -> None:
    mirror.faults[EVENTS] = "404"
    with pytest.raises(DownloadError, match="HTTP 404") as info:
        L.load_events(OLD)
    assert f"{mirror.url}/{OLD}/{EVENTS}" in str(info.value) and "OPENCONFLICT_URL" in str(info.value)
    assert cache_files(isolated_env) == []


def test_unreachable_mirror_gives_a_network_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    with socket.socket() as s:  # a port that was free a moment ago: connection refused
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("OPENCONFLICT_URL", f"http://127.0.0.1:{port}")
    with pytest.raises(DownloadError, match="HTTPS_PROXY"):
        L.load_events(OLD)


def test_a_file_url_is_not_a_mirror(releases: Releases, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENCONFLICT_URL", releases.root.as_uri())
    with pytest.raises(ConfigError, match="OPENCONFLICT_URL"):
        L.load_events(OLD)


def test_without_a_mirror_the_error_says_how_to_name_one() -> None:
    with pytest.raises(MirrorNotConfiguredError) as info:
        L.load_events(OLD)
    message = str(info.value)
    assert "OPENCONFLICT_URL" in message and OLD in message and "<base>/<version>/datapackage.json" in message


def test_offline_never_touches_the_network(mirror: Mirror, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENCONFLICT_OFFLINE", "1")
    with pytest.raises(OfflineError) as info:
        L.load_events(OLD)
    assert OLD in str(info.value) and "OPENCONFLICT_OFFLINE" in str(info.value)
    with pytest.raises(VersionNotFoundError):
        L.load_events("0.4.0")
    assert mirror.requests == []
    assert len(L.load_events()) == L.info()["events"]  # the bundled latest still works


def test_unknown_version_is_never_substituted(mirror: Mirror) -> None:
    with pytest.raises(VersionNotFoundError, match="0.1.0, 0.2.0, 0.3.0") as info:
        L.load_events("0.4.0")
    assert "does not list it either" in str(info.value) and "pip install" not in str(info.value)
    assert mirror.requests == ["/registry.json"]  # it asked the mirror's ledger, and nothing else


def test_corrupted_cache_file_is_fetched_again(mirror: Mirror, isolated_env: Path, releases: Releases) -> None:
    L.load_events(OLD)
    cached = isolated_env / OLD / EVENTS
    data = bytearray(cached.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped bit, same size
    cached.write_bytes(bytes(data))
    df = L.load_events(OLD)
    assert mirror.count(f"/{OLD}/{EVENTS}") == 2
    assert sha256(cached) == sha256(releases.root / OLD / EVENTS)
    assert len(df) == L.info(OLD)["events"]


def test_corrupted_cache_file_offline_is_reported(
        mirror: Mirror, isolated_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    L.load_events(OLD)
    (isolated_env / OLD / EVENTS).write_bytes(b"not parquet")
    monkeypatch.setenv("OPENCONFLICT_OFFLINE", "1")
    with pytest.raises(OfflineError, match="no longer matches its sha256"):
        L.load_events(OLD)


def test_corrupted_bundled_file_is_not_trusted(
        mirror: Mirror, bundled_latest: Path, releases: Releases, isolated_env: Path) -> None:
    latest = VERSIONS[-1]
    bundled = bundled_latest / latest / EVENTS
    bundled.write_bytes(bundled.read_bytes()[:-10] + b"0123456789")  # same size, damaged
    df = L.load_events()
    assert mirror.count(f"/{latest}/{EVENTS}") == 1  # fetched a good copy instead
    assert sha256(isolated_env / latest / EVENTS) == sha256(releases.root / latest / EVENTS)
    assert len(df) == L.info()["events"]


def test_cache_of_another_release_with_the_same_version_is_not_served(
        mirror: Mirror, isolated_env: Path, releases: Releases) -> None:
    """A cache filled from a different build of '0.1.0' (other bytes) is replaced, not used."""
    target = isolated_env / OLD / EVENTS
    target.parent.mkdir(parents=True)
    target.write_bytes((releases.root / "0.2.0" / EVENTS).read_bytes())
    df = L.load_events(OLD)
    assert set(df["event_id_cnty"]) == set(releases.rows[OLD])
    assert mirror.count(f"/{OLD}/{EVENTS}") == 1, mirror.requests


def test_download_and_verify(mirror: Mirror, isolated_env: Path, releases: Releases) -> None:
    folder = L.download(OLD)
    assert folder == isolated_env / OLD
    files = read_ledger(releases.root / "registry.json").get(OLD).files
    assert set(cache_files(isolated_env)) == {f"{OLD}/{p}" for p in files}
    report = L.verify(OLD)
    assert set(report["status"]) == {"ok"} and len(report) == len(files)
    (folder / "data" / "actors.csv").write_text("damaged\n")
    report = L.verify(OLD)
    bad = report[report["status"] != "ok"]
    assert bad[["file", "location", "status"]].values.tolist() == [["data/actors.csv", "cache", "corrupt"]]
    fixed = L.verify(OLD, repair=True)
    assert set(fixed["status"]) == {"ok"}
    assert sha256(folder / "data" / "actors.csv") == sha256(releases.root / OLD / "data" / "actors.csv")
    assert L.download() == Path(L.info()["bundled_dir"])  # the latest is complete in the bundle
    everything = L.download("all")
    assert isinstance(everything, list) and len(everything) == len(VERSIONS)
    v = L.versions()
    assert v.set_index("version").loc[OLD, "cached"]
    assert not v.set_index("version").loc["0.2.0", "bundled"]


def test_verify_reports_missing_files() -> None:
    report = L.verify(OLD)
    assert set(report["status"]) == {"missing"}
    assert isinstance(report, pd.DataFrame)


def test_changes_across_a_downloaded_version(mirror: Mirror) -> None:
    got = L.changes(OLD, VERSIONS[-1])
    assert {"added", "modified", "deleted"} == set(got["change"])


def test_threads_share_one_download(mirror: Mirror, releases: Releases) -> None:
    """Concurrent loads inside one process (a notebook's thread pool) download once and agree."""
    mirror.delay = 0.3
    results: list[int] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            results.append(L.load_events(OLD, output="arrow").num_rows)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    assert results == [len(releases.rows[OLD])] * 8
    assert mirror.count(f"/{OLD}/{EVENTS}") == 1


WORKER = """
import os, sys, time
import pyarrow, pyarrow.compute, pyarrow.csv, pyarrow.dataset, pyarrow.parquet  # import first: race later
import openconflict.loader as L
go = sys.argv[1]
open(go + f".ready-{os.getpid()}", "w").close()
while not os.path.exists(go):
    time.sleep(0.002)
t = L.load_events(sys.argv[2], output="arrow")
print(t.num_rows, t.column("event_id_cnty")[0])
"""


def test_eight_processes_share_an_empty_cache(mirror: Mirror, isolated_env: Path, tmp_path: Path,
                                              releases: Releases) -> None:
    mirror.delay = 0.5  # keep the first download in flight while the others arrive
    go = tmp_path / "go"
    env = subprocess_env()
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, str(go), OLD], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(8)]
    deadline = time.monotonic() + 60
    while len(list(tmp_path.glob("go.ready-*"))) < 8:  # every worker imported and waits at the gate
        assert time.monotonic() < deadline and all(p.poll() is None for p in procs), "workers did not start"
        time.sleep(0.02)
    go.touch()
    outputs = [p.communicate(timeout=90) for p in procs]
    for p, (_, err) in zip(procs, outputs, strict=True):
        assert p.returncode == 0, err
    assert len({out for out, _ in outputs}) == 1
    assert int(outputs[0][0].split()[0]) == len(releases.rows[OLD])
    # One request per file (the lock), one intact copy, no temporary files left.
    assert mirror.count(f"/{OLD}/{EVENTS}") == 1, mirror.requests
    assert set(cache_files(isolated_env)) == {f"{OLD}/{EVENTS}"}
    assert sha256(isolated_env / OLD / EVENTS) == sha256(releases.root / OLD / EVENTS)
    assert os.listdir(isolated_env / OLD / "data") == ["events.parquet"]
