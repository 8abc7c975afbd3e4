"""Local copies of whole releases: ``download`` (everything of a version, verified, for offline use or for
other tools) and ``verify`` (re-hash every bundled and cached copy, reading every byte).

Why apart from loading: loading locates only the files a query needs and trusts an unchanged file's
stamp; these two walk every file of a release and, for ``verify``, never trust a stamp.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from openconflict.files import sha256_file
from openconflict.ledger import Entry
from openconflict.loader.columnar import check_copy
from openconflict.loader.locate import bundled_path, copy_into_cache, local_copy, locate, verified
from openconflict.loader.trust import Trusted, cache, resolve, trusted

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["download", "verify"]


def _download_one(t: Trusted, release: Entry, force: bool) -> Path:
    if not force:
        bundled = t.releases / release.version
        if all(local_copy(t, release, p) == bundled / p for p in release.files):
            return bundled
    for rel in release.files:
        located = locate(t, release, rel, force=force)
        if located.origin == "bundled":  # assemble one complete folder the user can point tools at
            copy_into_cache(t, release, rel, located.path)
    return cache().version_dir(release.version)


def download(version: str | None = None, *, force: bool = False) -> Path | list[Path]:
    """Make every file of ``version`` (None = latest, "all" = every release) available locally, verified.

    Returns the folder holding the complete release (the bundled copy when it is complete, else the cache
    folder); a list of folders for "all". ``force`` downloads again. Useful before going offline.
    """
    if version == "all":
        t = trusted()
        return [_download_one(t, release, force) for release in t.ledger.entries]
    t, release = resolve(version)
    return _download_one(t, release, force)


def verify(version: str | None = None, *, repair: bool = False) -> pd.DataFrame:
    """Re-hash every local copy (bundled and cached) of ``version`` (None = latest, "all").

    One row per file and place: version, file, location (bundled | cache | columnar copy | None), path, status
    (ok | corrupt | missing, or removed for a columnar copy that no longer matched), expected and actual
    sha256. ``repair`` fetches corrupt cached copies again (needs a mirror). Unlike loading, which trusts an
    unchanged file's stamp, this reads every byte.
    """
    import pandas as pd

    if version == "all":
        t = trusted()
        releases = list(t.ledger.entries)
    else:
        t, one = resolve(version)
        releases = [one]
    usable = cache().usable()
    rows: list[dict[str, Any]] = []
    for release in releases:
        for rel, entry in release.files.items():
            bundled = bundled_path(t, release.version, rel)
            places = [("bundled", bundled, f"bundled:{bundled.resolve()}")]
            if usable is not None:
                places.append(("cache", usable.file(release.version, rel), f"cache:{rel}"))
            seen = False
            for where, path, key in places:
                if path is None or not path.is_file():
                    continue
                seen = True
                ok = verified(path, entry, release.version, key, usable, rehash=True)
                actual = entry.sha256 if ok else sha256_file(path, memo=False)
                if not ok and repair and where == "cache":
                    path = locate(t, release, rel, force=True).path
                    ok = verified(path, entry, release.version, key, usable, rehash=True)
                    actual = entry.sha256 if ok else sha256_file(path, memo=False)
                rows.append({"version": release.version, "file": rel, "location": where, "path": str(path),
                             "status": "ok" if ok else "corrupt", "expected": entry.sha256, "actual": actual})
            if not seen:
                rows.append({"version": release.version, "file": rel, "location": None, "path": None,
                             "status": "missing", "expected": entry.sha256, "actual": None})
            copy = check_copy(usable, entry.sha256) if rel == "data/events.parquet" and usable is not None else None
            if copy is not None:  # derived, so a bad one is removed (and made again when needed), not repaired
                path, expected, actual = copy
                rows.append({"version": release.version, "file": rel, "location": "columnar copy",
                             "path": str(path), "status": "ok" if actual == expected else "removed",
                             "expected": expected, "actual": actual})
    return pd.DataFrame(rows, columns=["version", "file", "location", "path", "status", "expected", "actual"])
