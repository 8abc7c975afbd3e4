"""Finding a verified local copy of one release file: bundled ▸ cache ▸ download.

Every copy is checked against the trusted ledger's size and sha256 before it is used. Hashing a large
Parquet file on every load would cost more than reading it, so a verified file is remembered by its
on-disk state (:func:`openconflict.files.hash_key`: device, inode, size, mtime and ctime) in this process
and in a stamp in the cache; any change to the file, even one that restores its size and mtime, changes
its ctime and forces a re-hash before the file is used again.
"""

from __future__ import annotations

import os
import stat
import threading
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from openconflict.errors import ChecksumError, MirrorNotConfiguredError, OfflineError
from openconflict.files import FILE_MODE, hash_key, sha256_file
from openconflict.ledger import Entry, FileEntry
from openconflict.loader import settings
from openconflict.loader.cache import Cache
from openconflict.loader.trust import Trusted, cache

__all__ = ["Located", "bundled_path", "copy_into_cache", "local_copy", "locate", "verified"]

_VERIFIED: set[tuple[str, tuple[int, ...], str]] = set()
_VERIFIED_LOCK = threading.Lock()


@dataclass(frozen=True)
class Located:
    """Where a verified copy of a release file is, and how it got there."""

    path: Path
    origin: str  # "bundled" | "cache" | "download"


def bundled_path(t: Trusted, version: str, rel: str) -> Path:
    return t.releases / version / rel


def verified(path: Path, entry: FileEntry, version: str, key: str, store: Cache | None, *,
             rehash: bool = False) -> bool:
    """Whether ``path`` holds exactly the ledger's bytes, trusting a stamp only for an unchanged file."""
    try:
        st = os.stat(path)
    except OSError:
        return False
    if not stat.S_ISREG(st.st_mode) or st.st_size != entry.bytes:
        return False
    memo = (str(path), hash_key(st), entry.sha256)
    if not rehash:
        with _VERIFIED_LOCK:
            if memo in _VERIFIED:
                return True
        if store is not None and store.stamp_ok(version, key, st, entry.sha256):
            with _VERIFIED_LOCK:
                _VERIFIED.add(memo)
            return True
    ok = sha256_file(path, memo=not rehash) == entry.sha256
    after = os.stat(path)
    if ok and hash_key(after) == memo[1]:  # unchanged while it was read
        with _VERIFIED_LOCK:
            _VERIFIED.add(memo)
        if store is not None:
            store.stamp(version, key, after, entry.sha256)
    elif not ok:
        with _VERIFIED_LOCK:
            _VERIFIED.discard(memo)
    return ok


def _bundled_ok(t: Trusted, release: Entry, rel: str, store: Cache | None, *, rehash: bool = False) -> Path | None:
    path = bundled_path(t, release.version, rel)
    ok = verified(path, release.file(rel), release.version, f"bundled:{path.resolve()}", store, rehash=rehash)
    return path if ok else None


def local_copy(t: Trusted, release: Entry, rel: str) -> Path | None:
    """A verified local copy of ``rel`` without any network access, or None."""
    store = cache().usable()
    found = _bundled_ok(t, release, rel, store)
    if found is not None or store is None:
        return found
    path = store.file(release.version, rel)
    if path is not None and verified(path, release.file(rel), release.version, f"cache:{rel}", store):
        return path
    return None


def _missing(release: Entry, rel: str, store: Cache, corrupt: bool) -> str:
    where = store.version_dir(release.version) / rel
    state = (f"the cached copy {where} no longer matches its sha256" if corrupt
             else f"it is neither bundled with this package nor in the cache ({store.version_dir(release.version)})")
    return f"OpenConflict {release.version} is needed ({rel}) but {state}"


def locate(t: Trusted, release: Entry, rel: str, *, force: bool = False) -> Located:
    """A verified local path for file ``rel`` of ``release``, downloading it if needed and allowed."""
    entry = release.file(rel)
    store = cache()
    if not force:
        found = _bundled_ok(t, release, rel, store.usable())
        if found is not None:
            return Located(found, "bundled")
    store.check()  # from here on the cache is needed: a bad cache folder is a ConfigError
    key = f"cache:{rel}"
    cached = store.file(release.version, rel)
    if not force and cached is not None and verified(cached, entry, release.version, key, store):
        return Located(cached, "cache")
    corrupt = cached is not None and not force
    if settings.offline():
        raise OfflineError(_missing(release, rel, store, corrupt) + ", and OPENCONFLICT_OFFLINE is set, so nothing is "
                           "downloaded. Unset OPENCONFLICT_OFFLINE (and set OPENCONFLICT_URL) or run "
                           f"`openconflict download {release.version}` while online.")
    base = settings.mirror()
    if base is None:
        raise MirrorNotConfiguredError(
            _missing(release, rel, store, corrupt) + ". Name a mirror to download it from: set OPENCONFLICT_URL to "
            "an HTTP(S) base URL laid out like build/releases/ (<base>/registry.json, "
            "<base>/<version>/datapackage.json, <base>/<version>/data/...), e.g. "
            "export OPENCONFLICT_URL=https://example.org/openconflict/releases")
    # Imported only now: http.client, ssl and email cost a verified local load about 10 ms for nothing.
    from openconflict.loader.fetch import Limits, fetch_file

    limits = Limits(settings.timeout(), settings.deadline())
    with store.lock(release.version, settings.lock_wait()) as folder:
        store.remove_partials(folder)  # what a killed download of this version left behind
        cached = store.file(release.version, rel)
        if not force and cached is not None and verified(cached, entry, release.version, key, store):
            return Located(cached, "cache")  # another process fetched it while we waited
        *dirs, name = rel.split("/")
        target = store.make_dirs(release.version, *dirs)
        url = f"{base}/{urllib.parse.quote(release.version)}/{urllib.parse.quote(rel)}"
        dest = fetch_file(url, entry, target, name, limits)
        st = os.lstat(dest)
        store.stamp(release.version, key, st, entry.sha256)  # hashed while streaming
        with _VERIFIED_LOCK:
            _VERIFIED.add((str(dest), hash_key(st), entry.sha256))
    return Located(dest, "download")


def copy_into_cache(t: Trusted, release: Entry, rel: str, src: Path) -> Path:
    """Copy a verified (bundled) file into the cache, so one complete version folder can be handed out."""
    import shutil
    import tempfile

    entry = release.file(rel)
    store = cache()
    with store.lock(release.version, settings.lock_wait()):
        *dirs, name = rel.split("/")
        target = store.make_dirs(release.version, *dirs)
        fd, tmp = tempfile.mkstemp(dir=target, prefix=f".{name}.", suffix=".part")
        os.close(fd)
        try:
            shutil.copyfile(src, tmp)
            if sha256_file(tmp, memo=False) != entry.sha256:
                raise ChecksumError(f"the copy of {src} into the cache does not match sha256 {entry.sha256}")
            os.chmod(tmp, FILE_MODE)
            os.replace(tmp, target / name)
        finally:
            if os.path.lexists(tmp):
                os.unlink(tmp)
        dest = target / name
        store.stamp(release.version, f"cache:{rel}", os.lstat(dest), entry.sha256)
    return dest
