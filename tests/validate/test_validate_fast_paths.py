"""The fast paths of validation give exactly what the plain ways of computing the same thing give.

Why: issue 12 made validation faster by rewriting a few hot spots (a regex reordered so the engine can skip
to digits, bulk reads of the curated files). Each rewrite promises the same answer as the obvious code it
replaced; these tests hold it to that on adversarial input (Unicode digits and letters, separators at
every place, leading zeros).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openconflict.validate.fatalities import STATED

#: The obvious spelling of the rule: digits not preceded by a word character, '.' or ',' and not followed
#: by a word character or by '.'/',' and a digit.
PLAIN_STATED = re.compile(r"(?<![\w.,])[0-9]+(?![\w]|[.,][0-9])")

NOTE_ALPHABET = st.sampled_from(list("0123456789.,; :-_ax\n()\u0663\u00e9\u4e00\u2460\u00b2\U0001d7d8"))


@settings(max_examples=400, deadline=None, derandomize=True)
@given(st.text(alphabet=NOTE_ALPHABET, max_size=40) | st.text(max_size=40))
def test_stated_figures_match_the_plain_pattern(note: str) -> None:
    assert STATED.findall(note) == PLAIN_STATED.findall(note)


def test_stated_figures_examples() -> None:
    note = "12 killed, 1.5 km away; 3,400 fled; 007 held; 4a; _5; x6; (8) and 9. End 10,"
    assert STATED.findall(note) == PLAIN_STATED.findall(note) == ["12", "007", "8", "9", "10"]


NUMBER_ALPHABET = st.sampled_from(list("0123456789-+ .eé\u0663\uff11\x00"))


@settings(max_examples=400, deadline=None, derandomize=True)
@given(st.lists(st.text(alphabet=NUMBER_ALPHABET, max_size=22) | st.text(max_size=6), max_size=30),
       st.sampled_from([(18, True), (10, False), (1, True)]))
def test_int_text_matches_the_regex(cells: list[str], shape: tuple[int, bool]) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc

    from openconflict.validate.kernels import int_text

    digits, signed = shape
    arr = pa.chunked_array([pa.array(cells[: len(cells) // 2], pa.string()), pa.array(cells[len(cells) // 2:], pa.string())])
    pattern = rf"\A{'-?' if signed else ''}[0-9]{{1,{digits}}}\z"
    assert pc.fill_null(int_text(arr, digits, signed), False).to_pylist() == \
        pc.match_substring_regex(arr, pattern).to_pylist()


def test_int_text_examples() -> None:
    import pyarrow as pa

    from openconflict.validate.kernels import int_text

    cells = ["", "0", "-0", "-", "--1", "+1", " 1", "1 ", "1e3", "\u0663", "9" * 18, "9" * 19, "-" + "9" * 18]
    assert int_text(pa.array(cells)).to_pylist() == [False, True, True, False, False, False, False, False, False,
                                                     False, True, False, True]
    assert int_text(pa.array(cells), 10, signed=False).to_pylist()[:3] == [False, True, False]


# -- the bulk reader: one buffer parsed in place gives what reading each file on its own gives ----------

def _reference(paths: list, root: Any, columns: list[str]) -> tuple[set[tuple[Any, ...]], list[Any]]:
    """Rows (file, line, cells) and problems of reading each file on its own (the pre-issue-12 way)."""
    from openconflict.curated.layout import display
    from openconflict.curated.parse import tolerant_parse, try_arrow
    from openconflict.curated.text import load

    rows: set[tuple[Any, ...]] = set()
    problems: list[Any] = []
    later: list[Any] = []
    for path in paths:
        shown = display(path, root)
        ft, found = load(path, shown, columns)
        problems += found
        if ft is None or ft.header is None or not ft.body:
            continue
        table = try_arrow(ft.body, ft.body.count(b"\n"), columns) if ft.header == columns else None
        if table is not None:
            rows |= {(shown, k + 2, *r.values()) for k, r in enumerate(table.to_pylist())}
            continue
        records, starts, more = tolerant_parse(ft.body, shown, ft.header, columns)
        later += more
        rows |= {(shown, line, *rec) for rec, line in zip(records, starts, strict=True)}
    return rows, problems + later


MONTHS: dict[str, bytes] = {
    "2015-12.csv": b"plain",
    "2016-01.csv": "utf8 \u00e9 \u0633".encode(),
    "2016-02.csv": b"crlf",
    "2016-03.csv": b"no final newline",
    "2016-04.csv": b"header only",
    "2016-05.csv": b"bom",
    "2016-06.csv": b"swapped",
    "2016-07.csv": b"mac",
}


REWRITTEN = {"2016-02.csv", "2016-07.csv"}  # CRLF and CR line breaks: the text is rewritten


@pytest.mark.parametrize(("rewritten", "blank_line"), [(False, False), (True, False), (True, True)],
                         ids=["in place", "joined copy", "file by file"])
def test_bulk_reader_matches_reading_each_file(tree: Path, rewritten: bool, blank_line: bool,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from validate_fixtures import COLUMNS, EV10

    import openconflict.curated as curated
    from openconflict.curated import read_table
    from openconflict.curated.layout import list_files

    columns = COLUMNS["events"]
    source = (tree.parent / EV10).read_bytes()
    header, first, *_ = source.split(b"\n")
    for name, kind in MONTHS.items():
        if name in REWRITTEN and not rewritten:
            continue
        row = first.replace(b"SYNTHETIC TEST ROW 1", b"SYNTHETIC TEST ROW " + kind)
        data = header + b"\n" + row + b"\n" + row + b"\n"
        if kind == b"crlf":
            data = data.replace(b"\n", b"\r\n")
        elif kind == b"mac":
            data = data.replace(b"\n", b"\r")
        elif kind == b"no final newline":
            data = data.rstrip(b"\n")
        elif kind == b"header only":
            data = header + b"\n"
        elif kind == b"bom":
            data = b"\xef\xbb\xbf" + data
        elif kind == b"swapped":
            cells = header.split(b",")
            cells[1], cells[2] = cells[2], cells[1]
            data = b",".join(cells) + b"\n" + row + b"\n"
        (tree / "events" / "SYR" / name).write_bytes(data)
    if blank_line:
        (tree / "events" / "SYR" / "2016-08.csv").write_bytes(header + b"\n" + first + b"\n\n" + first + b"\n")
    paths = list_files(tree)[0]["events"]
    inputs: list[type] = []
    real_try_arrow = curated.try_arrow

    def spy(body: Any, rows: int, cols: list[str]) -> Any:
        inputs.append(type(body))
        return real_try_arrow(body, rows, cols)

    monkeypatch.setattr(curated, "try_arrow", spy)
    table, problems = read_table("events", paths, tree, columns)
    assert inputs[0] is (bytes if rewritten else bytearray)  # the joined copy, or the buffer itself
    assert len(inputs) == (1 if not blank_line else 1 + 9)  # once; or again for each file with the header
    got = {(table.files[f], line, *cells) for f, line, *cells in
           zip(*(table.table.column(c).to_pylist() for c in ["_file", "_line", *columns]), strict=True)}
    want_rows, want_problems = _reference(paths, tree, columns)
    assert got == want_rows
    assert table.table.num_rows == len(want_rows)
    assert problems == want_problems
    assert {p.rule for p in problems} >= ({"file.line-endings", "file.header"} if rewritten else {"file.header"})
    assert len({f for f, *_ in got}) == 7 + 2 * rewritten + blank_line  # every file with rows is read


# -- kernels computed once per distinct value give what computing them on every cell gives ---------------

@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(st.sampled_from(["", "A", "SYR-a", "SYR-a ", "syr-b", "x; y", "x;y", "\u00e9", "Battles", "SYR-\u0663"]),
                min_size=1, max_size=60),
       st.integers(min_value=1, max_value=30))
def test_per_value_matches_every_cell(cells: list[str], repeat: int) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc

    from openconflict.validate.kernels import dictionary_codes, matches, per_value

    many = cells * repeat  # few distinct values among many cells: the shared path
    arr = pa.chunked_array([pa.array(many[: len(many) // 3], pa.string()), pa.array(many[len(many) // 3:], pa.string())])
    kernels = [lambda v: matches(v, "^[A-Z]{3}-[a-z0-9-]+$"),
               lambda v: pc.is_in(v, value_set=pa.array(["A", "Battles", ""])),
               lambda v: pc.match_substring_regex(v, r";([^ ]|$)|^\s|\s$|;  |\s;|^;"),
               lambda v: pc.count_substring(pc.binary_join_element_wise("; ", v, ";", ""), pattern="; x")]
    codes = dictionary_codes(arr)
    for kernel in kernels:
        assert per_value(kernel, arr, codes).to_pylist() == kernel(arr).to_pylist()


# -- rule groups on threads: the same report, in the same order, as one after another -------------------

def test_threads_give_the_report_of_one_thread(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from validate_fixtures import TODAY, cell, chain

    import openconflict.validate.run as run
    from openconflict.validate import validate

    chain(cell("events/SYR/2015-10.csv", 2, "fatalities", "many"), cell("events/SYR/2015-10.csv", 3, "actor1", "Nobody"),
          cell("events/SYR/2015-11.csv", 2, "event_date", "2015-02-30"), cell("sources.csv", 2, "url", "ftp://x"),
          cell("locations/SYR.csv", 2, "latitude", "95"))(tree)
    outputs = []
    for workers in (1, 4):
        monkeypatch.setattr(run, "WORKERS", workers)
        monkeypatch.setattr(run.os, "cpu_count", lambda: 4)
        report, _ = validate([tree], today=TODAY)
        outputs.append((report.to_json(), report.to_text(None)))
    assert outputs[0] == outputs[1]
    assert '"errors": 0' not in outputs[0][0]
