"""The curated reader puts every file's bytes into one buffer, read in place (no second copy of a large file).

Pinned: the buffer and the (start, end, stop) of each file equal the simple definition (each file's bytes,
then an LF when it lacks one) for empty files, files with and without a final LF, CRLF, unreadable files
among readable ones, and files that grew or shrank between being measured and being read.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from openconflict.curated.bulk import _read_into


def _expected(contents: list[bytes | None]) -> tuple[bytes, list[tuple[int, int, int] | None]]:
    buffer = b""
    where: list[tuple[int, int, int] | None] = []
    for data in contents:
        if data is None:
            where.append(None)
            continue
        start = len(buffer)
        buffer += data
        end = len(buffer)
        if data and not data.endswith(b"\n"):
            buffer += b"\n"
        where.append((start, end, len(buffer)))
    return buffer, where


def _check(paths: list[Path], contents: list[bytes | None]) -> None:
    buffer, where = _read_into(paths)
    want_buffer, want_where = _expected(contents)
    assert bytes(buffer) == want_buffer
    assert [None if isinstance(w, OSError) else w for w in where] == want_where


@pytest.mark.parametrize("seed", range(8))
def test_the_buffer_is_every_file_then_an_lf_where_missing(tmp_path: Path, seed: int) -> None:
    rng = np.random.default_rng(seed)
    pieces = [b"", b"a,b\n", b"a,b", b"x\r\n", b"\n", "é,ü\n".encode(), b"\x00\xff"]
    contents: list[bytes | None] = []
    paths = []
    for k in range(int(rng.integers(0, 9))):
        path = tmp_path / f"f{k}.csv"
        if rng.random() < 0.15:
            contents.append(None)  # a folder where a file was expected: reading it fails
            path.mkdir()
        else:
            data = b"".join(pieces[int(i)] for i in rng.integers(0, len(pieces), int(rng.integers(0, 6))))
            path.write_bytes(data)
            contents.append(data)
        paths.append(path)
    _check(paths, contents)


@pytest.mark.parametrize("change", [-3, 5, 100_000])
def test_a_file_that_changed_size_since_it_was_measured_is_read_whole(tmp_path: Path, change: int,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    paths = [tmp_path / n for n in ("a.csv", "b.csv", "c.csv")]
    contents: list[bytes | None] = [b"h\n1\n", b"h\n" + b"2" * 40, b"h\n3\n"]
    for p, c in zip(paths, contents, strict=True):
        assert c is not None
        p.write_bytes(c)
    real_stat = Path.stat

    def stat(self: Path, *args: object, **kwargs: object) -> os.stat_result:
        st = real_stat(self, *args, **kwargs)  # type: ignore[arg-type]
        if self.name != "b.csv":
            return st
        fields = list(st)
        fields[6] = max(0, st.st_size - change)  # measured before it grew (or shrank) by ``change`` bytes
        return os.stat_result(fields)

    monkeypatch.setattr(Path, "stat", stat)
    _check(paths, contents)
