"""The curator commands inside the real ``openconflict`` command, run as a curator runs them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from curation_fixtures import DATASETS, GAZETTEER, REPO, event_args

# Registers the commands the way the main CLI does (a no-op once cli.py registers them itself).
RUN = """
import sys
from openconflict.cli import main
from openconflict.curation.cli import lookup_command, new_command
for cmd in (lookup_command, new_command):
    if cmd.name not in main.commands:
        main.add_command(cmd)
sys.argv[0] = "openconflict"
main()
"""


def run(*args: str | Path, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", RUN, *map(str, args)], capture_output=True, text=True, cwd=cwd,
                          env={"PYTHONPATH": str(REPO / "src"), "PATH": "/usr/bin:/bin"}, timeout=120)


def test_lookup_from_the_repository_root_uses_the_default_datasets() -> None:
    out = run("lookup", "place", "Tel Jabin", "--gazetteer", GAZETTEER)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0].split()[1] == "SYR-tall-jibbin"
    none = run("lookup", "actor", "Qwzx of Nowhere")
    assert none.returncode == 1 and "no match" in none.stderr


def test_help_lists_every_subcommand() -> None:
    for group, subs in (("lookup", ("place", "actor", "source")), ("new", ("event", "source", "location"))):
        out = run(group, "--help")
        assert out.returncode == 0 and all(s in out.stdout for s in subs)
        for sub in subs:
            assert run(group, sub, "--help").returncode == 0


def test_errors_are_one_line_without_traceback(tmp_path: Path) -> None:
    out = run("lookup", "place", "Ahras", cwd=tmp_path)  # no datasets folder here
    assert out.returncode == 1 and "no datasets folder" in out.stderr and "Traceback" not in out.stderr
    bad = run(*event_args(tmp_path / "missing"))
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    usage = run("new", "event", "--datasets", DATASETS)  # --date missing
    assert usage.returncode == 2 and "--date" in usage.stderr


def test_importing_the_commands_stays_light() -> None:
    code = ("import sys, openconflict.curation.cli; "
            "print(sorted(m for m in ('pyarrow', 'pandas', 'rapidfuzz') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={"PYTHONPATH": str(REPO / "src"), "PATH": "/usr/bin:/bin"}, timeout=60)
    assert out.stdout.strip() == "[]", out.stderr
