"""The archive's large members are deflated in blocks on several threads (issue 12): the result is one valid
deflate stream that any unzip reads back exactly, its bytes depend on the member's bytes only (not on the
number of threads), and small members keep the single-stream bytes they always had. SYNTHETIC files.
"""

from __future__ import annotations

import datetime as dt
import random
import zipfile
import zlib
from pathlib import Path

import pytest

from openconflict.release.archive import BLOCK, PARALLEL_MIN, ZIP_LEVEL, write_zip

DATE = dt.date(2026, 1, 15)


def synthetic_csv(n_bytes: int, seed: int = 0) -> bytes:
    """CSV-like text with some repetition and some noise (so deflate has real work and real matches)."""
    rng = random.Random(seed)
    words = [f"SYNTHETIC{rng.randrange(10**6)}" for _ in range(2000)]
    lines, size = [], 0
    while size < n_bytes:
        line = ",".join(rng.choice(words) for _ in range(8)) + f",{rng.randrange(10**9)}\n"
        lines.append(line)
        size += len(line)
    return "".join(lines).encode()[:n_bytes]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("release")
    (root / "data").mkdir()
    (root / "data" / "events.csv").write_bytes(synthetic_csv(PARALLEL_MIN + 2 * BLOCK + 12345))
    (root / "data" / "exact.csv").write_bytes(synthetic_csv(PARALLEL_MIN + BLOCK, seed=1))  # ends on a block edge
    (root / "data" / "small.csv").write_bytes(synthetic_csv(100_000, seed=2))
    (root / "data" / "events.parquet").write_bytes(synthetic_csv(50_000, seed=3))
    (root / "SHA256SUMS").write_bytes(b"")
    return root


def test_members_read_back_exactly_and_the_crc_checks(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "a.zip"
    write_zip(folder, out, "1.0.0", DATE)
    with zipfile.ZipFile(out) as zf:
        assert zf.testzip() is None  # every member's CRC checks
        for info in zf.infolist():
            rel = info.filename.split("/", 1)[1]
            assert zf.read(info) == (folder / rel).read_bytes()
        big = zf.getinfo("openconflict-events-1.0.0/data/events.csv")
        assert big.compress_type == zipfile.ZIP_DEFLATED and big.compress_size < big.file_size / 2
        assert zf.getinfo("openconflict-events-1.0.0/data/events.parquet").compress_type == zipfile.ZIP_STORED


def test_the_bytes_do_not_depend_on_the_number_of_threads(folder: Path, tmp_path: Path) -> None:
    for threads in (1, 3, 8):
        write_zip(folder, tmp_path / f"{threads}.zip", "1.0.0", DATE, threads=threads)
    assert (tmp_path / "1.zip").read_bytes() == (tmp_path / "3.zip").read_bytes() == (tmp_path / "8.zip").read_bytes()


def test_small_members_keep_their_single_stream_bytes(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "a.zip"
    write_zip(folder, out, "1.0.0", DATE)
    data = (folder / "data" / "small.csv").read_bytes()
    c = zlib.compressobj(ZIP_LEVEL, zlib.DEFLATED, -15)
    expected = c.compress(data) + c.flush()
    with zipfile.ZipFile(out) as zf:
        info = zf.getinfo("openconflict-events-1.0.0/data/small.csv")
    raw = out.read_bytes()
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    assert raw[start:start + info.compress_size] == expected


def test_without_isal_zlib_deflates_the_blocks(folder: Path, tmp_path: Path) -> None:
    """The ``isal`` package is optional at run time: without it the same blocks are deflated by zlib."""
    import subprocess
    import sys

    code = ("import sys, datetime; sys.modules['isal'] = None\n"
            "from pathlib import Path\n"
            "from openconflict.release.archive import write_zip, _block_deflater\n"
            "assert _block_deflater()[0].__name__ == 'zlib'\n"
            "write_zip(Path(sys.argv[1]), Path(sys.argv[2]), '1.0.0', datetime.date(2026, 1, 15))\n")
    subprocess.run([sys.executable, "-c", code, str(folder), str(tmp_path / "zlib.zip")], check=True, timeout=120)
    with zipfile.ZipFile(tmp_path / "zlib.zip") as zf:
        assert zf.testzip() is None
        assert zf.read("openconflict-events-1.0.0/data/events.csv") == (folder / "data" / "events.csv").read_bytes()
