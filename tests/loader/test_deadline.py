"""Downloads give up in time and clean up after themselves: an overall deadline as well as a per-read
timeout, bounded lock waits that name the holder, and partial files of killed downloads removed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from loader_fixtures import Mirror, Releases, subprocess_env

import openconflict.loader as L
from openconflict.errors import DownloadError, LockTimeoutError

pytestmark = pytest.mark.usefixtures("bundled_latest")

OLD = "0.1.0"
EVENTS = "data/events.parquet"


def test_a_trickling_mirror_is_abandoned_at_the_deadline(
        mirror: Mirror, isolated_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One byte every 0.1 s never trips a 2 s read timeout; the 0.8 s deadline stops it."""
    monkeypatch.setenv("OPENCONFLICT_TIMEOUT", "2")
    monkeypatch.setenv("OPENCONFLICT_DEADLINE", "0.8")
    mirror.faults[EVENTS] = "trickle"
    t0 = time.monotonic()
    with pytest.raises(DownloadError, match="deadline") as info:
        L.load_events(OLD)
    elapsed = time.monotonic() - t0
    assert 0.7 < elapsed < 3, elapsed
    assert "OPENCONFLICT_DEADLINE" in str(info.value)
    assert not (isolated_env / OLD / EVENTS).exists()
    assert not list((isolated_env / OLD).rglob("*.part"))


def test_the_mirror_ledger_has_a_deadline_too(mirror: Mirror, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENCONFLICT_TIMEOUT", "2")
    monkeypatch.setenv("OPENCONFLICT_DEADLINE", "0.5")
    mirror.faults["/registry.json"] = "trickle"
    t0 = time.monotonic()
    with pytest.raises(DownloadError, match="deadline"):
        L.update()
    assert time.monotonic() - t0 < 3


def test_a_silent_mirror_times_out_per_read(
        mirror: Mirror, isolated_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENCONFLICT_TIMEOUT", "0.5")
    mirror.faults[EVENTS] = "stall"
    t0 = time.monotonic()
    with pytest.raises(DownloadError, match="timed out after 0.5 s") as info:
        L.load_events(OLD)
    assert time.monotonic() - t0 < 5
    assert "OPENCONFLICT_TIMEOUT" in str(info.value)
    assert not (isolated_env / OLD / EVENTS).exists()


HOLDER = """
import sys, time
from openconflict.files import locked
with locked(sys.argv[1], wait=5, what="test"):
    print("held", flush=True)
    time.sleep(60)
"""


def test_lock_waits_are_bounded_and_name_the_holder(
        mirror: Mirror, isolated_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lock = isolated_env / OLD / ".lock"
    lock.parent.mkdir(parents=True)
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(lock)], env=subprocess_env(),
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        monkeypatch.setenv("OPENCONFLICT_LOCK_WAIT", "0.5")
        t0 = time.monotonic()
        with pytest.raises(LockTimeoutError) as info:
            L.load_events(OLD)
        assert time.monotonic() - t0 < 5
        assert f"pid {holder.pid}" in str(info.value) and OLD in str(info.value)
    finally:
        holder.kill()
        holder.wait(10)
    assert len(L.load_events(OLD)) > 0  # a dead holder's lock is released by the kernel


KILLED = """
import openconflict.loader as L
L.load_events("0.1.0")
"""


def test_the_partial_file_of_a_killed_download_is_removed_by_the_next_download(
        mirror: Mirror, releases: Releases, isolated_env: Path) -> None:
    mirror.faults[EVENTS] = "trickle"
    mirror.trickle = 0.02
    proc = subprocess.Popen([sys.executable, "-c", KILLED], env=subprocess_env(OPENCONFLICT_DEADLINE="120"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    folder = isolated_env / OLD / "data"
    deadline = time.monotonic() + 60
    while not (list(folder.glob(".events.parquet.*.part")) if folder.exists() else []):
        assert time.monotonic() < deadline and proc.poll() is None, "the download never started"
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    partial = list(folder.glob(".events.parquet.*.part"))
    assert len(partial) == 1  # what a killed process leaves behind
    mirror.faults.clear()
    L.download(OLD)
    assert not list((isolated_env / OLD).rglob("*.part"))
    assert (folder / "events.parquet").read_bytes() == (releases.root / OLD / EVENTS).read_bytes()


GATED = """
import os, sys, time
import pyarrow.parquet  # noqa: F401 - import before the gate, so the kill lands inside the download
import openconflict.loader as L
open(sys.argv[1] + ".ready", "w").close()
L.download("0.1.0")
"""


@pytest.mark.parametrize("delay", [0.0, 0.15, 0.4, 0.8])
def test_a_download_killed_at_any_moment_leaves_only_verified_files(
        mirror: Mirror, releases: Releases, isolated_env: Path, tmp_path: Path, delay: float) -> None:
    """Kill `download` at different moments: whatever is in the cache afterwards is verified, and the next
    download completes and leaves no temporary file."""
    import hashlib

    from openconflict.ledger import read_ledger

    mirror.delay = 0.1  # every file takes a while, so kills land in the middle of transfers
    gate = tmp_path / "gate"
    proc = subprocess.Popen([sys.executable, "-c", GATED, str(gate)], env=subprocess_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not Path(str(gate) + ".ready").exists():
        assert time.monotonic() < deadline and proc.poll() is None, "the worker did not start"
        time.sleep(0.01)
    time.sleep(delay)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    entry = read_ledger(releases.root / "registry.json").get(OLD)
    version = isolated_env / OLD
    for rel, f in entry.files.items():
        path = version / rel
        if path.exists():  # anything in place is the ledger's bytes, never a partial file
            assert hashlib.sha256(path.read_bytes()).hexdigest() == f.sha256, rel
    L.download(OLD)
    assert set(L.verify(OLD)["status"]) == {"ok"}
    assert not list(version.rglob("*.part"))
