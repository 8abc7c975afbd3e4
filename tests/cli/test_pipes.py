"""A reader that stops early (``| head -1``) ends every verb quietly with exit 0: real pipes, real processes.

Two ways to close the pipe: a real shell pipeline into ``head -1`` with ``pipefail`` (the exit status is
ours, not head's) on output far larger than the pipe's buffer, so our writes must fail; and a pipe whose
reading end is closed before the command has even started, so its very first write fails.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO / "src"), "OPENCONFLICT_CACHE": str(tmp_path / "cache"),
            "OPENCONFLICT_OFFLINE": "1"}


def _head_1(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    command = " ".join(shlex.quote(a) for a in [sys.executable, "-m", "openconflict", *args])
    script = f"set -o pipefail; {command} 2>{shlex.quote(str(tmp_path / 'err'))} | head -1"
    return subprocess.run(["bash", "-c", script], capture_output=True, text=True, cwd=REPO, env=_env(tmp_path),
                          timeout=300)


@pytest.mark.parametrize("args", [
    ["export", "1.0.1", "-o", "-", "--quiet"],
    ["export", "1.0.1", "-o", "-", "--format", "jsonl", "--quiet"],
    ["export", "1.0.1", "--table", "sources", "-o", "-", "--quiet"],
])
def test_head_1_on_a_large_output(args: list[str], tmp_path: Path) -> None:
    out = _head_1(args, tmp_path)
    err = (tmp_path / "err").read_text()
    assert out.returncode == 0, err
    assert len(out.stdout.splitlines()) == 1
    assert err == "", err  # not even "Exception ignored ... BrokenPipeError"


def test_diff_into_head_1(tmp_path: Path) -> None:
    out = _head_1(["diff", "0.1.0", "1.0.1", "--limit", "500"], tmp_path)
    assert out.returncode == 0 and out.stdout.startswith("0.1.0 -> 1.0.1")
    assert (tmp_path / "err").read_text() == ""


def _closed_before_start(args: list[str], tmp_path: Path) -> tuple[int, str]:
    read_end, write_end = os.pipe()
    os.close(read_end)  # nobody will ever read: the first write fails with EPIPE
    err = tmp_path / "stderr"
    with err.open("w") as fh:
        proc = subprocess.run([sys.executable, "-m", "openconflict", *args], stdout=write_end, stderr=fh,
                              cwd=REPO, env=_env(tmp_path), timeout=300)
    os.close(write_end)
    return proc.returncode, err.read_text()


@pytest.mark.parametrize("args", [
    ["diff", "0.1.0", "1.0.1"],
    ["diff", "1.0.1", "1.0.0"],
    ["versions"],
    ["info", "1.0.1"],
    ["info", "--json"],
    ["cite", "1.0.1"],
    ["export", "1.0.1", "-o", "-", "--quiet"],
    ["validate", "--format", "json"],
    ["validate"],
    ["codebook", "--show"],
    ["--help"],
    ["export", "--help"],
])
def test_every_verb_ends_quietly_on_a_closed_pipe(args: list[str], tmp_path: Path) -> None:
    code, err = _closed_before_start(args, tmp_path)
    assert "Traceback" not in err and "BrokenPipe" not in err and "Exception ignored" not in err, err
    assert code == 0, err


def test_a_real_error_is_still_reported_when_stdout_is_fine(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "openconflict", "export", "1.0.1", "-o",
                           str(tmp_path / "missing" / "x.csv")], capture_output=True, text=True, cwd=REPO,
                          env=_env(tmp_path), timeout=300)
    assert proc.returncode == 1 and "--mkdirs" in proc.stderr
