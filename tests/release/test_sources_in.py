"""The sources registry read, checked and stored a chunk at a time is the registry read whole (issue 12).

A build in parts keeps ``sources.csv`` in an Arrow file on disk and only its ids in memory
(:mod:`openconflict.release.sources_in`). These tests cut SYNTHETIC registries into chunks and store
batches of every size and compare each row, line number and lookup with the whole reader's; they write the
files an editor can produce (CRLF, a byte-order mark, UTF-8 text, no final line break) and check they are
taken as the whole reader takes them; and every file the chunks must not judge alone (an id repeated in
another chunk, a broken rule, a blank line, a line break inside a quoted cell, bad bytes, a lone carriage
return, a wrong header, an empty file) falls back to the whole plan (``Whole``) instead of passing.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.synth import generate  # noqa: E402

from openconflict.curated import read_curated  # noqa: E402
from openconflict.release import sources_in  # noqa: E402
from openconflict.release.parts import Whole  # noqa: E402
from openconflict.release.sources_in import SourceStore  # noqa: E402
from openconflict.schema import load_schema  # noqa: E402

TODAY = dt.date(2026, 11, 30)


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sources-in") / "datasets"
    generate(root, 700, seed=11, n_countries=3)
    return root


def _store(root: Path, scratch: Path, chunk: int, rows: int, monkeypatch: pytest.MonkeyPatch) -> SourceStore:
    monkeypatch.setattr(sources_in, "CHUNK_BYTES", chunk)
    monkeypatch.setattr(sources_in, "STORE_ROWS", rows)
    scratch.mkdir(exist_ok=True)
    return SourceStore.read([root / "sources.csv"], [], root, load_schema(), TODAY, scratch)


def _whole(root: Path) -> pa.Table:
    return read_curated(root, load_schema()).tables["sources"].table


@pytest.mark.parametrize(("chunk", "rows"), [(1, 1), (300, 7), (4096, 97), (1 << 26, 1 << 16)])
def test_the_store_holds_every_row_of_the_whole_registry(tree: Path, tmp_path: Path, chunk: int, rows: int,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    store = _store(tree, tmp_path, chunk, rows, monkeypatch)
    whole = _whole(tree)
    columns = store.columns
    assert store.num_rows == whole.num_rows > 100
    assert store.ids.equals(whole.column("source_id").combine_chunks())
    everything = store.take(np.arange(whole.num_rows))
    assert everything.equals(whole.select(columns).combine_chunks())
    rng = np.random.default_rng(4)
    picked = rng.permutation(whole.num_rows)[:150]  # any order, each batch read once
    assert store.take(picked).equals(whole.select(columns).take(pa.array(picked)))
    assert store.take(np.array([], np.int64)).num_rows == 0


def test_a_part_finds_the_rows_and_lines_the_whole_registry_gives(tree: Path, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    store = _store(tree, tmp_path, 1000, 13, monkeypatch)
    whole = _whole(tree)
    cited = whole.column("source_id").take(pa.array([3, 50, 51, 400, whole.num_rows - 1]))
    events = pa.table({"source_ids": pa.array([f"{cited[0]}; {cited[3]}", str(cited[1]),
                                               f"{cited[2]}; {cited[4]}; not-a-source"])})
    part, mask = store.cited_by(events)
    assert np.flatnonzero(mask).tolist() == [3, 50, 51, 400, whole.num_rows - 1]
    assert part.table.equals(whole.take(pa.array(np.flatnonzero(mask))).combine_chunks())  # lines and files too
    assert part.files == read_curated(tree, load_schema()).tables["sources"].files and not part.suspect_controls


def _rewrite(root: Path, edit: object) -> Path:
    path = root / "sources.csv"
    path.write_bytes(edit(path.read_bytes()))  # type: ignore[operator]
    return path


@pytest.mark.parametrize("name", ["crlf", "bom", "utf8", "no-final-newline"])
def test_files_an_editor_writes_are_taken_as_the_whole_reader_takes_them(tree: Path, tmp_path: Path, name: str,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    root = tmp_path / "datasets"
    shutil.copytree(tree, root)
    edits = {"crlf": lambda b: b.replace(b"\n", b"\r\n"), "bom": lambda b: b"\xef\xbb\xbf" + b,
             "utf8": lambda b: b.replace(b"SYNTHETIC report: ", "SYNTHETIC rapport: \u00e9t\u00e9 ".encode()),
             "no-final-newline": lambda b: b.rstrip(b"\n")}
    _rewrite(root, edits[name])
    whole = _whole(root)
    for chunk in (500, 1 << 26):
        store = _store(root, tmp_path / f"s{chunk}", chunk, 41, monkeypatch)
        assert store.take(np.arange(whole.num_rows)).equals(whole.select(store.columns).combine_chunks())


def _second_row_repeated_last(data: bytes) -> bytes:
    lines = data.split(b"\n")
    return data + lines[1] + b"\n"


BREAKS = {
    "id repeated in another chunk": _second_row_repeated_last,
    "a broken rule": lambda b: b.replace(b",2016-", b",2016/", 1),
    "a blank line": lambda b: b.replace(b"\n", b"\n\n", 3),
    "a line break in a quoted cell": lambda b: b.replace(b"SYNTHETIC report: ", b'"SYNTHETIC\nreport: ', 1),
    "bytes that are not UTF-8": lambda b: b.replace(b"SYNTHETIC report: ", b"SYNTHETIC \xff report: ", 1),
    "a lone carriage return": lambda b: b.replace(b"\n", b"\r", 1).replace(b"\n", b"\r\n"),
    "a wrong header": lambda b: b.replace(b"source_id,", b"source,", 1),
    "an empty file": lambda b: b"",
    "only a header": lambda b: b.split(b"\n", 1)[0] + b"\n",
}


@pytest.mark.parametrize("name", sorted(BREAKS))
def test_what_a_chunk_must_not_judge_alone_falls_back_to_the_whole_plan(tree: Path, tmp_path: Path, name: str,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    root = tmp_path / "datasets"
    shutil.copytree(tree, root)
    _rewrite(root, BREAKS[name])
    if name == "only a header":  # an empty registry is no refusal: the store is empty, like the whole reader's
        store = _store(root, tmp_path / "s", 300, 7, monkeypatch)
        assert store.num_rows == _whole(root).num_rows == 0
        return
    with pytest.raises(Whole):
        _store(root, tmp_path / "s", 300, 7, monkeypatch)
