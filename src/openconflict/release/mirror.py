"""``openconflict publish VERSION --to DIR``: lay releases into a static mirror folder.

Why a folder: any static host (a web server, an object store bucket, a Pages site) can serve a folder laid
out like ``build/releases/`` (``<version>/...`` and ``registry.json``), and a loader learns new versions from
the mirror's ledger only when it extends the ledger it already trusts. So the mirror's history may only
grow too: its ledger must be a prefix of ours, and what we write must extend it.

Order, under the build lock (releases checked against the ledger) and the mirror's own lock: every release
up to VERSION that the mirror lacks is copied into a temporary folder in the mirror, each copied file is
checked against the ledger, the folder is flushed and renamed into place; releases the mirror already holds
are checked file by file; then, last, the mirror's ledger is replaced atomically by ours up to VERSION. A
reader of the mirror therefore never sees a ledger entry whose files are not there.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from openconflict import config
from openconflict.errors import BuildError, LedgerError
from openconflict.files import DIR_MODE, FILE_MODE, fsync_dir, locked, sha256_file
from openconflict.ledger import (
    LEDGER_FILE,
    Entry,
    Ledger,
    check_extends,
    check_folder,
    read_ledger,
    write_extension,
)
from openconflict.release.guard import TMP_PREFIX, build_lock, clean_leftovers, fsync_tree
from openconflict.versions import is_version

__all__ = ["MIRROR_LOCK", "publish_to_mirror"]

MIRROR_LOCK = ".publish.lock"


def _check_target(to: Path, releases_dir: Path) -> None:
    if to.exists() and not to.is_dir():
        raise BuildError(f"the mirror folder {to} is a file, not a folder; point --to at a folder")
    a, b = to.resolve(), releases_dir.resolve()
    if a == b or b in a.parents or a in b.parents:
        raise BuildError(f"the mirror folder {to} overlaps the releases folder {releases_dir}; choose a separate "
                         "folder")


def _copy_release(src: Path, to: Path, entry: Entry) -> None:
    """Copy one verified release into ``to/<version>`` through a temporary folder, checking every copy."""
    tmp = Path(tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{entry.version}-", dir=to))
    try:
        for rel, meta in sorted(entry.files.items()):
            target = tmp / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src / rel, target)
            os.chmod(target, FILE_MODE)
            actual = sha256_file(target, memo=False)
            if actual != meta.sha256 or target.stat().st_size != meta.bytes:
                raise BuildError(f"the copy of {entry.version}/{rel} in the mirror has sha256 {actual}; the "
                                 f"ledger says {meta.sha256}")
        for p in [tmp, *tmp.rglob("*")]:
            if p.is_dir():
                os.chmod(p, DIR_MODE)
        fsync_tree(tmp)
        os.rename(tmp, to / entry.version)
        fsync_dir(to)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _mirror_ledger(to: Path) -> Ledger | None:
    path = to / LEDGER_FILE
    if not path.exists() and not path.is_symlink():
        return None
    try:
        return read_ledger(path)
    except LedgerError as exc:
        raise BuildError(f"the mirror's ledger cannot be used, so nothing was published: {exc}") from None


def publish_to_mirror(version: str, to: Path, *, releases_dir: Path = Path("build/releases"),
                      lock_wait: float | None = None) -> list[str]:
    """Lay release ``version`` (and any earlier release the mirror lacks) into the mirror folder ``to``.

    Returns the versions copied (empty when the mirror already held them all). Refuses, writing nothing,
    when a release or the mirror's ledger does not match our ledger.
    """
    to, releases_dir = Path(to), Path(releases_dir)
    _check_target(to, releases_dir)
    wait = config.lock_wait() if lock_wait is None else lock_wait
    with build_lock(releases_dir, lock_wait=wait, create=False) as state:
        ours = state.ledger
        if version not in ours:
            raise BuildError(f"release {version} is not in the ledger {ours.origin} (published: "
                             f"{', '.join(ours.versions) or 'none'})")
        upto = ours.versions.index(version) + 1
        try:
            to.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise BuildError(f"cannot create the mirror folder {to}: {exc}") from None
        with locked(to / MIRROR_LOCK, wait=wait, what=f"the mirror folder {to}"):
            clean_leftovers(to)
            theirs = _mirror_ledger(to)
            if theirs is not None:
                try:
                    check_extends(theirs, ours)
                except LedgerError as exc:
                    raise BuildError(f"refused to publish into {to}: {exc}") from None
                upto = max(upto, len(theirs.entries))
            target = Ledger(ours.entries[:upto], str(to / LEDGER_FILE))
            problems = [f"{p.name}: a release folder in the mirror that the ledger does not list"
                        for p in sorted(to.iterdir()) if is_version(p.name) and p.name not in target]
            missing = []
            for entry in target.entries:
                if (to / entry.version).exists() or (to / entry.version).is_symlink():
                    problems += check_folder(to / entry.version, entry)
                else:
                    missing.append(entry)
            if problems:
                raise BuildError(f"the mirror {to} does not match the ledger, so nothing was published:\n  "
                                 + "\n  ".join(problems))
            for entry in missing:
                _copy_release(releases_dir / entry.version, to, entry)
            try:
                write_extension(to, target)
            except (OSError, LedgerError) as exc:
                raise BuildError(f"could not write the mirror's ledger: {exc}") from None
    return [e.version for e in missing]
