"""The downloadable archive ``openconflict-events-<version>.zip``, reproducible on demand.

Why reproducible: the archive is a convenience copy of a release folder, not the release itself. Its bytes
depend only on the folder's files, the version and the release date (sorted entries, fixed timestamps,
permissions and compression), so ``openconflict archive VERSION`` writes the byte-identical archive again
from a release checked against the ledger, and a lost archive is never a lost release. The archive is
written beside its final name under a temporary name, read back and checked member by member against the
ledger, and only then renamed into place; no temporary file survives a failure.
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import hashlib
import os
import secrets
import shutil
import zipfile
import zlib
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from openconflict.errors import BuildError
from openconflict.files import CHUNK, FILE_MODE
from openconflict.ledger import PACKAGE, Entry

__all__ = ["ZIP_LEVEL", "archive_name", "archive_release", "check_dist_dir", "check_zip", "clean_dist",
           "temp_zip", "write_zip"]

ZIP_LEVEL = 1
#: Members at least this large are deflated in blocks of ``BLOCK`` bytes on several threads (see
#: :class:`_BlockDeflater`); smaller ones in one stream, as before, so small archives keep their bytes.
PARALLEL_MIN = 16 << 20
BLOCK = 4 << 20
_WINDOW = 32 << 10  # deflate's window: each block is primed with the last 32 KiB of the block before it
_TMP_SUFFIX = ".tmp"


def archive_name(version: str) -> str:
    return f"{PACKAGE}-{version}.zip"


def check_dist_dir(dist_dir: Path, releases_dir: Path) -> None:
    """Refuse an archive folder that cannot be one (a file, a broken link, or a place inside the releases
    folder, where an archive would become an extra file of a published release), before anything is written."""
    a, b = dist_dir.resolve(), releases_dir.resolve()
    if a == b or b in a.parents:
        raise BuildError(f"the archive folder {dist_dir} is inside the releases folder {releases_dir}; archives "
                         "are not part of a release: point --dist elsewhere (default build/dist)")
    if dist_dir.is_symlink() and not dist_dir.is_dir():
        raise BuildError(f"the archive folder {dist_dir} is a broken link; point --dist at a folder")
    if dist_dir.exists() and not dist_dir.is_dir():
        raise BuildError(f"the archive folder {dist_dir} is a file, not a folder; point --dist at a folder "
                         "(it is created if missing)")
    for parent in dist_dir.parents:
        if parent.exists():
            if not parent.is_dir():
                raise BuildError(f"cannot create the archive folder {dist_dir}: {parent} is a file")
            break


def temp_zip(dist_dir: Path, version: str) -> Path:
    """A unique temporary name beside the final archive; it carries the writer's pid for clean-up."""
    return dist_dir / f".{archive_name(version)}.{os.getpid()}.{secrets.token_hex(4)}{_TMP_SUFFIX}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_dist(dist_dir: Path) -> None:
    """Remove temporary archives left by killed writers (those whose process no longer runs)."""
    if not dist_dir.is_dir():
        return
    for p in dist_dir.glob(f".{PACKAGE}-*.zip.*{_TMP_SUFFIX}"):
        parts = p.name.split(".")
        pid = int(parts[-3]) if len(parts) >= 3 and parts[-3].isdecimal() else -1
        if pid != os.getpid() and not _pid_alive(pid):
            with contextlib.suppress(FileNotFoundError):
                p.unlink()


#: ISA-L's level 2 (``isal``, in the curate extra) deflates CSV about five times faster than zlib's level 1
#: and a little smaller (0.187 against 0.200 of the size on synthetic events); zlib is the fallback.
ISAL_LEVEL = 2


def _block_deflater() -> tuple[Any, int]:
    """The deflate module for large members and its level: ISA-L when installed, else zlib."""
    try:
        from isal import isal_zlib
    except ImportError:
        return zlib, ZIP_LEVEL
    return isal_zlib, ISAL_LEVEL


def _deflate_block(block: bytes, zdict: bytes, final: bool) -> bytes:
    """One block as raw deflate: primed with ``zdict``, ending on a byte boundary (sync flush) unless final."""
    lib, level = _block_deflater()
    c = lib.compressobj(level, lib.DEFLATED, -15, zdict=zdict) if zdict else lib.compressobj(level, lib.DEFLATED, -15)
    return c.compress(block) + c.flush(lib.Z_FINISH if final else lib.Z_SYNC_FLUSH)


class _BlockDeflater:
    """A zipfile compressor (``compress``/``flush``) that deflates fixed-size blocks on a thread pool.

    Why: the events CSV of a million-event release is about 0.7 GB, and deflating it on one thread was the
    largest single step of a build. The scheme is pigz's: the input is cut into blocks of ``BLOCK`` bytes
    (whatever the sizes of the writes), each block is deflated on its own, primed with the last 32 KiB of
    the block before it, and all but the last end with a sync flush, so the pieces join into one valid
    deflate stream. The bytes depend only on the member's bytes and the deflate library (ISA-L when the
    ``isal`` package is installed, else zlib, and their versions), never on the number of threads or their
    timing, so ``openconflict archive`` on the same installation writes the same archive again. Both
    libraries release the GIL while they compress.
    """

    def __init__(self, pool: ThreadPoolExecutor, in_flight: int) -> None:
        self._pool = pool
        self._in_flight = in_flight
        self._buf = bytearray()
        self._tail = b""
        self._pending: collections.deque[Future[bytes]] = collections.deque()

    def _submit(self, block: bytes, final: bool) -> None:
        self._pending.append(self._pool.submit(_deflate_block, block, self._tail, final))
        self._tail = block[-_WINDOW:]

    def compress(self, data: bytes) -> bytes:
        self._buf += data
        while len(self._buf) >= BLOCK:
            block = bytes(self._buf[:BLOCK])
            del self._buf[:BLOCK]
            self._submit(block, final=False)
        out = []
        while self._pending and (self._pending[0].done() or len(self._pending) > self._in_flight):
            out.append(self._pending.popleft().result())
        return b"".join(out)

    def flush(self) -> bytes:
        self._submit(bytes(self._buf), final=True)
        self._buf = bytearray()
        out = [f.result() for f in self._pending]
        self._pending.clear()
        return b"".join(out)


