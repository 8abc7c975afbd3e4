"""``openconflict verify``: published releases against the ledger, their SHA256SUMS and their descriptors.

Why three checks: the ledger is the authority (every file's size and sha256, and the hash chain), but a
researcher who downloaded one folder checks it with ``sha256sum -c SHA256SUMS`` or frictionless against
``datapackage.json``; all three must tell the same story, so verify checks that they agree with each other
and with the bytes on disk. Read-only: it takes no lock and writes nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

from openconflict.errors import BuildError
from openconflict.files import sha256_file
from openconflict.ledger import Entry, check_published
from openconflict.release.guard import PENDING_FILE, read_releases_ledger

__all__ = ["release_versions", "verify_folder", "verify_releases"]


def release_versions(releases_dir: Path) -> list[str]:
    """Published versions in publication order, as the ledger lists them (empty without a ledger)."""
    return read_releases_ledger(Path(releases_dir)).versions


def _sums(folder: Path, entry: Entry) -> list[str]:
    name = entry.version
    path = folder / "SHA256SUMS"
    try:
        lines = path.read_bytes().decode("utf-8").split("\n")
    except (OSError, UnicodeDecodeError) as exc:
        return [f"{name}/SHA256SUMS: unreadable ({exc})"]
    if lines[-1] != "":
        return [f"{name}/SHA256SUMS: does not end with a newline"]
    listed: dict[str, str] = {}
    problems: list[str] = []
    for n, line in enumerate(lines[:-1], 1):
        digest, sep, rel = line.partition("  ")
        if not sep or len(digest) != 64 or not rel or rel in listed:
            problems.append(f"{name}/SHA256SUMS:{n}: malformed or repeated line {line[:100]!r}")
            continue
        listed[rel] = digest
    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()} - {"SHA256SUMS"}
    problems += [f"{name}/{rel}: not listed in SHA256SUMS" for rel in sorted(present - set(listed))]
    for rel, digest in sorted(listed.items()):
        if not (folder / rel).is_file():
            problems.append(f"{name}/{rel}: listed in SHA256SUMS but missing")
        elif sha256_file(folder / rel) != digest:
            problems.append(f"{name}/{rel}: sha256 differs from SHA256SUMS")
    return problems


def _descriptor(folder: Path, entry: Entry) -> list[str]:
    name = entry.version
    try:
        desc = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
        resources = list(desc["resources"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return [f"{name}/datapackage.json: unreadable ({exc})"]
    problems: list[str] = []
    if desc.get("version") != entry.version:
        problems.append(f"{name}/datapackage.json: says version {desc.get('version')!r}")
    if str(desc.get("created", ""))[:10] != entry.date:
        problems.append(f"{name}/datapackage.json: created {desc.get('created')!r}, the ledger dates it {entry.date}")
    for res in resources:
        rel = res.get("path") if isinstance(res, dict) else None
        if not isinstance(rel, str) or not (folder / rel).is_file():
            problems.append(f"{name}/{rel}: resource file missing")
            continue
        path = folder / rel
        if "bytes" in res and res["bytes"] != path.stat().st_size:
            problems.append(f"{name}/{rel}: size differs from datapackage.json")
        if "hash" in res and res["hash"] != f"sha256:{sha256_file(path)}":
            problems.append(f"{name}/{rel}: hash differs from datapackage.json")
    return problems


def _event_count(folder: Path, entry: Entry) -> list[str]:
    import pyarrow.parquet as pq

    try:
        rows = pq.ParquetFile(folder / "data" / "events.parquet").metadata.num_rows
    except (OSError, ValueError) as exc:
        return [f"{entry.version}/data/events.parquet: unreadable ({exc})"]
    if rows != entry.events:
        return [f"{entry.version}/data/events.parquet: {rows} events, the ledger says {entry.events}"]
    return []


def verify_folder(folder: Path, entry: Entry) -> list[str]:
    """Whether one release folder agrees with itself: SHA256SUMS, descriptor and event count vs ``entry``."""
    return _sums(folder, entry) + _descriptor(folder, entry) + _event_count(folder, entry)


def verify_releases(releases_dir: Path, version: str | None = None) -> list[str]:
    """Every problem with the published releases (or one version): ledger chain, files, sums, descriptors."""
    releases_dir = Path(releases_dir)
    try:
        ledger = read_releases_ledger(releases_dir)
    except BuildError as exc:
        return [str(exc)]
    if version is not None and version not in ledger:
        return [f"no release {version} in the ledger {ledger.origin} (published: {', '.join(ledger.versions) or 'none'})"]
    problems = check_published(releases_dir, ledger, None if version is None else [version])
    for entry in ledger.entries:
        folder = releases_dir / entry.version
        if (version is None or entry.version == version) and folder.is_dir():
            problems += verify_folder(folder, entry)
    if (releases_dir / PENDING_FILE).exists():
        problems.append(f"{releases_dir / PENDING_FILE}: a build was interrupted before recording its release; run "
                        "`openconflict build` (a dry run is enough) to finish or refuse it")
    return problems
