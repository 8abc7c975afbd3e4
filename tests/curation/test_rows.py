"""Appending a row keeps every existing byte and the file's own style (line endings, quoting, BOM)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from openconflict.curation.rows import append_row, detect_style
from openconflict.errors import CurationError

COLS = ["a", "b", "c"]
ROW = {"a": "x", "b": "has, comma", "c": 'quote " inside'}


def parsed(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))


@pytest.mark.parametrize(("original", "newline", "quote_all"), [
    (b"a,b,c\n1,2,3\n", "\n", False),
    (b"a,b,c\r\n1,2,3\r\n", "\r\n", False),
    (b'"a","b","c"\r\n"1","2","3"\r\n', "\r\n", True),
    (b'"a","b","c"\n"1","2","3"\n', "\n", True),
    (b"\xef\xbb\xbfa,b,c\r\n1,2,3\r\n", "\r\n", False),
    (b"a,b,c\r1,2,3\r", "\r", False),
])
def test_the_new_row_follows_the_file_and_old_bytes_stay(tmp_path: Path, original: bytes, newline: str,
                                                         quote_all: bool) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(original)
    assert detect_style(original).newline == newline and detect_style(original).quote_all == quote_all
    done = append_row(path, COLS, ROW)
    data = path.read_bytes()
    assert data.startswith(original)
    added = data[len(original):].decode("utf-8")
    assert added.endswith(newline) and added.count(newline) == 1
    if newline != "\n":
        assert "\n" not in added.replace(newline, "")
    assert added.startswith('"x",') == quote_all
    assert parsed(path)[-1] == ["x", "has, comma", 'quote " inside']
    assert done.line == 3 and not done.created


def test_a_crlf_file_without_final_newline_gets_one_crlf_first(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(b"a,b,c\r\n1,2,3")
    done = append_row(path, COLS, ROW)
    assert path.read_bytes().startswith(b"a,b,c\r\n1,2,3\r\nx,")
    assert path.read_bytes().endswith(b"\r\n") and b"\n" not in path.read_bytes().replace(b"\r\n", b"")
    assert done.line == 3


def test_the_line_of_a_row_after_a_multiline_cell_is_physical(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(b'a,b,c\n1,"two\nlines",3\n')
    assert append_row(path, COLS, ROW).line == 4


def test_the_file_own_column_order_is_used(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(b"c,a,b\n")
    append_row(path, COLS, {"a": "1", "b": "2", "c": "3"})
    assert parsed(path)[-1] == ["3", "1", "2"]


def test_a_missing_or_empty_file_is_created_with_the_header(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "new.csv"
    done = append_row(path, COLS, {"a": "1"})
    assert done.created and done.line == 2 and path.read_bytes() == b"a,b,c\n1,,\n"
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"\xef\xbb\xbf")
    append_row(empty, COLS, {"a": "1"})
    assert empty.read_bytes() == b"\xef\xbb\xbfa,b,c\n1,,\n"


def test_a_value_for_an_unknown_column_is_refused_and_nothing_written(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(b"a,b,c\n")
    with pytest.raises(CurationError, match="no column zz"):
        append_row(path, COLS, {"a": "1", "zz": "lost"})
    assert path.read_bytes() == b"a,b,c\n"


def test_an_unwritable_place_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "events"
    blocker.write_text("a file where a folder belongs")
    with pytest.raises(CurationError, match="cannot write"):
        append_row(blocker / "SYR" / "2016-01.csv", COLS, {"a": "1"})
    assert blocker.read_text() == "a file where a folder belongs"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["events"]  # no temporary file left


def test_odd_bytes_and_formula_like_values_are_written_as_given(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(b"a,b,c\n")
    append_row(path, COLS, {"a": "=1+1", "b": "tab\there", "c": "Ḥalab ‘quoted’"})
    assert parsed(path)[-1] == ["=1+1", "tab\there", "Ḥalab ‘quoted’"]


@pytest.mark.parametrize("newline", [b"\n", b"\r\n"])
def test_a_lone_carriage_return_in_a_value_is_quoted_not_a_row_break(tmp_path: Path, newline: bytes) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(b"a,b,c" + newline)
    append_row(path, COLS, {"a": "one\rtwo", "b": "x\ny"})
    assert parsed(path) == [COLS, ["one\rtwo", "x\ny", ""]]


APPEND_FOREVER = """
import sys
from pathlib import Path
from openconflict.curation.rows import append_row
path = Path(sys.argv[1])
n = 0
while True:
    n += 1
    append_row(path, ["a", "b", "c"], {"a": str(n), "b": "SYNTHETIC " * 50, "c": "end"})
    print(n, flush=True)
"""


def test_a_killed_append_leaves_whole_rows_only(tmp_path: Path) -> None:
    import os
    import random
    import signal
    import subprocess
    import sys
    import time

    repo = Path(__file__).resolve().parents[2]
    path = tmp_path / "t.csv"
    original = b"a,b,c\r\n0,x,end\r\n"
    path.write_bytes(original)
    rng = random.Random(15)
    for _ in range(5):
        proc = subprocess.Popen([sys.executable, "-c", APPEND_FOREVER, str(path)], stdout=subprocess.PIPE,
                                env={"PYTHONPATH": str(repo / "src"), "PATH": "/usr/bin:/bin"})
        time.sleep(rng.uniform(0.3, 0.8))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        data = path.read_bytes()
        assert data.startswith(original) and data.endswith(b"\r\n")
        back = parsed(path)
        assert all(len(r) == 3 and r[2] == "end" for r in back[1:])
    assert len(parsed(path)) > 2  # the appends really ran
