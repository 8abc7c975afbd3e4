"""The loader's cache folder: downloaded releases, the accepted mirror ledger, verification stamps.

Layout (nothing else is ever created)::

    <cache>/ledger.json                 the accepted mirror ledger (see loader.trust)
    <cache>/.ledger.lock                held while ledger.json is replaced
    <cache>/<version>/<file>            verified release files, world-readable (0644)
    <cache>/<version>/.lock             held while a file of that version is downloaded
    <cache>/.stamps/<version>.json      which files were verified, in which on-disk state
    <cache>/.derived/<name>.json        small facts computed from verified files, named by their sha256
    <cache>/.columnar/<sha256>.arrow    columnar copies of large events files, with their records and lock
                                        (see loader.columnar)

Promises, and how they are kept:
- Nothing outside the folder is read, written or deleted, whatever the folder contains: every path below
  the root is checked component by component with ``lstat``; a link is never followed (it is treated as
  "not cached" when reading and replaced by a real folder or file when writing), files are opened with
  ``O_NOFOLLOW``, and only single entries are ever unlinked (an unlinked link leaves its target alone).
- A releases folder or a mirror (anything holding a ledger, ``registry.json``) is refused as a cache with a
  :class:`~openconflict.errors.ConfigError`, so the loader can never write into published releases.
- A file whose bytes changed after it was verified is never served: a stamp records the file's
  :func:`~openconflict.files.hash_key`, which includes the inode and the change time (ctime) that no user
  can set back, so editing a file in place and restoring its size and mtime still forces a re-hash.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from openconflict.errors import ConfigError, OpenConflictError
from openconflict.files import DIR_MODE, atomic_write, hash_key, locked
from openconflict.ledger import LEDGER_FILE

__all__ = ["LEDGER_NAME", "Cache"]

LEDGER_NAME = "ledger.json"
STAMPS = ".stamps"
DERIVED = ".derived"
LOCK = ".lock"
PARTIAL_SUFFIXES = (".part", ".tmp")
_MAX_SMALL = 64 << 20  # stamps, facts and ledgers are small; refuse to slurp anything larger
_CHECKED: set[tuple[str, str]] = set()
_CHECKED_LOCK = threading.Lock()


def _is_ledger_folder(folder: Path) -> bool:
    with contextlib.suppress(OSError):
        return stat.S_ISREG(os.stat(folder / LEDGER_FILE).st_mode)
    return False


class Cache:
    """One cache folder (``root``), checked before first use; ``releases`` is the folder we trust."""

    def __init__(self, root: Path, releases: Path | None = None, error: ConfigError | None = None) -> None:
        self.root = Path(root)
        self.releases = releases
        self.error = error  # a setting that made the cache unusable, raised when the cache is first needed

    @classmethod
    def unusable(cls, error: ConfigError) -> Cache:
        """A cache that could not even be named (e.g. OPENCONFLICT_CACHE is a file): bundled reads still work."""
        return cls(Path("<unusable cache folder: see OPENCONFLICT_CACHE>"), None, error)

    # ------------------------------------------------------------------------------------------ checks

    def check(self) -> None:
        """Refuse a cache folder that is a file, holds (or sits inside) a ledger, or overlaps the releases."""
        if self.error is not None:
            raise self.error
        key = (str(self.root), str(self.releases))
        with _CHECKED_LOCK:
            if key in _CHECKED:
                return
        where = f"the cache folder {str(self.root)!r} (OPENCONFLICT_CACHE)"
        fix = "point OPENCONFLICT_CACHE at an empty or loader-owned folder, or unset it"
        if self.root.exists() and not self.root.is_dir():
            raise ConfigError(f"{where} is a file, not a folder; {fix}")
        resolved = self.root.resolve()
        for folder in (resolved, *resolved.parents):
            if _is_ledger_folder(folder):
                raise ConfigError(f"{where} is or lies inside a releases folder or mirror ({folder} holds "
                                  f"{LEDGER_FILE}); the loader never writes into published releases; {fix}")
        if resolved.is_dir():
            for child in resolved.iterdir():
                if not child.is_symlink() and child.is_dir() and _is_ledger_folder(child):
                    raise ConfigError(f"{where} holds a releases folder or mirror ({child} has {LEDGER_FILE}); {fix}")
        if self.releases is not None:
            rel = self.releases.resolve()
            if rel == resolved or rel in resolved.parents or resolved in rel.parents:
                raise ConfigError(f"{where} overlaps the releases folder {rel}; {fix}")
        with _CHECKED_LOCK:
            _CHECKED.add(key)

    def usable(self) -> Cache | None:
        """This cache if it passes :meth:`check`, else None (the callers that can do without a cache)."""
        try:
            self.check()
        except ConfigError:
            return None
        return self

    def ensure_root(self) -> Path:
        """The checked root, created if missing and known to be writable (before anything is written)."""
        self.check()
        try:
            self.root.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
        except OSError as exc:
            raise ConfigError(f"cannot create the cache folder {str(self.root)!r} (OPENCONFLICT_CACHE): "
                              f"{exc.strerror or exc}; point OPENCONFLICT_CACHE at a folder you can write") from None
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise ConfigError(f"the cache folder {str(self.root)!r} (OPENCONFLICT_CACHE) is not writable; point "
                              "OPENCONFLICT_CACHE at a folder you can write, or fix its permissions")
        return self.root

    # ------------------------------------------------------------------------------------------ paths

    def _walk(self, parts: tuple[str, ...]) -> Path | None:
        """``root/parts`` if every component is a real folder (no link anywhere), else None."""
        path = self.root
        for part in parts:
            path = path / part
            try:
                st = os.lstat(path)
            except OSError:
                return None
            if not stat.S_ISDIR(st.st_mode):
                return None
        return path

    def file(self, version: str, rel: str) -> Path | None:
        """The cached copy of ``rel`` of ``version`` if it is a regular file reached without links."""
        return self.file_at(version, *rel.split("/"))

    def file_at(self, *parts: str) -> Path | None:
        """``root/parts`` if it is a regular file reached without links, else None."""
        folder = self._walk(parts[:-1])
        if folder is None:
            return None
        path = folder / parts[-1]
        try:
            return path if stat.S_ISREG(os.lstat(path).st_mode) else None
        except OSError:
            return None

    def version_dir(self, version: str) -> Path:
        return self.root / version

    def make_dirs(self, *parts: str) -> Path:
        """Real folders ``root/parts`` (a link or file in the way is unlinked: only the entry, never its target)."""
        path = self.ensure_root()
        for part in parts:
            path = path / part
            try:
                st = os.lstat(path)
            except FileNotFoundError:
                st = None
            if st is not None and not stat.S_ISDIR(st.st_mode):
                os.unlink(path)  # a link (only the link goes, never its target) or a stray file
                st = None
            if st is None:
                with contextlib.suppress(FileExistsError):
                    os.mkdir(path, DIR_MODE)
                    os.chmod(path, DIR_MODE)  # whatever the umask: cached releases are world-readable
                if not stat.S_ISDIR(os.lstat(path).st_mode):
                    raise OpenConflictError(f"{path} in the cache is not a folder; remove it and try again")
        return path

    # ------------------------------------------------------------------------------------------ small files

    def read_json(self, *parts: str) -> Any:
        """A small JSON file under the root, or None (missing, a link, unreadable, too large, not JSON)."""
        folder = self._walk(parts[:-1])
        if folder is None:
            return None
        try:
            fd = os.open(folder / parts[-1], os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            return None
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode) or st.st_size > _MAX_SMALL:
                return None
            with os.fdopen(fd, "rb", closefd=False) as fh:
                data = fh.read(_MAX_SMALL + 1)
            return json.loads(data.decode("utf-8"))
        except (OSError, ValueError):
            return None
        finally:
            os.close(fd)

    def write_json(self, data: Any, *parts: str, best_effort: bool = True) -> None:
        """Write a small JSON file atomically; bookkeeping writes that fail only cost a re-hash later."""
        try:
            folder = self.make_dirs(*parts[:-1])
            atomic_write(folder / parts[-1], json.dumps(data, sort_keys=True, separators=(",", ":")))
        except (OSError, OpenConflictError):
            if not best_effort:
                raise

    # ------------------------------------------------------------------------------------------ stamps

    def stamp_ok(self, version: str, key: str, st: os.stat_result, sha256: str) -> bool:
        stamps = self.read_json(STAMPS, f"{version}.json")
        entry = stamps.get(key) if isinstance(stamps, dict) else None
        return entry == {"state": list(hash_key(st)), "sha256": sha256}

    def stamp(self, version: str, key: str, st: os.stat_result, sha256: str) -> None:
        """Record that the file in state ``st`` hashed to ``sha256`` (losing a race only costs a re-hash)."""
        stamps = self.read_json(STAMPS, f"{version}.json")
        stamps = stamps if isinstance(stamps, dict) else {}
        stamps[key] = {"state": list(hash_key(st)), "sha256": sha256}
        self.write_json(stamps, STAMPS, f"{version}.json")

    # ------------------------------------------------------------------------------------------ locks, partials

    @staticmethod
    @contextlib.contextmanager
    def _hold(lock_path: Path, wait: float, what: str) -> Iterator[None]:
        """Hold the lock file ``lock_path`` (a link put in its place is removed first, never its target)."""
        with contextlib.suppress(FileNotFoundError):
            if stat.S_ISLNK(os.lstat(lock_path).st_mode):
                os.unlink(lock_path)
        with locked(lock_path, wait=wait, what=what):
            yield

    @contextlib.contextmanager
    def lock_folder(self, *parts: str, wait: float, what: str) -> Iterator[Path]:
        """Hold the lock (``.lock``) of the real folder ``root/parts``; yields the folder."""
        folder = self.make_dirs(*parts)
        with self._hold(folder / LOCK, wait, what):
            yield folder

    def lock(self, version: str, wait: float) -> contextlib.AbstractContextManager[Path]:
        """Hold the download lock of one version; yields its (real) folder."""
        return self.lock_folder(version, wait=wait, what=f"the cache of OpenConflict {version}")

    @contextlib.contextmanager
    def ledger_lock(self, wait: float) -> Iterator[None]:
        """Hold the lock under which the accepted ledger is replaced."""
        with self._hold(self.ensure_root() / ".ledger.lock", wait, "the accepted ledger of the cache"):
            yield

    def write_ledger(self, text: str) -> None:
        """Replace the accepted ledger atomically (the caller checked it and holds the ledger lock).

        A temporary file that a process killed mid-write left beside it is removed first (single entries only).
        """
        root = self.ensure_root()
        for stale in root.glob(f".{LEDGER_NAME}.*.tmp"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(stale)
        atomic_write(root / LEDGER_NAME, text)

    def remove_partials(self, folder: Path) -> list[Path]:
        """Delete temporary files (``.*.part``, ``.*.tmp``) a killed download left in ``folder``'s tree.

        Call only while holding that version's lock. Walks real folders only; unlinks single entries.
        """
        removed: list[Path] = []
        stack = [folder]
        while stack:
            current = stack.pop()
            try:
                entries = list(os.scandir(current))
            except OSError:
                continue
            for e in entries:
                if e.is_dir(follow_symlinks=False):
                    stack.append(Path(e.path))
                elif e.name.startswith(".") and e.name.endswith(PARTIAL_SUFFIXES):
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(e.path)
                        removed.append(Path(e.path))
        return removed
