"""The hostile corpus: inputs the validator used to pass in silence, misnumber or drown in noise.

Each case names every problem (file, line, rule, severity) that must be reported, no more and no fewer,
like ``test_validate_corpus.py``; each failed on the validator before issue 10. File-system shapes
(folders, links, pipes, stray files), names that only look right, control characters, a huge cell next
to a broken row, every line-ending convention, repeated header columns, stray byte-order marks and
unreadable registries.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from test_validate_corpus import ACT, ACT11, Case, E, W, _found, _run
from validate_fixtures import (
    ACTORS,
    EV10,
    EV11,
    LOC,
    SOURCES,
    add_column,
    cell,
    chain,
    remove,
    replace_bytes,
    write_bytes,
)

EV = "datasets/events/SYR"


def make_dir(rel: str) -> object:
    def run(root: Path) -> None:
        remove(rel)(root)
        (root / rel).mkdir()

    return run


def make_link(rel: str, target: str) -> object:
    """Replace ``rel`` by a symbolic link to ``target`` (relative to the link's folder)."""
    def run(root: Path) -> None:
        path = root / rel
        if path.exists() or path.is_symlink():
            remove(rel)(root)
        path.symlink_to(target)

    return run


def make_fifo(rel: str) -> object:
    def run(root: Path) -> None:
        remove(rel)(root)
        os.mkfifo(root / rel)

    return run


def endings(rel: str, kind: str) -> object:
    """Rewrite a file's line breaks: 'crlf', 'cr' (old Mac), 'crcrlf' (doubled CR)."""
    def run(root: Path) -> None:
        data = (root / rel).read_bytes()
        new = {"crlf": b"\r\n", "cr": b"\r", "crcrlf": b"\r\r\n"}[kind]
        (root / rel).write_bytes(data.replace(b"\n", new))

    return run


def mixed_endings(rel: str, line: int) -> object:
    """End physical line ``line`` with a carriage return alone, the others with LF."""
    def run(root: Path) -> None:
        lines = (root / rel).read_bytes().split(b"\n")
        lines[line - 1] += b"\r"
        (root / rel).write_bytes(b"\n".join(lines[: line - 1]) + b"\n" + lines[line - 1] + b"\n".join(lines[line:]))

    return run


def huge_cell_then_broken_row(root: Path) -> None:
    chain(cell(ACT, 2, "notes", "SYNTHETIC " + "x" * 200_000), cell(ACT, 5, "fatalities", "many"))(root)
    replace_bytes(ACT, b"SYNTHETIC TEST ROW 2", b'"SYNTHETIC TEST ROW 2')(root)


HOSTILE: list[Case] = [
    # --- file-system shapes -------------------------------------------------------------------------------
    Case("month file is a folder", make_dir(ACT11), [E(EV11, 0, "file.not-regular")]),
    Case("month file is a broken link", make_link(ACT11, "missing.csv"), [E(EV11, 0, "file.not-regular")]),
    Case("month file is a link loop", make_link(ACT11, "2015-11.csv"), [E(EV11, 0, "file.not-regular")]),
    Case("month file is a named pipe", make_fifo(ACT11), [E(EV11, 0, "file.not-regular")]),
    Case("month file linked to a real file is read", chain(
        lambda r: (r / ACT11).rename(r.parent / "elsewhere.csv"), make_link(ACT11, "../../../elsewhere.csv"))),
    Case("stray file in the root", write_bytes("notes.txt", b"remember"),
         [E("datasets/notes.txt", 0, "file.unexpected")]),
    Case("file directly in events", write_bytes("events/2015-10.csv", b"x"),
         [E("datasets/events/2015-10.csv", 0, "file.unexpected")]),
    Case("folder inside a country folder", lambda r: (r / "events/SYR/old").mkdir(),
         [E(f"{EV}/old", 0, "file.unexpected")]),
    Case("blank lines between rows", replace_bytes(ACT, b"\nSYR3,", b"\n\n\nSYR3,"), []),
    Case("hidden file", write_bytes("events/SYR/.DS_Store", b"\x00\x01"), [W(f"{EV}/.DS_Store", 0, "warn.hidden-file")]),
    # The curator tools' lock file at the top of the tree is theirs, not a stray; elsewhere it is one.
    Case("curator tool lock file", write_bytes(".curation.lock", b""), []),
    Case("lock file name in a subfolder", write_bytes("events/.curation.lock", b""),
         [W("datasets/events/.curation.lock", 0, "warn.hidden-file")]),
    Case("events folder is a file", chain(remove("events"), write_bytes("events", b"x")),
         [E("datasets/events", 0, "file.not-regular")]),
    Case("actors registry is a folder: no knock-on reference errors", make_dir("actors.csv"),
         [E(ACTORS, 0, "file.not-regular")]),
    Case("sources registry missing: no knock-on reference errors", remove("sources.csv"),
         [E(SOURCES, 0, "file.missing")]),
    Case("location file is a broken link: no knock-on reference errors", make_link("locations/SYR.csv", "gone.csv"),
         [E(LOC, 0, "file.not-regular")]),
    Case("actors registry without its actor column: one error", chain(
        lambda r: (r / "actors.csv").write_text((r / "actors.csv").read_text().replace("actor,actor_type", "name,actor_type", 1))),
         [E(ACTORS, 1, "file.header")]),
    # --- names and ids that only look right ---------------------------------------------------------------
    Case("event file named with Arabic-Indic digits", lambda r: (r / ACT11).rename(r / "events/SYR/\u0662\u0660\u0661\u0665-\u0661\u0661.csv"),
         [E(f"{EV}/\u0662\u0660\u0661\u0665-\u0661\u0661.csv", 0, "file.name")]),
    Case("event file name with a trailing newline", lambda r: (r / ACT11).rename(r / "events/SYR/2015-11.csv\n"),
         [E(f"{EV}/2015-11.csv\n", 0, "file.name")]),
    Case("country folder with a trailing newline", lambda r: (r / "events/SYR").rename(r / "events/SYR\n"),
         [E("datasets/events/SYR\n", 0, "file.name")]),
    Case("event id too long for a 64-bit integer", cell(ACT, 2, "event_id", "SYR10000000000000000000"),
         [E(EV10, 2, "id.range")]),
    # --- control characters and early timestamps -----------------------------------------------------------
    Case("NUL in notes", cell(ACT, 3, "notes", "SYNTHETIC\x00 TEST"), [E(EV10, 3, "value.control")]),
    Case("terminal escape in a description", cell("actors.csv", 2, "description", "SYNTHETIC \x1b[2J\x1b]0;x\x07"),
         [E(ACTORS, 2, "value.control")]),
    Case("C1 control in a title", cell("sources.csv", 2, "title", "SYNTHETIC \u009b31m"), [E(SOURCES, 2, "value.control")]),
    Case("tab in notes tolerated", cell(ACT, 3, "notes", "SYNTHETIC\tTEST ROW")),
    Case("updated before 1900", cell(ACT, 2, "updated", "1899-12-31T23:59:59Z"), [E(EV10, 2, "value.datetime")]),
    # --- one huge cell must not hide the rows after it -------------------------------------------------------
    Case("200 KB cell, an unclosed quote and a bad value", huge_cell_then_broken_row,
         [E(EV10, 3, "csv.malformed"), E(EV10, 5, "value.type")]),
    Case("quote opened on line 3, a stray quote on line 5", chain(
        cell(ACT, 6, "fatalities", "x"), replace_bytes(ACT, b"SYNTHETIC TEST ROW 2", b'"SYNTHETIC TEST ROW 2'),
        replace_bytes(ACT, b"SYNTHETIC TEST ROW 4", b'SYN"THETIC TEST ROW 4')),
         [E(EV10, 3, "csv.malformed"), E(EV10, 5, "csv.malformed"), E(EV10, 6, "value.type")]),
    # --- line endings: the line an editor shows ----------------------------------------------------------------
    Case("CRLF, error on line 4", chain(cell(ACT, 4, "fatalities", "x"), endings(ACT, "crlf")),
         [E(EV10, 4, "value.type")]),
    Case("old Mac line endings", chain(cell(ACT, 3, "fatalities", "x"), endings(ACT, "cr")),
         [E(EV10, 1, "file.line-endings"), E(EV10, 3, "value.type")]),
    Case("mixed line endings", chain(cell(ACT, 5, "fatalities", "x"), mixed_endings(ACT, 3)),
         [E(EV10, 3, "file.line-endings"), E(EV10, 5, "value.type")]),
    Case("doubled carriage returns", chain(cell(ACT, 2, "fatalities", "x"), endings(ACT, "crcrlf")),
         [E(EV10, 1, "file.line-endings"), E(EV10, 3, "value.type")]),
    Case("quoted CRLF inside a cell of a CRLF file", chain(
        cell(ACT, 3, "notes", "SYNTHETIC\nTWO LINES"), cell(ACT, 5, "fatalities", "x"), endings(ACT, "crlf")),
         [E(EV10, 6, "value.type")]),
    # --- header and byte-order marks ------------------------------------------------------------------------------
    Case("repeated header column", add_column(ACT, "notes", "SYNTHETIC"), [E(EV10, 1, "file.duplicate-column")]),
    Case("byte-order mark inside the file", replace_bytes(ACT, b"\nSYR2,", b"\n\xef\xbb\xbfSYR2,"),
         [E(EV10, 3, "file.bom")]),
    Case("two byte-order marks at the start", lambda r: (r / ACT).write_bytes(b"\xef\xbb\xbf" * 2 + (r / ACT).read_bytes()),
         [E(EV10, 1, "file.bom")]),
]


@pytest.mark.parametrize("case", HOSTILE, ids=[c.name for c in HOSTILE])
def test_hostile_input(case: Case, tree: Path) -> None:
    case.mutate(tree)
    report = _run(tree)
    assert sorted(_found(report)) == sorted(case.expected), report.to_text()


def test_unreadable_registry_is_one_error(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A registry the OS refuses to read: one error naming the cause, no reference errors after it."""
    target = (tree / "actors.csv").resolve()
    real = Path.open

    def open_(self: Path, *args: object, **kwargs: object) -> object:
        if self.resolve() == target:
            raise PermissionError(13, "Permission denied", str(self))
        return real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "open", open_)
    report = _run(tree)
    assert _found(report) == {E(ACTORS, 0, "file.unreadable")}
    assert "Permission denied" in report.problems[0].message


@pytest.mark.parametrize(("column", "value", "rule", "suggestion"), [
    ("sub_event_type", "Armed Clash", "value.enum", "Armed clash"),
    ("actor1", "Syrian Army (SYNTHETC)", "ref.actor", "Syrian Army (SYNTHETIC)"),
    ("location_id", "SYR-alpah", "ref.location", "SYR-alpha"),
    ("source_ids", "src-on", "ref.source", "src-one"),
])
def test_did_you_mean(tree: Path, column: str, value: str, rule: str, suggestion: str) -> None:
    cell(ACT, 2, column, value)(tree)
    (problem,) = [p for p in _run(tree).problems if p.rule == rule]
    assert problem.message.endswith(f"did you mean '{suggestion}'?"), problem.message


def test_country_code_suggestion(tree: Path) -> None:
    cell("actors.csv", 2, "country_iso3", "SYRR")(tree)
    messages = [p.message for p in _run(tree).problems if p.rule == "value.enum"]
    assert messages == ["not an ISO 3166-1 alpha-3 code; did you mean 'SYR'?"]


def test_one_repeated_id_names_the_others_briefly(tree: Path) -> None:
    from validate_fixtures import append_row

    for k in range(40):
        append_row(ACT, copy_line=2, notes=f"SYNTHETIC COPY {k}", event_date="2015-10-14")(tree)
    dups = [p for p in _run(tree).problems if p.rule == "key.duplicate"]
    assert len(dups) == 41
    first = next(p for p in dups if p.line == 2)
    assert first.message == (f"the value must be unique; also at {EV10}:7, {EV10}:8, {EV10}:9 and 37 more")
    last = next(p for p in dups if p.line == 46)
    assert last.message.startswith(f"the value must be unique; also at {EV10}:2, {EV10}:7, {EV10}:8 and")
