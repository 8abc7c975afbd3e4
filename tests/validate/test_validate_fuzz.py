"""Fuzz: whatever bytes sit in the curated files, read + validate returns a report, never an exception.

Bounded on purpose (a few hundred examples in total, well under 30 s): mutated cells of valid rows, raw
byte edits of valid files, and random whole files. Set OPENCONFLICT_FUZZ_EXAMPLES for a longer run.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from validate_fixtures import TODAY, tree_rows

from openconflict.problems import Report
from openconflict.validate import validate

FILES = sorted(tree_rows())
#: OPENCONFLICT_FUZZ_EXAMPLES=2000 explores further (with a random seed); the default run is fixed and quick.
EXAMPLES = int(os.environ.get("OPENCONFLICT_FUZZ_EXAMPLES", "0")) or None
FUZZ = settings(max_examples=EXAMPLES or 80, deadline=None, derandomize=EXAMPLES is None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# Text that stresses CSV and the rules: separators, quotes, line breaks, formula starts, non-ASCII.
tricky_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.sampled_from(list(',;"\n\r\t =+-@0123456789.:-TZSYR \x00\u00e9\ufeff\u202e')), max_size=30),
    st.sampled_from(["", " ", "-1", "1e309", "9" * 30, "2015-02-30", "0025-01-01", "9999-12-31", "NaN",
                     "Civilians (Syria)", "SYR1", "SYR7", "src-one", "SYR-alpha", "Battles", "Attack",
                     "Civilian targeting", '"', '""', "a; b", "=1+1"]),
)


def _check(report: Report) -> None:
    assert isinstance(report, Report)
    for p in report.problems:
        assert isinstance(p.file, str) and p.file
        assert isinstance(p.line, int) and p.line >= 0
        assert p.rule and p.severity in ("error", "warning")
        p.format()
    json.loads(report.to_json())
    report.to_text()


def _run_with(root: Path, rel: str, data: bytes) -> None:
    path = root / rel
    original = path.read_bytes()
    path.write_bytes(data)
    try:
        report, _ = validate([root], today=TODAY)
        _check(report)
    finally:
        path.write_bytes(original)


@FUZZ
@given(data=st.data())
def test_mutated_cells(pristine_tree: Path, data: st.DataObject) -> None:
    rel = data.draw(st.sampled_from(FILES), label="file")
    text = (pristine_tree / rel).read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    for _ in range(data.draw(st.integers(1, 4), label="edits")):
        r = data.draw(st.integers(0, len(rows) - 1), label="row")  # row 0 is the header
        c = data.draw(st.integers(0, len(rows[r]) - 1), label="cell")
        rows[r][c] = data.draw(tricky_text, label="value")
    if data.draw(st.booleans(), label="quote properly"):
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(rows)
        out = buf.getvalue().encode("utf-8", errors="surrogatepass")
    else:  # naive join: stray quotes and separators break the CSV structure
        out = "\n".join(",".join(row) for row in rows).encode("utf-8", errors="surrogatepass")
    _run_with(pristine_tree, rel, out)


@FUZZ
@given(data=st.data())
def test_mutated_bytes(pristine_tree: Path, data: st.DataObject) -> None:
    rel = data.draw(st.sampled_from(FILES), label="file")
    raw = bytearray((pristine_tree / rel).read_bytes())
    for _ in range(data.draw(st.integers(1, 6), label="edits")):
        pos = data.draw(st.integers(0, len(raw)), label="position")
        kind = data.draw(st.sampled_from(["insert", "delete", "replace"]), label="kind")
        chunk = data.draw(st.one_of(st.binary(min_size=1, max_size=8),
                                    st.sampled_from([b'"', b",", b"\n", b"\r", b"\x00", b"\xff", b"\xef\xbb\xbf"])),
                          label="bytes")
        if kind == "insert":
            raw[pos:pos] = chunk
        elif kind == "delete":
            del raw[pos:pos + len(chunk)]
        else:
            raw[pos:pos + len(chunk)] = chunk
    _run_with(pristine_tree, rel, bytes(raw))


@FUZZ
@given(rel=st.sampled_from(FILES), blob=st.binary(max_size=600))
def test_random_files(pristine_tree: Path, rel: str, blob: bytes) -> None:
    _run_with(pristine_tree, rel, blob)


@FUZZ
@given(rel=st.sampled_from(FILES), prefix=st.sampled_from([b"", b"\xef\xbb\xbf"]),
       lines=st.lists(st.text(max_size=60), max_size=6))
def test_header_then_random_lines(pristine_tree: Path, rel: str, prefix: bytes, lines: list[str]) -> None:
    header = (pristine_tree / rel).read_bytes().split(b"\n", 1)[0]
    body = "\n".join(lines).encode("utf-8", errors="surrogatepass")
    _run_with(pristine_tree, rel, prefix + header + b"\n" + body)


# --- file-system shapes and line endings -----------------------------------------------------------------

SHAPES = ["dir", "broken-link", "loop", "empty", "fifo", "link-to-other", "hidden-copy", "stray-copy",
          "lf", "crlf", "cr", "mixed", "crcrlf", "bom-inside"]
PLACES = [*FILES, "events", "locations", "events/SYR", "events/SYR/2016-01.csv", "locations/JOR.csv", "extra.csv"]


def _shape(root: Path, rel: str, shape: str, other: str) -> None:
    import shutil

    path = root / rel
    if shape in ("lf", "crlf", "cr", "mixed", "crcrlf", "bom-inside"):
        if not path.is_file():
            return
        data = path.read_bytes().replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        if shape == "mixed":
            data = data.replace(b"\n", b"\r", 2)
        elif shape == "bom-inside":
            data = data.replace(b"\n", b"\n\xef\xbb\xbf", 1)
        elif shape != "lf":
            data = data.replace(b"\n", {"crlf": b"\r\n", "cr": b"\r", "crcrlf": b"\r\r\n"}[shape])
        path.write_bytes(data)
        return
    if shape in ("hidden-copy", "stray-copy"):
        if path.is_file():
            name = ("." if shape == "hidden-copy" else "copy of ") + path.name
            shutil.copyfile(path, path.with_name(name))
        return
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()
    path.parent.mkdir(parents=True, exist_ok=True)
    if shape == "dir":
        path.mkdir()
    elif shape == "broken-link":
        path.symlink_to(path.name + ".missing")
    elif shape == "loop":
        path.symlink_to(path.name)
    elif shape == "empty":
        path.write_bytes(b"")
    elif shape == "fifo":
        os.mkfifo(path)
    elif shape == "link-to-other":
        path.symlink_to(root / other)


@FUZZ
@given(data=st.data())
def test_filesystem_shapes_and_line_endings(pristine_tree: Path, data: st.DataObject) -> None:
    """Whatever sits where a table belongs, the CLI answers 0 or 1, with text and valid JSON."""
    import shutil
    import tempfile

    from click.testing import CliRunner

    from openconflict.cli import main

    work = Path(tempfile.mkdtemp())
    try:
        root = work / "datasets"
        shutil.copytree(pristine_tree, root)
        for _ in range(data.draw(st.integers(1, 3), label="changes")):
            place, shape = data.draw(st.sampled_from(PLACES), label="place"), data.draw(st.sampled_from(SHAPES), label="shape")
            other = data.draw(st.sampled_from(FILES), label="other")
            with contextlib.suppress(OSError):  # the change cannot be made here (a parent is a file): skip it
                _shape(root, place, shape, other)
        text = CliRunner().invoke(main, ["validate", str(root)])
        assert text.exception is None or isinstance(text.exception, SystemExit), text.exception
        assert text.exit_code in (0, 1), text.output
        out = CliRunner().invoke(main, ["validate", "--format", "json", str(root)])
        assert out.exit_code == text.exit_code
        payload = json.loads(out.stdout)
        assert payload["ok"] == (text.exit_code == 0)
        report, _ = validate([root], today=TODAY)
        _check(report)
    finally:
        shutil.rmtree(work, ignore_errors=True)
