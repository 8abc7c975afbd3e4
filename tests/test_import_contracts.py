"""The import layers of DESIGN.md's module map, checked by the real import-linter on every test run.

A contract that breaks names the import chain that broke it; see ``[tool.importlinter]`` in pyproject.toml.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept() -> None:
    exe = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))
    proc = subprocess.run([exe, "--no-cache"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "3 kept, 0 broken" in proc.stdout


def test_a_broken_contract_is_reported(tmp_path: Path) -> None:
    """The check can fail: a copy of the package whose leaf imports the build side breaks a contract."""
    pkg = tmp_path / "src" / "openconflict"
    shutil.copytree(REPO / "src" / "openconflict", pkg, ignore=shutil.ignore_patterns("__pycache__"))
    (pkg / "files.py").write_text((pkg / "files.py").read_text(encoding="utf-8")
                                  + "\nfrom openconflict import release  # noqa: E402,F401\n", encoding="utf-8")
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    exe = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))
    env = {"PYTHONPATH": str(tmp_path / "src"), "PATH": str(Path(sys.executable).parent)}
    proc = subprocess.run([exe, "--no-cache"], cwd=tmp_path, capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode != 0 and "BROKEN" in proc.stdout, proc.stdout + proc.stderr