def write_zip(folder: Path, zip_path: Path, version: str, date: dt.date, *, threads: int | None = None) -> None:
    """Write a byte-reproducible zip of ``folder`` to ``zip_path`` (entries under ``<package>-<version>/``).

    Parquet is already zstd-compressed and is stored; text is deflated at level 1, several times faster
    than the default and little larger on CSV, and a member of ``PARALLEL_MIN`` bytes or more is deflated
    in blocks on ``threads`` threads (default: the cores, at most 4; the bytes are the same for any number,
    see :class:`_BlockDeflater`). Members that may pass 4 GiB get zip64 headers. The file is fsynced; on
    any failure it is removed.
    """
    stamp = (max(date.year, 1980), date.month, date.day, 0, 0, 0)
    prefix = f"{PACKAGE}-{version}"
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    threads = max(1, threads or min(4, os.cpu_count() or 1))
    try:
        with zipfile.ZipFile(zip_path, "w") as zf, ThreadPoolExecutor(max_workers=threads) as pool:
            for path in files:
                info = zipfile.ZipInfo(f"{prefix}/{path.relative_to(folder).as_posix()}", date_time=stamp)
                info.file_size = path.stat().st_size  # lets zipfile choose zip64 headers up front
                if path.suffix == ".parquet":
                    info.compress_type = zipfile.ZIP_STORED
                else:
                    info.compress_type = zipfile.ZIP_DEFLATED
                    info._compresslevel = ZIP_LEVEL  # the public alias compress_level exists from 3.13 on
                info.external_attr = 0o644 << 16
                info.create_system = 3
                with path.open("rb") as src, zf.open(info, "w") as dst:
                    if info.compress_type == zipfile.ZIP_DEFLATED and info.file_size >= PARALLEL_MIN:
                        dst._compressor = _BlockDeflater(pool, 2 * threads)  # type: ignore[attr-defined]
                    shutil.copyfileobj(src, dst, CHUNK)
        os.chmod(zip_path, FILE_MODE)
        with zip_path.open("rb") as fh:
            os.fsync(fh.fileno())
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            zip_path.unlink()
        raise


def check_zip(zip_path: Path, entry: Entry) -> list[str]:
    """Every difference between an archive's members and the ledger entry of its release."""
    prefix = f"{PACKAGE}-{entry.version}/"
    problems: list[str] = []
    seen: set[str] = set()
    try:
        with zipfile.ZipFile(zip_path) as zf:
            for info in zf.infolist():
                if not info.filename.startswith(prefix):
                    problems.append(f"{zip_path.name}: member {info.filename!r} is outside {prefix}")
                    continue
                rel = info.filename[len(prefix):]
                seen.add(rel)
                expected = entry.files.get(rel)
                if expected is None:
                    problems.append(f"{zip_path.name}: member {rel} is not in the ledger")
                    continue
                h, size = hashlib.sha256(), 0
                with zf.open(info) as member:
                    while chunk := member.read(CHUNK):
                        h.update(chunk)
                        size += len(chunk)
                if size != expected.bytes or h.hexdigest() != expected.sha256:
                    problems.append(f"{zip_path.name}: member {rel} has {size} bytes, sha256 {h.hexdigest()}; "
                                    f"the ledger says {expected.bytes} bytes, sha256 {expected.sha256}")
    except (OSError, zipfile.BadZipFile) as exc:
        return [f"{zip_path}: unreadable archive ({exc})"]
    problems += [f"{zip_path.name}: member {rel} is missing" for rel in sorted(set(entry.files) - seen)]
    return problems


def archive_release(version: str, *, releases_dir: Path = Path("build/releases"),
                    dist_dir: Path = Path("build/dist"), lock_wait: float | None = None) -> Path:
    """Write ``<dist_dir>/openconflict-events-<version>.zip`` again from the published release.

    Under the build lock the release is checked against the ledger; the archive is written under a temporary
    name, read back and checked member by member against the ledger, then renamed into place (replacing any
    earlier copy, which by construction had the same bytes). Returns the archive's path.
    """
    from openconflict.release.guard import build_lock

    releases_dir, dist_dir = Path(releases_dir), Path(dist_dir)
    check_dist_dir(dist_dir, releases_dir)
    with build_lock(releases_dir, lock_wait=lock_wait, versions=[version], create=False) as state:
        entry = state.ledger.get(version) if version in state.ledger else None
        if entry is None:
            known = ", ".join(state.ledger.versions) or "none"
            raise BuildError(f"release {version} is not in the ledger {state.ledger.origin} (published: {known})")
        dist_dir.mkdir(parents=True, exist_ok=True)
        clean_dist(dist_dir)
        tmp = temp_zip(dist_dir, version)
        try:
            write_zip(releases_dir / version, tmp, version, dt.date.fromisoformat(entry.date))
            problems = check_zip(tmp, entry)
            if problems:
                raise BuildError("the archive does not match the ledger: " + "; ".join(problems))
            final = dist_dir / archive_name(version)
            os.replace(tmp, final)
        except OSError as exc:
            raise BuildError(f"could not write the archive of {version} in {dist_dir}: {exc}") from None
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
    return final
