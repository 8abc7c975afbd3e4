"""Files: the one sha256 (with one memo), atomic writes, and the one kind of lock.

Why here: the build, the ledger, the verifier and the loader's cache all hash and write files, and they
must agree on how. Standard library only (a leaf).

- :func:`sha256_file` remembers digests by (device, inode, size, mtime, ctime). ``ctime`` cannot be set back
  by a user (``touch``/``os.utime`` cannot restore it), so a file edited in place and given back its size
  and modification time is hashed again rather than trusted.
- :func:`atomic_write` writes a sibling temporary file, fsyncs it and renames it into place, so a reader
  sees the old bytes or the new ones, never a mix, and a failure leaves no temporary file behind.
- :func:`locked` is an advisory ``flock`` with a bounded wait that names the holder when it gives up.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from openconflict.errors import LockTimeoutError

__all__ = [
    "CHUNK",
    "FILE_MODE",
    "atomic_write",
    "fsync_dir",
    "hash_key",
    "locked",
    "sha256_bytes",
    "sha256_file",
]

CHUNK = 1 << 20
FILE_MODE = 0o644  # published and cached files are world-readable
DIR_MODE = 0o755

_MEMO: dict[tuple[int, int, int, int, int], str] = {}
_MEMO_LOCK = threading.Lock()


def hash_key(st: os.stat_result) -> tuple[int, int, int, int, int]:
    """What identifies one state of a file's bytes without reading them (see the module docstring)."""
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | os.PathLike[str] | int, *, memo: bool = True) -> str:
    """Hex sha256 of a file's bytes; with ``memo`` an unchanged file (same :func:`hash_key`) is hashed once.

    ``path`` may be an open descriptor (read from its start, left open): the file a caller checked is then
    the file hashed, whatever its name points at by now. The key is taken from the open descriptor, before
    and after reading; a file that changed while it was read is not memoised.
    """
    with open(path, "rb", closefd=not isinstance(path, int)) as fh:
        fh.seek(0)
        before = hash_key(os.fstat(fh.fileno()))
        if memo:
            with _MEMO_LOCK:
                known = _MEMO.get(before)
            if known is not None:
                return known
        h = hashlib.sha256()
        while chunk := fh.read(CHUNK):
            h.update(chunk)
        after = hash_key(os.fstat(fh.fileno()))
    digest = h.hexdigest()
    if memo and before == after:
        with _MEMO_LOCK:
            _MEMO[before] = digest
    return digest


def fsync_dir(folder: str | os.PathLike[str]) -> None:
    """Make a rename inside ``folder`` durable (best effort where directories cannot be opened)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_write(path: str | os.PathLike[str], data: bytes | str, *, mode: int = FILE_MODE) -> None:
    """Replace ``path`` with ``data`` in one step: temp file beside it, fsync, chmod, rename, fsync folder."""
    import tempfile  # here, not at import: it pulls in shutil, random, bz2 and lzma (3 ms of every load)

    target = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    fsync_dir(target.parent)


def _holder(lock_path: Path) -> str:
    try:
        text = lock_path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        text = ""
    return text or "an unknown process"


@contextlib.contextmanager
def locked(lock_path: str | os.PathLike[str], *, wait: float, what: str) -> Iterator[None]:
    """Hold an exclusive advisory lock on ``lock_path`` (created if missing) for the ``with`` block.

    Waits at most ``wait`` seconds, polling, then raises :class:`LockTimeoutError` naming ``what`` and the
    holder (pid, host and command, which the holder writes into the lock file once it has the lock). The
    lock is released by the kernel if the holder dies, so a killed process never leaves it held.
    """
    import fcntl
    import socket
    import sys

    path = Path(lock_path)
    # O_NOFOLLOW: a lock file replaced by a link must not make us truncate whatever the link points at.
    fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), FILE_MODE)
    try:
        give_up = time.monotonic() + wait
        delay = 0.01
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= give_up:
                    raise LockTimeoutError(
                        f"gave up after {wait:g} s waiting for the lock on {what} ({path}); it is held by "
                        f"{_holder(path)}. Wait for that process to finish, or stop it if it is stuck "
                        "(a killed process releases the lock by itself)."
                    ) from None
                time.sleep(delay)
                delay = min(delay * 2, 0.2)
        note = f"pid {os.getpid()} on {socket.gethostname()} ({' '.join(sys.argv[:3])[:200]})\n"
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
            os.pwrite(fd, note.encode("utf-8", "replace"), 0)
        try:
            yield
        finally:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
