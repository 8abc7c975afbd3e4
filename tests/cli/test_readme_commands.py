"""Every command the README's researcher section shows runs as written (offline, in a scratch folder)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _researcher_commands() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## For researchers"):text.index("### Settings")]
    blocks = re.findall(r"```bash\n(.*?)```", section, flags=re.S)
    lines = [line.split("  #")[0].strip() for block in blocks for line in block.splitlines()]
    return [line for line in lines if line.startswith("openconflict ") and not line.startswith(
        ("openconflict update", "openconflict download VERSION"))]  # these two need a mirror


COMMANDS = _researcher_commands()


def test_the_section_shows_the_new_verbs() -> None:
    shown = " ".join(COMMANDS)
    for needle in ("info", "export", "--acled-labels", "--table aggregates_admin1_month", "-o -", "diff",
                   "codebook --show", "--format geoparquet", "cite"):
        assert needle in shown, needle


@pytest.mark.parametrize("command", COMMANDS)
def test_readme_command_runs(command: str, tmp_path: Path) -> None:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "openconflict").write_text(f"#!/bin/sh\nexec {sys.executable} -m openconflict \"$@\"\n")
    (bindir / "openconflict").chmod(0o755)
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "OPENCONFLICT_CACHE": str(tmp_path / "cache"),
           "OPENCONFLICT_OFFLINE": "1", "PATH": f"{bindir}:{os.environ['PATH']}"}
    out = subprocess.run(["bash", "-o", "pipefail", "-c", command], capture_output=True, text=True, cwd=tmp_path,
                         env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr
