"""The release step's frictionless check really refuses what frictionless refuses (issue 13)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from openconflict.errors import BuildError
from openconflict.release import frictionless_check
from openconflict.release.frictionless_check import FRICTIONLESS_FULL_ROWS, DataCheck, check_with_frictionless

REPO = Path(__file__).resolve().parents[2]
LATEST = REPO / "build" / "releases" / "2.1.0"  # has a report resource


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    folder = tmp_path / "release"
    shutil.copytree(LATEST, folder)
    return folder


def test_a_published_release_passes(copy: Path) -> None:
    check_with_frictionless(copy, rows=FRICTIONLESS_FULL_ROWS)  # full row-by-row mode
    check_with_frictionless(copy, rows=FRICTIONLESS_FULL_ROWS + 1)  # sampled mode


@pytest.mark.parametrize("rows", [FRICTIONLESS_FULL_ROWS, FRICTIONLESS_FULL_ROWS + 1])
def test_a_value_outside_its_vocabulary_is_refused_in_either_mode(copy: Path, rows: int) -> None:
    events = copy / "data" / "events.csv"
    text = events.read_text(encoding="utf-8")
    lines = text.split("\n")
    lines[1] = lines[1].replace("Syria", "Syrja", 1)  # the country column carries an enum constraint
    events.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(BuildError, match="frictionless refuses the release"):
        check_with_frictionless(copy, rows=rows)


def test_full_mode_also_checks_bytes_and_hash(copy: Path) -> None:
    events = copy / "data" / "events.csv"
    data = bytearray(events.read_bytes())
    data[-40] = ord("X") if data[-40] != ord("X") else ord("Y")  # same size, other bytes, valid text
    events.write_bytes(bytes(data))
    with pytest.raises(BuildError, match="hash"):
        check_with_frictionless(copy, rows=FRICTIONLESS_FULL_ROWS)


# ------------------------------------------------------------------ the second process (issue 12)

def _descriptor(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("rows", [FRICTIONLESS_FULL_ROWS, FRICTIONLESS_FULL_ROWS + 1])
def test_the_second_process_passes_a_published_release(copy: Path, rows: int) -> None:
    desc = _descriptor(copy)
    check = DataCheck(copy, rows)
    try:
        check.send(desc)
        check.finish(desc)
    finally:
        check.close()


@pytest.mark.parametrize("rows", [FRICTIONLESS_FULL_ROWS, FRICTIONLESS_FULL_ROWS + 1])
def test_the_second_process_refuses_what_frictionless_refuses(copy: Path, rows: int) -> None:
    desc = _descriptor(copy)
    events = copy / "data" / "events.csv"
    lines = events.read_text(encoding="utf-8").split("\n")
    lines[1] = lines[1].replace("Syria", "Syrja", 1)
    events.write_text("\n".join(lines), encoding="utf-8")
    check = DataCheck(copy, rows)
    with pytest.raises(BuildError, match="frictionless refuses the release"):
        check.finish(desc)  # sends first when nothing was sent


def test_the_report_is_checked_in_process_alongside(copy: Path) -> None:
    desc = _descriptor(copy)
    assert any(r["name"] == "report" for r in desc["resources"])
    page = copy / "report" / "index.html"
    data = bytearray(page.read_bytes())
    data[100] = ord("x") if data[100] != ord("x") else ord("y")
    page.write_bytes(bytes(data))
    check = DataCheck(copy, FRICTIONLESS_FULL_ROWS)
    check.send(desc)
    with pytest.raises(BuildError, match="hash"):
        check.finish(desc)


def test_data_resources_changed_after_the_start_are_refused(copy: Path) -> None:
    desc = _descriptor(copy)
    check = DataCheck(copy, FRICTIONLESS_FULL_ROWS + 1)
    check.send(desc)
    changed = copy_descriptor(desc)
    next(r for r in changed["resources"] if r["name"] == "events")["bytes"] += 1
    with pytest.raises(BuildError, match="changed after their frictionless check started"):
        check.finish(changed)
    assert check._proc is None


def copy_descriptor(desc: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(desc))


@pytest.mark.parametrize("sent", [False, True])
def test_close_stops_a_running_child(copy: Path, sent: bool) -> None:
    """Waiting for its descriptor, or checking: either way close() leaves no process behind."""
    check = DataCheck(copy, FRICTIONLESS_FULL_ROWS)
    if sent:
        check.send(_descriptor(copy))
    proc = check._proc
    assert proc is not None
    check.close()
    assert proc.poll() is not None  # killed and reaped
    check.close()  # idempotent


def test_a_build_that_fails_after_the_child_started_leaves_no_process(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from openconflict.release import build_release, write

    children: list[frictionless_check.DataCheck] = []
    real = frictionless_check.DataCheck

    def spy(folder: Path, rows: int) -> frictionless_check.DataCheck:
        children.append(real(folder, rows))
        return children[-1]

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise BuildError("the release report could not be rendered: injected")

    monkeypatch.setattr(write, "DataCheck", spy)
    monkeypatch.setattr(write, "SECOND_PROCESS_ROWS", 0)
    monkeypatch.setattr(write, "_render_report", broken)
    with pytest.raises(BuildError, match="injected"):
        build_release(REPO / "datasets", "9.0.0", date="2026-11-30", releases_dir=tmp_path / "releases",
                      dist_dir=None, today=dt.date(2026, 11, 30))
    assert len(children) == 1 and children[0]._proc is None
    assert not [p for p in (tmp_path / "releases").iterdir() if not p.name.startswith(".")]


def test_a_large_build_checks_in_a_second_process_and_writes_the_same_bytes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same release built with the in-process check and with the second process: identical files."""
    from openconflict.release import build_release, write

    started: list[int] = []
    real = frictionless_check.DataCheck

    def spy(folder: Path, rows: int) -> frictionless_check.DataCheck:
        started.append(rows)
        return real(folder, rows)

    monkeypatch.setattr(write, "DataCheck", spy)
    out: dict[str, dict[str, str]] = {}
    for limit in (10**9, 0):
        monkeypatch.setattr(write, "SECOND_PROCESS_ROWS", limit)
        releases = tmp_path / f"releases-{limit}"
        build_release(REPO / "datasets", "9.0.0", date="2026-11-30", releases_dir=releases, dist_dir=None,
                      today=dt.date(2026, 11, 30))
        folder = releases / "9.0.0"
        out[str(limit)] = {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                           for p in sorted(folder.rglob("*")) if p.is_file()}
    assert len(started) == 1
    assert out["0"] == out[str(10**9)]


def test_a_late_refusal_from_the_child_publishes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The child's verdict arrives after the archive was written: a refusal still leaves no release, no
    archive and an unchanged ledger. The child is a stand-in interpreter that refuses whatever it is sent."""
    from openconflict.release import build_release, write

    refuser = tmp_path / "refuser"
    refuser.write_text('#!/bin/sh\ncat > /dev/null\nprintf \'["type-error: injected refusal"]\'\n', encoding="utf-8")
    refuser.chmod(0o755)
    monkeypatch.setattr(frictionless_check.sys, "executable", str(refuser))
    monkeypatch.setattr(write, "SECOND_PROCESS_ROWS", 0)
    releases, dist = tmp_path / "releases", tmp_path / "dist"
    with pytest.raises(BuildError, match="frictionless refuses the release: type-error: injected refusal"):
        build_release(REPO / "datasets", "9.0.0", date="2026-11-30", releases_dir=releases, dist_dir=dist,
                      today=dt.date(2026, 11, 30))
    left = sorted(p.name for p in releases.iterdir())
    assert "9.0.0" not in left and not [n for n in left if n.startswith((".tmp-", ".pending"))], left
    assert not (dist.exists() and list(dist.iterdir())), list(dist.iterdir())
