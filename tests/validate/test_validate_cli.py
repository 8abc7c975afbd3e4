"""`openconflict validate` as a user runs it: output shapes, exit codes, no traceback on any input."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from validate_fixtures import ACTORS, EV10, EV11, LOC, cell, chain, write_bytes

from openconflict.cli import main
from openconflict.codebook import stale_files
from openconflict.validate import validate

REPO = Path(__file__).resolve().parents[2]
#: file[:line]: column: rule-id: message[ (value)][ [warning]]; a file-level problem (line 0) has no line.
LINE_SHAPE = re.compile(r"^(?P<file>[^:\s][^:]*?)(?::(?P<line>[1-9][0-9]*))?: (?P<column>[a-z0-9_]+|-): "
                        r"(?P<rule>[a-z]+\.[a-z0-9-]+(?:\.[a-z0-9-]+)*): (?P<message>.+?)"
                        r"(?: \((?P<value>(?:[^()]|\([^()]*\))*)\))?(?P<warning> \[warning\])?$")
SUMMARY = re.compile(r"^\d+ error\(s\), \d+ warning\(s\) in \d+ file\(s\)")


RULE_LINE = re.compile(r"^[a-z]+\.[a-z0-9-]+: \d+ (error|warning)\(s\)$")


def problem_lines(output: str) -> list[str]:
    """The problem lines of a text report: after the per-rule summary, before the totals."""
    blocks = output.rstrip("\n").rsplit("\n", 1)[0].split("\n\n")
    assert all(RULE_LINE.match(line) for line in blocks[0].splitlines()), blocks[0]
    return blocks[1].splitlines() if len(blocks) > 1 else []


def run(*args: str | Path) -> Result:
    result = CliRunner().invoke(main, ["validate", *map(str, args)])
    # Only a deliberate exit is allowed; any other exception would be a traceback for the user.
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result


def damage(tree: Path) -> None:
    chain(cell("events/SYR/2015-10.csv", 2, "fatalities", "three"),
          cell("events/SYR/2015-10.csv", 3, "notes", "=1+1"),
          cell("actors.csv", 2, "actor_type", "9"),
          cell("locations/SYR.csv", 3, "longitude", "30.0000"))(tree)


def test_clean_tree_exits_0(tree: Path) -> None:
    result = run(tree)
    assert result.exit_code == 0
    assert SUMMARY.match(result.output.splitlines()[-1])
    assert result.output.startswith("0 error(s), 0 warning(s) in 7 file(s)")


def test_text_format_lines(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    damage(tree)
    monkeypatch.chdir(tree.parent)
    result = run("datasets")
    assert result.exit_code == 1
    summary = result.output.splitlines()[-1]
    assert summary.startswith("3 error(s), 1 warning(s) in 7 file(s)")
    lines = problem_lines(result.output)
    parsed = [LINE_SHAPE.match(line) for line in lines]
    assert all(parsed), lines
    got = [(m["file"], int(m["line"]), m["column"], m["rule"], m["value"], bool(m["warning"]))
           for m in parsed if m]
    assert got == [
        (ACTORS, 2, "actor_type", "value.range", "9", False),
        (EV10, 2, "fatalities", "value.type", "three", False),
        (EV10, 3, "notes", "warn.formula", "=1+1", True),
        (LOC, 3, "latitude", "geo.bbox", "35.0000, 30.0000", False),
    ]


def test_file_level_line_shape(tree: Path) -> None:
    (tree / "deletions.csv").unlink()
    result = run(tree)
    assert result.exit_code == 1
    m = LINE_SHAPE.match(problem_lines(result.output)[0])
    assert m and m["file"].endswith("datasets/deletions.csv") and m["line"] is None
    assert (m["column"], m["rule"]) == ("-", "file.missing")


def test_json_format_matches_report(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    damage(tree)
    monkeypatch.chdir(tree.parent)
    result = CliRunner().invoke(main, ["validate", "--format", "json", "datasets"])
    assert result.exit_code == 1
    payload = json.loads(result.stdout)
    assert (payload["ok"], payload["errors"], payload["warnings"]) == (False, 3, 1)
    assert payload["rows_checked"]["events"] == 6
    report, _ = validate([Path("datasets")])
    assert sorted((p["file"], p["line"], p["column"], p["rule"], p["message"], p["value"], p["severity"])
                  for p in payload["problems"]) == sorted(
        (p.file, p.line, p.column, p.rule, p.message, p.value, p.severity) for p in report.problems)


def test_json_format_clean(tree: Path) -> None:
    result = run("--format", "json", tree)
    assert result.exit_code == 0
    assert json.loads(result.output)["problems"] == []


def test_warnings_alone_exit_0(tree: Path) -> None:
    cell("events/SYR/2015-10.csv", 3, "notes", "@mention SYNTHETIC")(tree)
    result = run(tree)
    assert result.exit_code == 0
    assert "warn.formula" in result.output and "[warning]" in result.output


def test_quiet_prints_the_summary_only(tree: Path) -> None:
    damage(tree)
    result = run("--quiet", tree)
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and SUMMARY.match(result.output)


def test_narrowed_to_one_file(tree: Path) -> None:
    damage(tree)
    result = run(tree / "actors.csv")
    assert result.exit_code == 1
    assert [line.split(": ")[0] for line in problem_lines(result.output)] == [f"{ACTORS}:2"]


@pytest.mark.parametrize("args", [["--format", "xml"], ["--bogus"], ["no/such/folder"]],
                         ids=["bad format", "unknown option", "missing path"])
def test_usage_problems_exit_2(args: list[str], tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tree.parent)
    result = run(*args)
    assert result.exit_code == 2
    assert "Usage:" in result.output


def test_default_path_is_datasets(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tree.parent)
    assert run().exit_code == 0
    monkeypatch.chdir(tree)  # no datasets/ here
    assert run().exit_code == 2


def test_binary_file_as_events_csv(tree: Path) -> None:
    write_bytes("events/SYR/2015-11.csv", bytes(range(256)) * 4)(tree)
    result = run(tree)
    assert result.exit_code == 1
    # bytes 0x00-0x7f hold a line feed and, after it, a carriage return alone: an editor shows two line
    # breaks, so the first bad byte (0x80) is on line 3
    assert f"{EV11}:3: -: file.encoding: the file is not valid UTF-8 (bytes 80 81 82 83)" in result.output


def test_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "datasets").mkdir()
    result = run(tmp_path / "datasets")
    assert result.exit_code == 1
    assert sum("file.missing" in line for line in problem_lines(result.output)) == 5


def test_file_that_is_no_curated_table(tmp_path: Path, tree: Path) -> None:
    stray = tmp_path / "stray.bin"
    stray.write_bytes(b"\x00\xff" * 50)
    result = run(stray)
    assert result.exit_code == 1 and "file.unexpected" in result.output
    (tree / "events" / "SYR" / "notes.txt").write_text("not a table", encoding="utf-8")
    result = run(tree / "events" / "SYR" / "notes.txt")
    assert result.exit_code == 1 and "file.unexpected" in result.output


def test_paths_in_two_trees_fail_without_traceback(tmp_path: Path, tree: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    result = run(tree, other)
    assert result.exit_code != 0
    assert "one datasets tree" in result.output


def test_real_datasets_pass() -> None:
    """`openconflict validate datasets` on the repository's own data, through the installed entry point."""
    script = Path(sys.executable).with_name("openconflict")
    cmd = [str(script)] if script.exists() else [sys.executable, "-c", "from openconflict.cli import main; main()"]
    proc = subprocess.run([*cmd, "validate", "datasets"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout.startswith("0 error(s)")


def test_real_datasets_have_no_warnings() -> None:
    report, _ = validate([REPO / "datasets"])
    assert report.problems == [], report.to_text()


def test_generated_schema_files_are_not_stale() -> None:
    assert stale_files() == []
