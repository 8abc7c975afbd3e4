"""``info`` reads like a summary, ``codebook --show`` opens the codebook, ``diff`` says where its changes live."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import shutil
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from openconflict.cli import main

REPO = Path(__file__).resolve().parents[2]
RELEASES = REPO / "build" / "releases"


@pytest.fixture(autouse=True)
def _offline_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENCONFLICT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("OPENCONFLICT_OFFLINE", "1")


def cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_info_is_a_readable_summary() -> None:
    code, out, _ = cli("info", "1.0.1")
    assert code == 0
    for heading in ("OpenConflict 1.0.1", "Events:      198, 2015-10-01 to 2016-12-25", "Event types:", "Sources:",
                    "Licence:", "Cite as:", "Codebook:", "Files:"):
        assert heading in out, heading
    assert not out.lstrip().startswith("{")


def test_info_json_keeps_the_machine_form() -> None:
    code, out, _ = cli("info", "1.0.1", "--json")
    data = json.loads(out)
    assert code == 0 and data["version"] == "1.0.1" and data["events"] == 198
    assert {"files", "ledger", "bundled", "cached"} <= set(data)
    assert data["summary"]["events"] == 198 and data["summary"]["first_date"] == "2015-10-01"


def test_info_without_a_version_is_the_latest() -> None:
    latest = json.loads((RELEASES / "registry.json").read_text())["releases"][-1]["version"]
    assert cli("info")[1].startswith(f"OpenConflict {latest}")


def test_info_of_a_release_not_on_this_machine_says_how_to_get_it(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    releases = tmp_path / "releases"
    shutil.copytree(RELEASES, releases)
    shutil.rmtree(releases / "1.0.0")
    monkeypatch.setenv("OPENCONFLICT_RELEASES", str(releases))
    code, out, _ = cli("info", "1.0.0")
    assert code == 0 and "not on this machine" in out and "openconflict download 1.0.0" in out
    assert json.loads(cli("info", "1.0.0", "--json")[1])["summary"] is None


def test_codebook_show_prints_the_installed_codebook() -> None:
    code, out, _ = cli("codebook", "--show")
    assert code == 0
    assert out == (REPO / "schema" / "codebook.md").read_text(encoding="utf-8")


def test_codebook_show_uses_the_pager_only_on_a_terminal(tmp_path: Path) -> None:
    marker = tmp_path / "paged"
    pager = tmp_path / "pager.sh"
    pager.write_text(f"#!/bin/sh\ncat > {marker}\n")
    pager.chmod(0o755)
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "PAGER": str(pager)}
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    try:
        subprocess.run([sys.executable, "-m", "openconflict", "codebook", "--show"], stdout=slave, stderr=slave,
                       stdin=slave, env=env, timeout=60, check=True)
    finally:
        os.close(slave)
        os.close(master)
    assert marker.read_text(encoding="utf-8").startswith("# OpenConflict codebook")
    marker.unlink()
    piped = subprocess.run([sys.executable, "-m", "openconflict", "codebook", "--show"], capture_output=True,
                           text=True, env=env, timeout=60)
    assert piped.stdout.startswith("# OpenConflict codebook") and not marker.exists()


def test_diff_of_consecutive_releases_names_the_one_file() -> None:
    code, out, err = cli("diff", "1.0.0", "1.0.1", "--releases", str(RELEASES))
    assert code == 0 and err == ""
    assert f"exactly the changes in 1.0.1's own changes table: {RELEASES / '1.0.1' / 'data' / 'changes.csv'}" in out
    assert "patch: values of existing events were corrected" in out
    assert "No single file" not in out


def test_diff_over_several_steps_says_no_single_file_holds_them() -> None:
    code, out, _ = cli("diff", "0.1.0", "1.0.1", "--releases", str(RELEASES))
    assert code == 0
    assert "No single file holds these changes" in out
    assert f"{RELEASES / '1.0.0' / 'data' / 'changes.csv'} (0.1.0 -> 1.0.0)" in out
    assert f"{RELEASES / '1.0.1' / 'data' / 'changes.csv'} (1.0.0 -> 1.0.1)" in out
    assert "minor: events were added or deleted; no column or vocabulary value changed" in out
    assert "Version step: a major step" in out


def test_diff_flags_a_reversed_order() -> None:
    code, out, err = cli("diff", "1.0.1", "1.0.0", "--releases", str(RELEASES))
    assert code == 0
    assert "REVERSED" in out.splitlines()[0]
    assert "reversed order: 1.0.0 was published before 1.0.1" in err and "openconflict diff 1.0.0 1.0.1" in err
    assert "'International-National' -> 'National-International'" in out  # the way back


def test_diff_through_the_loader_outside_a_checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no build/releases here: the loader's bundled releases are used
    code, out, _ = cli("diff", "0.1.0", "1.0.1")
    assert code == 0 and "196 added" in out and "data/changes.csv of release 1.0.0 (0.1.0 -> 1.0.0)" in out


def test_diff_writes_every_change_with_output(tmp_path: Path) -> None:
    target = tmp_path / "changes.csv"
    code, out, _ = cli("diff", "0.1.0", "1.0.1", "--releases", str(RELEASES), "--limit", "2", "--output",
                       str(target))
    assert code == 0 and f"wrote 196 change(s) to {target}" in out
    got = pd.read_csv(target)
    assert list(got.columns) == ["event_id", "change", "field", "old_value", "new_value"]
    assert len(got) == 196 and set(got["change"]) == {"added"}
    assert cli("diff", "0.1.0", "1.0.1", "--output", str(tmp_path / "no" / "x.csv"))[0] == 1


def test_diff_of_an_unknown_version_is_refused_without_a_traceback() -> None:
    code, out, err = cli("diff", "1.0.0", "7.7.7", "--releases", str(RELEASES))
    assert code == 1 and "diff refused" in err and "Traceback" not in out + err


def _diff(added: int = 0, modified: int = 0, deleted: int = 0, schema: tuple[str, ...] = ()) -> object:
    import pyarrow as pa

    from openconflict.release.diff import ReleaseDiff, SchemaChange, changes_schema

    return ReleaseDiff(changes=pa.table({f.name: pa.array([], f.type) for f in changes_schema()}), added=added,
                       modified=modified, deleted=deleted,
                       schema_changes=[SchemaChange(kind, f"SYNTHETIC {kind} change") for kind in schema])


@pytest.mark.parametrize(("diff", "words"), [
    (_diff(), "none: no event, column or vocabulary value differs"),
    (_diff(modified=2), "patch: values of existing events were corrected; no event was added or deleted"),
    (_diff(added=1), "minor: events were added or deleted; no column or vocabulary value changed"),
    (_diff(deleted=1, schema=("minor",)), "minor: events were added or deleted; columns or vocabulary values were "
                                          "added, none removed or changed"),
    (_diff(schema=("minor",)), "minor: columns or vocabulary values were added; none removed or changed"),
    (_diff(added=5, schema=("major", "minor")), "major: a column or a vocabulary value was removed, renamed or "
                                                "retyped"),
])
def test_the_required_step_is_said_in_words(diff: object, words: str) -> None:
    from openconflict.cli.changes import meaning

    assert meaning(diff.required, diff).startswith(words)  # type: ignore[attr-defined]
