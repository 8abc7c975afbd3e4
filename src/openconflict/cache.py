"""Finding release files on disk and fetching them from a mirror, safely.

Order of preference for every file: the bundled copy (shipped in the wheel), then the
cache (OPENCONFLICT_CACHE), then the mirror (OPENCONFLICT_URL).  A copy is used only if
its size and sha256 match the registry; a download goes to a unique temporary file in the
cache folder, is checked, and only then renamed into place (atomic), so a reader never
sees a partial file and a bad download never enters the cache.

Hashing a large Parquet file on every load would cost more than reading it, so a
verified file is recorded in a small stamp file (size, mtime, inode, sha256); a file
whose stat no longer matches its stamp is hashed again.  ``verify()`` always re-hashes.

Standard library only (platformdirs is imported lazily for the default cache path).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from openconflict.registry import (
    ChecksumError,
    DownloadError,
    FileEntry,
    MirrorNotConfiguredError,
    OfflineError,
    Registry,
    Release,
)

try:  # POSIX advisory locks; on Windows we rely on atomic renames alone.
    import fcntl
except ImportError:  # pragma: no cover - not on Linux CI
    fcntl = None  # type: ignore[assignment]

DEFAULT_TIMEOUT = 30.0
CHUNK = 1 << 20
STAMP_FILE = ".verified.json"
LOCK_FILE = ".lock"
USER_AGENT = "openconflict-loader (+https://pypi.org/project/openconflict/)"


# --------------------------------------------------------------------------- settings


def cache_root() -> Path:
    """OPENCONFLICT_CACHE, else the platform's user cache folder (e.g. ~/.cache/openconflict)."""
    env = os.environ.get("OPENCONFLICT_CACHE")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("openconflict", appauthor=False))


def mirror_url() -> str | None:
    """The mirror base URL (no trailing slash), or None when none is named."""
    url = os.environ.get("OPENCONFLICT_URL", "").strip()
    return url.rstrip("/") or None


def offline() -> bool:
    """True when OPENCONFLICT_OFFLINE asks us never to touch the network."""
    return os.environ.get("OPENCONFLICT_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def timeout() -> float:
    """Seconds a socket may stay silent before a download is abandoned (OPENCONFLICT_TIMEOUT)."""
    raw = os.environ.get("OPENCONFLICT_TIMEOUT", "").strip()
    if not raw:
        return DEFAULT_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"OPENCONFLICT_TIMEOUT={raw!r} is not a number of seconds") from None
    if value <= 0:
        raise ValueError(f"OPENCONFLICT_TIMEOUT must be positive, got {raw!r}")
    return value


def version_cache_dir(version: str) -> Path:
    return cache_root() / version


def file_url(version: str, path: str, base: str | None = None) -> str:
    base = base or mirror_url()
    if base is None:
        raise MirrorNotConfiguredError("no mirror configured")
    return f"{base}/{version}/{path}"


# --------------------------------------------------------------------------- hashing


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _stat_key(st: os.stat_result) -> list[int]:
    return [st.st_size, st.st_mtime_ns, st.st_ino]


# In-process memo of verified files, for places we cannot (or should not) write stamps:
# bundled files inside site-packages.  Key: (path, size, mtime_ns, inode, sha256).
_VERIFIED: set[tuple[str, int, int, int, str]] = set()
_VERIFIED_LOCK = threading.Lock()


