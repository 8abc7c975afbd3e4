"""What `openconflict validate` prints: escaped, bounded per rule, and valid JSON whatever the input."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from click.testing import CliRunner
from test_validate_cli import problem_lines, run
from validate_fixtures import append_row, cell, chain

from openconflict.cli import main
from openconflict.problems import Problem, printable

ACT = "events/SYR/2015-10.csv"
#: An escape sequence, a bell, or any C0/C1 control besides the line feed: nothing a terminal would obey.
CONTROLS = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def test_printable_escapes_what_a_terminal_would_obey() -> None:
    assert printable("a\x1b[2Jb") == "a\\x1b[2Jb"
    assert printable("\ufeffSYR1") == "\\ufeffSYR1"
    assert printable("right\u202eleft") == "right\\u202eleft"
    assert printable("caf\u00e9 \u0627\u0644\u0639\u0631\u0628\u064a\u0629") == "caf\u00e9 \u0627\u0644\u0639\u0631\u0628\u064a\u0629"
    assert printable("x\udcffy") == "x\\xffy"  # an undecodable file-name byte
    line = Problem("datasets/a\x1b.csv", 2, "notes", "value.control", "m\x07", "v\x00\n").format()
    assert not CONTROLS.search(line) and "\n" not in line


def test_hostile_cells_cannot_reach_the_terminal(tree: Path) -> None:
    chain(cell(ACT, 2, "notes", "SYNTHETIC \x1b]0;owned\x07 \x1b[2J"),
          cell(ACT, 3, "event_type", "\ufeffBattles"),
          cell(ACT, 4, "actor1", "Ghost\u202e (SYNTHETIC)"))(tree)
    for args in (["validate", str(tree)], ["validate", "--all", str(tree)]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 1
        assert not CONTROLS.search(result.output.replace("\n", ""))
        assert "byte-order mark (\\ufeff)" in result.output and "\\u202e" in result.output and "\\x1b]0;owned" in result.output


def test_json_is_valid_whatever_bytes_a_file_name_holds(tree: Path) -> None:
    name = os.fsdecode(b"2015-1\xff\x1b.csv")
    (tree / "events" / "SYR" / name).write_bytes(b"garbage")
    chain(cell(ACT, 2, "notes", "SYNTHETIC \x00 \ud800"[:12]))(tree)
    result = CliRunner().invoke(main, ["validate", "--format", "json", str(tree)])
    assert result.exit_code == 1
    payload = json.loads(result.stdout)
    files = {p["file"] for p in payload["problems"]}
    assert "datasets/events/SYR/2015-1\\xff\x1b.csv" in files
    text = CliRunner().invoke(main, ["validate", str(tree)]).output
    assert "2015-1\\xff\\x1b.csv" in text


def test_text_shows_a_bounded_number_per_rule(tree: Path) -> None:
    for k in range(30):
        append_row(ACT, copy_line=2, event_id=f"SYR{100 + k}", fatalities="x", notes=f"SYNTHETIC {k}")(tree)
    result = run(tree)
    lines = problem_lines(result.output)
    assert result.output.startswith("value.type: 30 error(s)\nwarn.duplicate-event: 31 warning(s)\n")
    assert sum(": value.type: " in line for line in lines) == 20
    assert "… 10 more value.type problem(s) not shown" in result.output
    limited = run("--limit", "3", tree)
    assert sum(": value.type: " in line for line in problem_lines(limited.output)) == 3
    none = run("--limit", "0", tree)
    assert not any(": value.type: " in line for line in none.output.splitlines()) and "… 30 more value.type problem(s) not shown" in none.output
    everything = run("--all", tree)
    assert sum(": value.type: " in line for line in problem_lines(everything.output)) == 30
    assert "not shown" not in everything.output
    payload = json.loads(CliRunner().invoke(main, ["validate", "--format", "json", str(tree)]).stdout)
    assert payload["rules"] == {"value.type": 30, "warn.duplicate-event": 31}
    assert len(payload["problems"]) == 61


def test_explain() -> None:
    result = CliRunner().invoke(main, ["validate", "--explain", "file.line-endings"])
    assert result.exit_code == 0 and result.output.startswith("file.line-endings (error): ")
    result = CliRunner().invoke(main, ["validate", "--explain", "line-endings"])
    assert result.exit_code == 2 and "file.line-endings" in result.output
    result = CliRunner().invoke(main, ["validate", "--explain", "\x1b[2J"])
    assert result.exit_code == 2 and "\x1b" not in result.output


def test_naming_a_broken_link_reports_it(tree: Path) -> None:
    link = tree / "events" / "SYR" / "2015-11.csv"
    link.unlink()
    link.symlink_to("nowhere.csv")
    result = run(link)
    assert result.exit_code == 1
    assert problem_lines(result.output) == [
        "datasets/events/SYR/2015-11.csv: -: file.not-regular: expected a regular file, found a broken symbolic link"]
