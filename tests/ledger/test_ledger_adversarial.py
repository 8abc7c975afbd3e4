"""The ledger parser as an adversary feeds it: every history that is not an honest append-only chain fails.

Each case starts from the committed ledger (real data, read-only) and changes one thing the way an attacker,
a buggy tool or a careless hand edit would.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from openconflict.errors import LedgerError
from openconflict.ledger import (
    FileEntry,
    Ledger,
    append_release,
    canonical,
    check_extends,
    check_folder,
    dumps,
    parse_ledger,
    read_ledger,
    write_extension,
)

REPO = Path(__file__).resolve().parents[2]
COMMITTED = REPO / "build" / "releases" / "registry.json"


def base() -> dict[str, Any]:
    return json.loads(COMMITTED.read_text(encoding="utf-8"))


def rechain(data: dict[str, Any]) -> dict[str, Any]:
    """Recompute every 'previous' so that only the edit under test is wrong (a careful forger)."""
    import hashlib

    prior = None
    for item in data["releases"]:
        item.pop("previous", None)
        if prior is not None:
            item["previous"] = prior
        prior = hashlib.sha256(canonical(item)).hexdigest()
    return data


def edit(fn: Callable[[dict[str, Any]], object], *, forge: bool = False) -> dict[str, Any]:
    data = base()
    fn(data)
    return rechain(data) if forge else data


def _set(path: tuple[Any, ...], value: object) -> Callable[[dict[str, Any]], None]:
    def apply(data: dict[str, Any]) -> None:
        target: Any = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return apply


EV = ("releases", 1, "files", "data/events.csv")
CASES: dict[str, tuple[dict[str, Any], str]] = {
    "rewritten hash breaks the chain": (edit(_set((*EV, "sha256"), "0" * 64)), "chain is broken"),
    "rewritten event count breaks the chain": (edit(_set(("releases", 0, "events"), 3)), "chain is broken"),
    "dropped middle entry": (edit(lambda d: d["releases"].pop(1)), "chain is broken"),
    "reordered entries": (edit(lambda d: d["releases"].reverse()), "must have no 'previous'"),
    "reordered, rechained": (edit(lambda d: d["releases"].reverse(), forge=True), "not a higher version"),
    "first entry with a previous": (edit(_set(("releases", 0, "previous"), "a" * 64)), "must have no 'previous'"),
    "previous not hex": (edit(_set(("releases", 1, "previous"), "A" * 64)), "not a sha256"),
    "duplicate version, rechained": (edit(_set(("releases", 2, "version"), "1.0.0"), forge=True), "not a higher"),
    "non-ASCII digits in a version": (edit(_set(("releases", 0, "version"), "\u0660.1.0"), forge=True),
                                      "not a release version"),
    "full-width digits in a version": (edit(_set(("releases", 0, "version"), "０.1.0"), forge=True),
                                       "not a release version"),
    "trailing newline in a version": (edit(_set(("releases", 2, "version"), "1.0.1\n"), forge=True),
                                      "not a release version"),
    "leading zero in a version": (edit(_set(("releases", 2, "version"), "1.0.01"), forge=True),
                                  "not a release version"),
    "v prefix": (edit(_set(("releases", 2, "version"), "v1.0.1"), forge=True), "not a release version"),
    "pre-release suffix": (edit(_set(("releases", 2, "version"), "1.0.2-rc1"), forge=True), "not a release"),
    "version as a number": (edit(_set(("releases", 0, "version"), 1.0), forge=True), "not a release version"),
    "bool as event count": (edit(_set(("releases", 0, "events"), True), forge=True), "non-negative integer"),
    "bool as bytes": (edit(_set((*EV, "bytes"), False), forge=True), "non-negative integer"),
    "negative bytes": (edit(_set((*EV, "bytes"), -1), forge=True), "non-negative integer"),
    "float bytes": (edit(_set((*EV, "bytes"), 1.5), forge=True), "non-negative integer"),
    "uppercase sha256": (edit(_set((*EV, "sha256"), "A" * 64), forge=True), "64 lowercase hex"),
    "short sha256": (edit(_set((*EV, "sha256"), "a" * 63), forge=True), "64 lowercase hex"),
    "extra key in a file": (edit(_set((*EV, "mode"), 420), forge=True), "exactly 'bytes' and 'sha256'"),
    "extra key in an entry": (edit(_set(("releases", 0, "signed"), True), forge=True), "has keys"),
    "missing files": (edit(lambda d: d["releases"][0].pop("files"), forge=True), "has keys"),
    "empty files": (edit(_set(("releases", 0, "files"), {}), forge=True), "non-empty object"),
    "date not a date": (edit(_set(("releases", 0, "date"), "2026-02-30"), forge=True), "not a calendar date"),
    "date with time": (edit(_set(("releases", 0, "date"), "2026-11-24T00:00"), forge=True), "not YYYY-MM-DD"),
    "wrong format": (edit(_set(("format",), 3)), "unsupported ledger format"),
    "format as string": (edit(_set(("format",), "2")), "unsupported ledger format"),
    "wrong package": (edit(_set(("package",), "other")), "ledger of package"),
    "releases not a list": (edit(_set(("releases",), {})), "must be a list"),
}
for label, path in {"absolute path": "/etc/passwd", "parent escape": "../1.0.0/data/events.csv",
                    "dot segment": "./data/events.csv", "inner parent": "data/../../x", "backslash": "data\\x.csv",
                    "double slash": "data//x.csv", "trailing slash": "data/", "NUL": "data/x\x00.csv",
                    "newline": "data/x\n.csv", "empty": ""}.items():
    CASES[f"unsafe path: {label}"] = (
        edit(lambda d, p=path: d["releases"][0]["files"].__setitem__(p, {"bytes": 1, "sha256": "a" * 64}),
             forge=True),
        "unsafe file path|non-empty string")


@pytest.mark.parametrize("case", sorted(CASES))
def test_forged_or_broken_ledgers_are_refused(case: str) -> None:
    data, message = CASES[case]
    with pytest.raises(LedgerError, match=message):
        parse_ledger(data, "<test>")


def test_the_committed_ledger_parses_and_round_trips() -> None:
    ledger = read_ledger(COMMITTED)
    assert dumps(ledger).encode("utf-8") == COMMITTED.read_bytes()
    assert ledger.head == ledger.entries[-1].digest


@pytest.mark.parametrize("text", ["", "null", "[]", "{", '{"format": 2}', "\ufeff{}"])
def test_garbage_files_are_ledger_errors(tmp_path: Path, text: str) -> None:
    path = tmp_path / "registry.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LedgerError):
        read_ledger(path)


def test_invalid_utf8_is_a_ledger_error(tmp_path: Path) -> None:
    path = tmp_path / "registry.json"
    path.write_bytes(COMMITTED.read_bytes().replace(b"openconflict-events", b"openconflict-\xffvents", 1))
    with pytest.raises(LedgerError, match="cannot read"):
        read_ledger(path)


def test_extends_refuses_rewritten_dropped_and_reordered_history() -> None:
    ours = read_ledger(COMMITTED)
    shorter = Ledger(ours.entries[:2], "<short>")
    check_extends(shorter, ours)  # a prefix is extended
    with pytest.raises(LedgerError, match="drops release 1.0.1"):
        check_extends(ours, shorter)
    forged = parse_ledger(edit(_set((*EV, "bytes"), 1), forge=True), "<forged>")
    with pytest.raises(LedgerError, match=r"rewrites release history at position 2.*1\.0\.0"):
        check_extends(ours, forged)
    reordered_entries = parse_ledger(edit(lambda d: d["releases"].pop(0), forge=True), "<reordered>")
    with pytest.raises(LedgerError, match="position 1"):
        check_extends(ours, reordered_entries)


def test_append_refuses_a_lower_version_and_chains(tmp_path: Path) -> None:
    files = {"a.txt": FileEntry("a.txt", 1, "b" * 64)}
    first = append_release(tmp_path, "1.0.0", "2026-01-01", 1, files)
    with pytest.raises(LedgerError, match="latest published release is 1.0.0"):
        append_release(tmp_path, "0.9.0", "2026-01-01", 1, files)
    with pytest.raises(LedgerError):
        append_release(tmp_path, "1.0.0", "2026-01-01", 1, files)
    second = append_release(tmp_path, "1.1.0", "2026-01-02", 2, files)
    assert second.entries[1].previous == first.head
    assert [p.name for p in tmp_path.iterdir()] == ["registry.json"]  # no temporary file left


def test_write_extension_only_grows(tmp_path: Path) -> None:
    ours = read_ledger(COMMITTED)
    write_extension(tmp_path, Ledger(ours.entries[:2]))
    write_extension(tmp_path, ours)
    assert (tmp_path / "registry.json").read_bytes() == COMMITTED.read_bytes()
    with pytest.raises(LedgerError, match="drops release"):
        write_extension(tmp_path, Ledger(ours.entries[:1]))
    assert (tmp_path / "registry.json").read_bytes() == COMMITTED.read_bytes()


def test_check_folder_names_file_and_both_hashes(tmp_path: Path) -> None:
    folder = tmp_path / "1.0.0"
    folder.mkdir()
    (folder / "a.txt").write_bytes(b"hello")
    from openconflict.ledger import Entry, folder_files

    entry = Entry("1.0.0", "2026-01-01", 0, folder_files(folder), None)
    assert check_folder(folder, entry) == []
    (folder / "a.txt").write_bytes(b"hellO")
    [problem] = check_folder(folder, entry)
    assert problem.startswith("1.0.0/a.txt: sha256 ") and entry.files["a.txt"].sha256 in problem
    (folder / "a.txt").write_bytes(b"hello!")
    [problem] = check_folder(folder, entry)
    assert "6 bytes" in problem and "5 bytes" in problem and entry.files["a.txt"].sha256 in problem
    (folder / "a.txt").unlink()
    (folder / "a.txt").symlink_to(tmp_path / "elsewhere")
    (folder / ".stamp").write_text("x")
    problems = check_folder(folder, entry)
    assert any("is a link" in p for p in problems) and any(".stamp: extra file" in p for p in problems)
    assert any("a.txt: missing" in p for p in problems)