def _read_stamps(folder: Path) -> dict[str, dict[str, object]]:
    try:
        data = json.loads((folder / STAMP_FILE).read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _write_stamp(folder: Path, rel: str, st: os.stat_result, sha256: str) -> None:
    """Record that ``rel`` verified; atomic, and losing a race only costs a re-hash later."""
    stamps = _read_stamps(folder)
    stamps[rel] = {"stat": _stat_key(st), "sha256": sha256}
    with contextlib.suppress(OSError):
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".stamp-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(stamps, fh, sort_keys=True)
            os.replace(tmp, folder / STAMP_FILE)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def stamped_sha256(path: Path) -> str | None:
    """The sha256 of a file this process has verified and not seen change since, else None."""
    try:
        st = path.stat()
    except OSError:
        return None
    with _VERIFIED_LOCK:
        for p, size, mtime, ino, digest in _VERIFIED:
            if p == str(path) and (size, mtime, ino) == (st.st_size, st.st_mtime_ns, st.st_ino):
                return digest
    return None


def derived_dir() -> Path:
    """Cache folder for small facts computed from verified files (named by their sha256)."""
    return cache_root() / ".derived"


def write_json_atomic(path: Path, data: object) -> None:
    """Best-effort atomic JSON write (temp file + rename); read-only folders are silently skipped."""
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".json-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh, sort_keys=True)
            os.replace(tmp, path)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def record_valid(path: Path, entry: FileEntry, folder: Path, stamp_key: str) -> None:
    """Remember a file the caller has just hashed successfully (used by verify())."""
    st = path.stat()
    with _VERIFIED_LOCK:
        _VERIFIED.add((str(path), st.st_size, st.st_mtime_ns, st.st_ino, entry.sha256))
    _write_stamp(folder, stamp_key, st, entry.sha256)


def file_is_valid(path: Path, entry: FileEntry, *, folder: Path | None = None, rehash: bool = False,
                  stamp_key: str | None = None) -> bool:
    """True if ``path`` exists with the registry's size and sha256.

    With ``folder`` (a cache version folder) the result is stamped there, under
    ``stamp_key`` (default: the file's path in the release), so later calls and later
    processes only stat the file; ``rehash`` ignores stamps and memos (used by ``verify()``).
    """
    key = stamp_key or entry.path
    try:
        st = path.stat()
    except OSError:
        return False
    if st.st_size != entry.bytes:
        return False
    memo = (str(path), st.st_size, st.st_mtime_ns, st.st_ino, entry.sha256)
    if not rehash:
        if memo in _VERIFIED:
            return True
        if folder is not None:
            stamp = _read_stamps(folder).get(key)
            if stamp and stamp.get("stat") == _stat_key(st) and stamp.get("sha256") == entry.sha256:
                with _VERIFIED_LOCK:
                    _VERIFIED.add(memo)
                return True
    ok = sha256_file(path) == entry.sha256
    with _VERIFIED_LOCK:
        if ok:
            _VERIFIED.add(memo)
        else:
            _VERIFIED.discard(memo)
    if ok and folder is not None:
        _write_stamp(folder, key, st, entry.sha256)
    return ok


# --------------------------------------------------------------------------- locking


@contextlib.contextmanager
def _version_lock(folder: Path) -> Iterator[None]:
    """An exclusive advisory lock on one cache version folder, across processes and threads.

    Without it eight processes starting on an empty cache would all download the same
    file; with it one downloads and the others find the verified file when they get the lock.
    """
    folder.mkdir(parents=True, exist_ok=True)
    if fcntl is None:  # pragma: no cover
        yield
        return
    with open(folder / LOCK_FILE, "a+b") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


# --------------------------------------------------------------------------- fetching


def _network_hint(exc: BaseException) -> str:
    import ssl

    reason = getattr(exc, "reason", exc)
    if isinstance(reason, ssl.SSLError | ssl.CertificateError):
        return (
            " The TLS certificate could not be verified: behind a corporate proxy set SSL_CERT_FILE "
            "to your organisation's CA bundle."
        )
    return (
        " Check your connection and OPENCONFLICT_URL; behind a proxy set HTTPS_PROXY/HTTP_PROXY; "
        "for a slow link raise OPENCONFLICT_TIMEOUT."
    )


def fetch(url: str, entry: FileEntry, dest: Path) -> None:
    """Download ``url`` to ``dest``: unique temp file, size and sha256 check, then atomic rename.

    On any failure the temporary file is removed and nothing is left at ``dest``.
    """
    # Network modules are imported here, not at module import: most loads never touch the network.
    import http.client
    import urllib.error
    import urllib.request

    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    tmp = Path(tmp_name)
    t = timeout()
    h = hashlib.sha256()
    received = 0
    promised: int | None = None
    try:
        request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
        try:
            with os.fdopen(fd, "wb") as out, urllib.request.urlopen(request, timeout=t) as resp:
                length = resp.headers.get("Content-Length")
                promised = int(length) if length and length.isdigit() else None
                while chunk := resp.read(CHUNK):
                    received += len(chunk)
                    if received > entry.bytes:
                        break  # a wrong file: stop reading, the size check below reports it
                    h.update(chunk)
                    out.write(chunk)
        except urllib.error.HTTPError as exc:
            what = "the mirror does not have this file" if exc.code == 404 else "the mirror refused"
            raise DownloadError(
                f"HTTP {exc.code} {exc.reason} for {url}: {what}. Check that OPENCONFLICT_URL names a "
                "mirror laid out like build/releases/ (<base>/<version>/datapackage.json) that holds "
                "this version."
            ) from exc
        except http.client.IncompleteRead as exc:
            raise DownloadError(
                f"connection closed early while downloading {url}: got {received + len(exc.partial)} of "
                f"{entry.bytes} bytes. Nothing was cached; try again."
            ) from exc
        except TimeoutError as exc:
            raise DownloadError(
                f"timed out after {t:g} s without data from {url} ({received} of {entry.bytes} bytes "
                "received). Nothing was cached; try again or raise OPENCONFLICT_TIMEOUT."
            ) from exc
        except (urllib.error.URLError, http.client.HTTPException, ConnectionError) as exc:
            raise DownloadError(f"could not download {url}: {exc}.{_network_hint(exc)}") from exc

        actual = h.hexdigest()
        if received < entry.bytes and promised == entry.bytes:
            raise DownloadError(
                f"the download of {url} stopped after {received} of {entry.bytes} bytes (the connection "
                "closed early). Nothing was cached; try again."
            )
        if received != entry.bytes or actual != entry.sha256:
            if received > entry.bytes:
                size_note = f"more than the expected {entry.bytes} bytes"
                actual_note = "(not computed: the response was longer than the file)"
            else:
                size_note = f"{received} bytes, expected {entry.bytes}"
                actual_note = actual
            raise ChecksumError(
                f"checksum mismatch for {url}: expected sha256 {entry.sha256}, got {actual_note} "
                f"({size_note}). The file was discarded and nothing entered the cache. The mirror may be "
                "serving a different or corrupted file: try again, or point OPENCONFLICT_URL at another "
                "mirror; if it persists, report it to the mirror's maintainers."
            )
        os.replace(tmp, dest)  # atomic: readers see the old state or the verified file
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


# --------------------------------------------------------------------------- locating


@dataclass(frozen=True)
class Located:
    """Where a verified copy of a release file was found and how it got there."""

    path: Path
    origin: str  # "bundled" | "cache" | "download"


def bundled_path(registry: Registry, release: Release, rel: str) -> Path:
    return registry.root / release.version / rel


def bundled_is_valid(registry: Registry, release: Release, rel: str, *, rehash: bool = False) -> bool:
    """Bundled files are trusted only when they hash right too; the stamp lives in the cache
    (site-packages may be read-only), keyed by absolute path so another install never matches."""
    path = bundled_path(registry, release, rel)
    return path.exists() and file_is_valid(path, release.file(rel), folder=version_cache_dir(release.version),
                                           rehash=rehash, stamp_key=f"bundled:{path.resolve()}")


def cached_path(release: Release, rel: str) -> Path:
    return version_cache_dir(release.version) / rel


def _missing_message(release: Release, rel: str, cache_file: Path, *, corrupt: bool) -> str:
    state = (
        f"the cached copy {cache_file} no longer matches its sha256"
        if corrupt
        else f"it is neither bundled with this package nor in the cache ({cache_file.parent})"
    )
    return f"OpenConflict {release.version} is needed ({rel}) but {state}"


def locate(registry: Registry, release: Release, rel: str, *, force: bool = False) -> Located:
    """A verified local path for file ``rel`` of ``release``, downloading it if needed and allowed."""
    entry = release.file(rel)
    if not force and bundled_is_valid(registry, release, rel):
        return Located(bundled_path(registry, release, rel), "bundled")
    folder = version_cache_dir(release.version)
    dest = folder / rel
    if not force and dest.exists() and file_is_valid(dest, entry, folder=folder):
        return Located(dest, "cache")
    corrupt = dest.exists() and not force
    if offline():
        raise OfflineError(
            _missing_message(release, rel, dest, corrupt=corrupt)
            + ", and OPENCONFLICT_OFFLINE is set, so nothing is downloaded. Unset OPENCONFLICT_OFFLINE "
            f"(and set OPENCONFLICT_URL) or run `openconflict download {release.version}` while online."
        )
    base = mirror_url()
    if base is None:
        raise MirrorNotConfiguredError(
            _missing_message(release, rel, dest, corrupt=corrupt)
            + ". Name a mirror to download it from: set OPENCONFLICT_URL to an HTTP(S) base URL laid out "
            "like build/releases/ (<base>/<version>/datapackage.json, <base>/<version>/data/...), e.g. "
            "export OPENCONFLICT_URL=https://example.org/openconflict/releases"
        )
    with _version_lock(folder):
        # Another process may have fetched it while we waited for the lock.
        if not force and dest.exists() and file_is_valid(dest, entry, folder=folder):
            return Located(dest, "cache")
        fetch(file_url(release.version, rel, base), entry, dest)
        file_is_valid(dest, entry, folder=folder)  # stamps it (hash already checked while streaming)
    return Located(dest, "download")


def local_copy(registry: Registry, release: Release, rel: str) -> Path | None:
    """A verified local copy of ``rel`` without any network access, or None."""
    entry = release.file(rel)
    if bundled_is_valid(registry, release, rel):
        return bundled_path(registry, release, rel)
    folder = version_cache_dir(release.version)
    dest = folder / rel
    if dest.exists() and file_is_valid(dest, entry, folder=folder):
        return dest
    return None


def copy_verified(src: Path, entry: FileEntry, dest: Path) -> None:
    """Copy a verified file into the cache via a temp file, so a full version folder can be assembled."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    import shutil

    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    os.close(fd)
    try:
        shutil.copyfile(src, tmp)
        if sha256_file(Path(tmp)) != entry.sha256:
            raise ChecksumError(f"copy of {src} to {dest} does not match sha256 {entry.sha256}")
        os.replace(tmp, dest)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
