"""Columnar copies of verified events files, kept in the cache: where they live, when one is trusted, how it is made.

Why: the queries that row-group statistics cannot prune (one event type over all countries, one actor)
read every page of the Parquet file; an uncompressed, memory-mapped Arrow copy (:mod:`.columnar_scan`)
answers them at about the speed of polars. A copy is an optimisation and nothing more: when copies are
switched off (``OPENCONFLICT_COLUMNAR=0``), the cache cannot be used, another process is making the copy,
the disk is short of space, or anything else stops it, the load reads the Parquet file and returns the same
rows.

Layout, named by the sha256 of the Parquet file the copy was made from (releases with the same events
share one copy, and a copy can never be taken for another file's)::

    <cache>/.columnar/<sha256>.arrow    the copy (Arrow IPC file, world-readable like the cached releases)
    <cache>/.columnar/<sha256>.json     {"format", "source": <sha256>, "sha256": <the copy's>, "state"}
    <cache>/.columnar/.lock             held while a copy is made (a loader never waits for it)

Trust: a copy is only ever asked for after its Parquet file was verified against the ledger, and it is
used only in the exact on-disk state recorded when it was written, fsynced and hashed
(:func:`openconflict.files.hash_key`: inode, size, mtime, ctime). In any other state it is re-hashed
against the recorded sha256 and used only if that matches; a copy that does not match is deleted and made
again. The descriptor that was checked is the one memory-mapped, so a file swapped in between is never
read. ``openconflict.verify()`` re-hashes copies too.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path
from typing import Any

from openconflict.errors import OpenConflictError
from openconflict.files import FILE_MODE, hash_key, sha256_file
from openconflict.loader import settings
from openconflict.loader.cache import Cache
from openconflict.loader.trust import cache

__all__ = ["FOLDER", "SPARE_BYTES", "check_copy", "open_copy"]

FOLDER = ".columnar"
FORMAT = 1
#: Free space a disk must keep after a copy is written: a copy must never be what fills a disk.
SPARE_BYTES = 1 << 30


def _names(sha256: str) -> tuple[str, str]:
    return f"{sha256}.arrow", f"{sha256}.json"


def _record(store: Cache, sha256: str) -> dict[str, Any] | None:
    record = store.read_json(FOLDER, _names(sha256)[1])
    ok = (isinstance(record, dict) and record.get("format") == FORMAT and record.get("source") == sha256
          and isinstance(record.get("sha256"), str) and isinstance(record.get("state"), list))
    return record if ok else None


def _open_trusted(store: Cache, sha256: str) -> Any | None:
    """A read-only memory map of the copy for ``sha256`` if it is trusted (see the module docstring), else None."""
    import mmap

    arrow, name = _names(sha256)
    path = store.file_at(FOLDER, arrow)
    record = _record(store, sha256) if path is not None else None
    if path is None or record is None:
        return None
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size == 0:
            return None
        if list(hash_key(st)) != record["state"]:
            if sha256_file(fd, memo=False) != record["sha256"] or hash_key(os.fstat(fd)) != hash_key(st):
                return None
            store.write_json({**record, "state": list(hash_key(st))}, FOLDER, name)
        return mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
    finally:
        os.close(fd)


def _unlink(folder: Path, name: str) -> None:
    """Remove one entry (a link goes, never its target)."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(folder / name)


def _make(store: Cache, source: Path, sha256: str) -> Any | None:
    """Write the copy of the verified ``source`` under the copies' lock; None if another process holds it."""
    import shutil
    import tempfile

    from openconflict.loader.columnar_scan import estimated_bytes, write_copy

    with store.lock_folder(FOLDER, wait=0, what="the columnar copies in the cache") as folder:
        mapped = _open_trusted(store, sha256)
        if mapped is not None:
            return mapped  # another process made it while we decided to
        store.remove_partials(folder)  # what a writer killed mid-copy left behind
        arrow, name = _names(sha256)
        _unlink(folder, name)
        _unlink(folder, arrow)
        if shutil.disk_usage(folder).free < estimated_bytes(source) + SPARE_BYTES:
            return None
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{sha256}.", suffix=".part")
        try:
            os.close(fd)
            write_copy(source, tmp)
            fd = os.open(tmp, os.O_RDONLY)
            try:
                os.fsync(fd)  # on disk before it is named: a crash must not leave a trusted copy of zeros
                digest = sha256_file(fd, memo=False)
            finally:
                os.close(fd)
            os.chmod(tmp, FILE_MODE)
            os.replace(tmp, folder / arrow)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        state = list(hash_key(os.lstat(folder / arrow)))
        store.write_json({"format": FORMAT, "source": sha256, "sha256": digest, "state": state}, FOLDER, name,
                         best_effort=False)
    return _open_trusted(store, sha256)


def open_copy(source: Path, sha256: str) -> Any | None:
    """A memory map of the trusted columnar copy of ``source``, a Parquet file already verified to have
    ``sha256``; the copy is made first if there is none. None whenever a copy cannot be used (see above)."""
    import pyarrow as pa

    if not settings.columnar_copies():
        return None
    store = cache().usable()
    if store is None:
        return None
    try:
        mapped = _open_trusted(store, sha256)
        return mapped if mapped is not None else _make(store, source, sha256)
    except (OSError, OpenConflictError, pa.ArrowException):
        return None


def check_copy(store: Cache, sha256: str) -> tuple[Path, str | None, str] | None:
    """Re-hash the columnar copy in ``store`` (a checked cache) made from the file with ``sha256``, if there is
    one: (its path, the sha256 its record names, the sha256 of its bytes). A copy that does not match its
    record is deleted (the next load that needs it makes it again)."""
    path = store.file_at(FOLDER, _names(sha256)[0])
    if path is None:
        return None
    record = _record(store, sha256)
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    try:
        actual = sha256_file(fd, memo=False)
    finally:
        os.close(fd)
    expected = None if record is None else str(record["sha256"])
    if actual != expected:
        for entry in _names(sha256):
            _unlink(path.parent, entry)
    return path, expected, actual
