"""Stamps: which published release files matched the ledger, and in which on-disk state.

Why: every release-writing command checks every published release against the ledger before it writes
(:func:`openconflict.release.guard.build_lock`). Hashing a release of a million events reads about 0.9 GB,
so with five earlier releases each build (a fresh process: the memo of
:func:`openconflict.files.sha256_file` is gone) re-read 4.5 GB that had not changed since the last build.
A stamp records, per published release, each file's :func:`~openconflict.files.hash_key` (device, inode,
size, mtime_ns, ctime_ns) at the moment it hashed to the ledger's sha256. A later check trusts a file only
when its key is unchanged *and* the stamp names the sha256 the ledger holds for that path; any other file is
hashed again. Keep the check, lose the repetition.

Why the key cannot be fooled by an edit: ``ctime`` is set by the kernel on every change to a file (write,
chmod, rename, link count) and no user call sets it back, so an edit that restores the size and mtime
still changes the key; a file replaced by a copy or swapped with another release's file has another
inode (and a new ctime). A link is never trusted (the check refuses links before it looks at stamps).

Racy stamps: timestamps have a granularity (a kernel tick, or a second on some file systems), so a file
changed again within the tick of its last change could keep its key. Before any file is looked at, a
:class:`Stamps` takes a *probe*: the ctime of a file it creates in the stamps folder, on the file system's
own clock. Only a file whose ctime is strictly older than the probe is recorded; since it is stat'ed after
the probe, any later change gets a ctime at or after the probe, so a different key. Newer files are simply
hashed again next time.

What stamps are not: a security boundary against someone who can write the releases folder. Whoever can
rewrite ``.stamps/`` can as well rewrite the files and ``registry.json``; ``openconflict verify`` never
reads stamps and hashes every byte. A stamps folder that is a link, unreadable or malformed is ignored (and
never written through); the worst a bad stamp file costs is a re-hash.

Layout: ``<releases>/.stamps/<version>.json`` =
``{"format": 1, "version": "1.0.0", "files": {"data/events.csv": {"state": [dev, ino, size, mtime_ns,
ctime_ns], "sha256": "..."}, ...}}``. Written only under the build lock; names starting with '.' are not
releases, so the folder is no stray release folder, and it is never bundled or mirrored.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import stat
import tempfile
from pathlib import Path

from openconflict.files import atomic_write, hash_key

__all__ = ["STAMPS_DIR", "Stamps"]

STAMPS_DIR = ".stamps"
_FORMAT = 1
_MAX_BYTES = 8 << 20  # a stamp file lists a few dozen files; refuse to slurp anything larger
_HEX64 = re.compile(r"[0-9a-f]{64}", re.ASCII)

Key = tuple[int, int, int, int, int]


class Stamps:
    """The stamps of one releases folder, for one check (take a new one for every check: see *probe*,
    which :meth:`start` takes before the first file is looked at).

    ``write`` is False for read-only callers; then stamps are trusted but never recorded. ``trusted`` and
    ``hashed`` list ``version/path`` of the files that a stamp vouched for and that were read, so callers
    and tests can see what a check cost.
    """

    def __init__(self, releases_dir: str | os.PathLike[str], *, write: bool = True) -> None:
        self.folder = Path(releases_dir) / STAMPS_DIR
        self.write = write
        self.trusted: list[str] = []
        self.hashed: list[str] = []
        self._known: dict[str, dict[str, tuple[Key, str]]] = {}
        self._fresh: dict[str, dict[str, tuple[Key, str]]] = {}
        self.probe: int | None = None
        self._started = False

    def start(self) -> None:
        """Take the probe (once, before the first file of a check is stat'ed); nothing is created before."""
        if not self._started:
            self._started = True
            self.probe = self._take_probe() if self.write else None

    # ----------------------------------------------------------------------------------------- the folder

    def _usable(self, *, create: bool) -> bool:
        """Whether ``.stamps`` is a real folder (created if ``create``); a link or a file is never used."""
        try:
            st = os.lstat(self.folder)
        except FileNotFoundError:
            if not create:
                return False
            try:
                self.folder.mkdir(mode=0o755)
            except OSError:
                return False
            st = os.lstat(self.folder)
        except OSError:
            return False
        return stat.S_ISDIR(st.st_mode)

    def _take_probe(self) -> int | None:
        """The file system's time now, as the ctime of a file created and removed in the stamps folder."""
        if not self._usable(create=True):
            return None
        try:
            fd, name = tempfile.mkstemp(prefix=".probe.", suffix=".tmp", dir=self.folder)
        except OSError:
            return None
        try:
            return os.fstat(fd).st_ctime_ns
        finally:
            os.close(fd)
            with contextlib.suppress(OSError):
                os.unlink(name)

    def _path(self, version: str) -> Path:
        return self.folder / f"{version}.json"

    def _load(self, version: str) -> dict[str, tuple[Key, str]]:
        if version in self._known:
            return self._known[version]
        records: dict[str, tuple[Key, str]] = {}
        if self._usable(create=False):
            with contextlib.suppress(OSError, ValueError, UnicodeDecodeError):
                fd = os.open(self._path(version), os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
                with os.fdopen(fd, "rb") as fh:
                    raw = fh.read(_MAX_BYTES + 1) if stat.S_ISREG(os.fstat(fh.fileno()).st_mode) else b""
                if 0 < len(raw) <= _MAX_BYTES:
                    records = _parse(json.loads(raw.decode("utf-8")), version)
        self._known[version] = records
        return records

    # ----------------------------------------------------------------------------------------- the check

    def vouches(self, version: str, rel: str, st: os.stat_result, sha256: str) -> bool:
        """Whether a stamp says the file ``rel`` of ``version`` in state ``st`` holds ``sha256`` (the ledger's)."""
        known = self._load(version).get(rel)
        if known is not None and known == (hash_key(st), sha256) and stat.S_ISREG(st.st_mode):
            self.trusted.append(f"{version}/{rel}")
            self._fresh.setdefault(version, {})[rel] = known
            return True
        return False

    def record(self, version: str, rel: str, st: os.stat_result | None, sha256: str) -> None:
        """Note that ``rel`` was read; with ``st`` (its state, stat'ed after the probe and unchanged while it was
        read, and ``sha256`` the ledger's), that it may be trusted in that state next time."""
        self.hashed.append(f"{version}/{rel}")
        if st is not None and self.probe is not None and stat.S_ISREG(st.st_mode) and st.st_ctime_ns < self.probe:
            self._fresh.setdefault(version, {})[rel] = (hash_key(st), sha256)

    def save(self, version: str) -> None:
        """Write the stamps of ``version`` (a release that matched the ledger in full); failures only cost a
        re-hash next time. Nothing is written when the stamps did not change."""
        fresh = self._fresh.pop(version, {})
        if not self.write or self.probe is None or fresh == self._load(version):
            return
        data = {"format": _FORMAT, "version": version,
                "files": {rel: {"state": list(key), "sha256": digest} for rel, (key, digest) in sorted(fresh.items())}}
        if self._usable(create=True):
            with contextlib.suppress(OSError):
                atomic_write(self._path(version), json.dumps(data, sort_keys=True, separators=(",", ":")))
                self._known[version] = fresh

    def forget(self, version: str) -> None:
        """Drop what this check learnt about ``version`` (it did not match the ledger): nothing is written."""
        self._fresh.pop(version, None)


def _parse(data: object, version: str) -> dict[str, tuple[Key, str]]:
    """The records of a stamp file; anything unexpected makes the whole file count as absent."""
    if not isinstance(data, dict) or data.get("format") != _FORMAT or data.get("version") != version:
        return {}
    files = data.get("files")
    if not isinstance(files, dict):
        return {}
    out: dict[str, tuple[Key, str]] = {}
    for rel, rec in files.items():
        if not isinstance(rec, dict) or set(rec) != {"state", "sha256"}:
            return {}
        state, digest = rec["state"], rec["sha256"]
        if (not isinstance(state, list) or len(state) != 5
                or not all(isinstance(v, int) and not isinstance(v, bool) for v in state)
                or not isinstance(digest, str) or not _HEX64.fullmatch(digest)):
            return {}
        out[rel] = ((state[0], state[1], state[2], state[3], state[4]), digest)
    return out
