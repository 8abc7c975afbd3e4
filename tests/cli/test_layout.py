"""The command line's shape: one small module per family of verbs, a light start-up, both entry points."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from openconflict.cli import DEFERRED, OPTIONAL, main

REPO = Path(__file__).resolve().parents[2]
CLI = REPO / "src" / "openconflict" / "cli"
VERBS = {"validate", "codebook", "build", "verify", "diff", "archive", "publish", "versions", "info", "download",
         "update", "export", "cite", "lookup", "new"}


def _installed(target: str) -> bool:
    from importlib.util import find_spec

    try:
        return find_spec(target.split(":")[0]) is not None
    except ImportError:
        return False


OPTIONAL_HERE = {name for name, (target, _) in OPTIONAL.items() if _installed(target)}


def test_every_verb_is_registered_once() -> None:
    assert set(main.commands) == VERBS | OPTIONAL_HERE
    ctx = click.Context(main)
    assert all(main.get_command(ctx, verb).name == verb for verb in VERBS | OPTIONAL_HERE)


def test_deferred_verbs_are_listed_with_their_own_summary() -> None:
    for name, (target, summary) in {**DEFERRED, **OPTIONAL}.items():
        if name in OPTIONAL and name not in OPTIONAL_HERE:
            continue  # its module comes with another branch
        module, attr = target.split(":")
        real = getattr(importlib.import_module(module), attr)
        assert real.name == name
        assert " ".join(real.help.split("\n\n")[0].split()) == summary


def test_modules_stay_small() -> None:
    assert not (REPO / "src" / "openconflict" / "cli.py").exists()
    for module in CLI.glob("*.py"):
        lines = module.read_text(encoding="utf-8").count("\n")
        assert lines <= 300, f"{module.name} has {lines} lines"


def test_console_script_is_unchanged() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["scripts"] == {"openconflict": "openconflict.cli:run"}


@pytest.mark.parametrize("entry", [["-m", "openconflict"],
                                   ["-c", "from openconflict.cli import run; run()"]])
def test_help_imports_neither_pandas_nor_pyarrow(entry: list[str]) -> None:
    """`openconflict --help` (and each verb's help) stays quick: no heavy library is imported for it."""
    probe = ("import atexit, sys\n"
             "atexit.register(lambda: sys.stderr.write('HEAVY:' + ','.join(sorted(m for m in sys.modules "
             "if m.split('.')[0] in ('pandas', 'pyarrow', 'numpy', 'frictionless', 'tqdm')"
             " or m in ('openconflict.cite', 'openconflict.ledger'))) + '\\n'))\n")
    for args in (["--help"], ["export", "--help"], ["diff", "--help"], ["build", "--help"]):
        code = probe + ("import runpy; sys.argv = ['openconflict', *sys.argv[1:]]; "
                        "runpy.run_module('openconflict', run_name='__main__')" if entry[0] == "-m" else entry[1])
        env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
        out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env,
                             timeout=60)
        assert out.returncode == 0, out.stderr
        assert "Usage:" in out.stdout
        assert "HEAVY:\n" in out.stderr, out.stderr


def test_python_dash_m_runs_the_same_command(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "OPENCONFLICT_CACHE": str(tmp_path / "c"),
           "OPENCONFLICT_OFFLINE": "1"}
    out = subprocess.run([sys.executable, "-m", "openconflict", "--version"], capture_output=True, text=True,
                         env=env, timeout=60)
    assert out.returncode == 0 and out.stdout.startswith("openconflict, version")


def test_unexpected_errors_are_one_line_not_a_traceback() -> None:
    result = CliRunner().invoke(main, ["export", "9.9.9", "-o", "x.csv"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output and "9.9.9" in result.output
