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
