"""Build, register and verify versioned releases under ``build/releases/<version>/``.

Why it is built this way:
- reproducible: every byte written depends only on the inputs and the release date (no wall-clock time,
  sorted rows, fixed zip timestamps), so two builds of the same inputs are identical;
- atomic: a release is assembled in a temporary folder beside its final place and renamed into place in
  one step, and the registry is rewritten (temp file + ``os.replace``) only after that rename;
- immutable and honest: an existing version is refused, and so is a version number smaller than the
  change it publishes (see :mod:`openconflict.diff`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .curated import read_curated
from .derive import derive_events, derive_registries
from .diff import RANK, ReleaseDiff, bump_kind, diff_events, diff_schemas, parse_version
from .files import sha256_file as _sha256
from .report import Report
from .schema import RELEASE_TABLES, Schema, load_schema
from .validate import validate_curated

if TYPE_CHECKING:
    import pyarrow as pa

PACKAGE_NAME = "openconflict-events"
DP_PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"
PARQUET_MEDIATYPE = "application/vnd.apache.parquet"
ROW_GROUP = 4_096  # at most 65,536 (DESIGN); small groups let a country-year read a few thousand rows
ZIP_LEVEL = 1
CSV_BATCH = 65_536
GAZETTEER_CREDIT = {
    "title": "UCDP Georeferenced Event Dataset (GED): place coordinates (CC BY 4.0). Sundberg, Ralph and "
             "Erik Melander (2013) Introducing the UCDP Georeferenced Event Dataset, Journal of Peace "
             "Research 50(4); Högbladh, Stina (2019) UCDP GED Codebook version 19.1, Uppsala University",
    "path": "https://doi.org/10.1177/0022343313484347",
}
NATURAL_EARTH_CREDIT = {"title": "Natural Earth 1:110m Admin 0 countries (public domain): country bounding boxes",
                        "path": "https://www.naturalearthdata.com/"}


class BuildError(Exception):
    """The build was refused; nothing was written."""

    def __init__(self, message: str, report: Report | None = None) -> None:
        super().__init__(message)
        self.report = report


@dataclass
class BuildResult:
    version: str
    path: Path
    events: int
    diff: ReleaseDiff
    previous: str | None
    zip_path: Path | None


_HASHES: dict[tuple[int, int, int, int], str] = {}


def sha256_file(path: Path) -> str:
    """sha256 of a file, remembered by (device, inode, size, mtime) so that the descriptor, SHA256SUMS
    and the registry (which all need it, before and after the final rename) hash each file once."""
    st = path.stat()
    key = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
    if key not in _HASHES:
        _HASHES[key] = _sha256(path)
    return _HASHES[key]


def release_versions(releases_dir: Path) -> list[str]:
    """Versions with a complete release folder (one that has SHA256SUMS), in version order."""
    found = []
    if releases_dir.is_dir():
        for p in releases_dir.iterdir():
            if p.is_dir() and not p.name.startswith(".") and (p / "SHA256SUMS").is_file():
                try:
                    parse_version(p.name)
                except ValueError:
                    continue
                found.append(p.name)
    return sorted(found, key=parse_version)


# ---------------------------------------------------------------------------------------------- writing


def _write_table(table: pa.Table, folder: Path, name: str) -> None:
    """Write the Parquet and CSV twins of one table, in two threads (both writers release the GIL)."""
    from concurrent.futures import ThreadPoolExecutor

    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    def parquet() -> None:
        pq.write_table(table, folder / f"{name}.parquet", compression="zstd", row_group_size=ROW_GROUP,
                       write_statistics=True, use_dictionary=True, version="2.6")

    def csv() -> None:
        pacsv.write_csv(table, folder / f"{name}.csv",
                        write_options=pacsv.WriteOptions(include_header=True, quoting_style="needed",
                                                         batch_size=CSV_BATCH))

    with ThreadPoolExecutor(max_workers=2) as pool:
        for future in [pool.submit(parquet), pool.submit(csv)]:
            future.result()


def _table_schema(schema: Schema, name: str) -> dict[str, Any]:
    from .codebook import synced_table_schemas

    return synced_table_schemas(schema)[f"release/{name}.json"]


def _foreign_keys(name: str) -> list[dict[str, Any]]:
    if name == "events":
        return [{"fields": ["location_id"], "reference": {"resource": "locations", "fields": ["location_id"]}}]
    return []


def _descriptor(schema: Schema, version: str, date: dt.date, folder: Path, sources: pa.Table,
                events: int, diff: ReleaseDiff, previous: str | None) -> dict[str, Any]:
    resources = []
    for name in RELEASE_TABLES:
        ts = _table_schema(schema, name)
        ts = {k: v for k, v in ts.items() if k != "foreignKeys"}
        ts["fields"] = [{k: v for k, v in f.items()} for f in ts["fields"]]
        fks = _foreign_keys(name)
        if fks:
            ts["foreignKeys"] = fks
        csv_path = folder / "data" / f"{name}.csv"
        pq_path = folder / "data" / f"{name}.parquet"
        resources.append({
            "name": name, "type": "table", "path": f"data/{name}.csv", "format": "csv", "mediatype": "text/csv",
            "encoding": "utf-8", "bytes": csv_path.stat().st_size, "hash": f"sha256:{sha256_file(csv_path)}",
            "dialect": {"delimiter": ",", "header": True, "quoteChar": '"'},
            "schema": ts,
        })
        # No bytes/hash here: frictionless-py 5 reads Parquet without its byte stream and would report
        # every declared count as a mismatch. The Parquet files' sizes and sha256 are in SHA256SUMS and
        # in the registry, which is what the loader and `openconflict verify` check.
        del pq_path
        resources.append({
            "name": f"{name}-parquet", "type": "table", "path": f"data/{name}.parquet", "format": "parquet",
            "mediatype": PARQUET_MEDIATYPE, "schema": ts,
            "description": f"The {name} table as Parquet (zstd); same rows and columns as data/{name}.csv. "
                           "Size and sha256: see SHA256SUMS.",
        })
    publishers = sorted(set(sources.column("publisher").to_pylist()))
    return {
        "$schema": DP_PROFILE,
        "name": PACKAGE_NAME,
        "id": f"urn:openconflict:events:{version}",
        "version": version,
        "title": "OpenConflict: political violence and protest events",
        "description": (
            f"OpenConflict release {version}: {events} events coded from cited public reports, in ACLED's "
            f"column layout. Changes against {previous or 'nothing (first release)'}: {diff.added} added, "
            f"{diff.modified} modified, {diff.deleted} deleted. Not a complete record of any conflict: "
            "see codebook.md for coverage."
        ),
        "homepage": "https://github.com/openconflict/openconflict",
        "created": f"{date.isoformat()}T00:00:00Z",
        "keywords": ["conflict", "political violence", "protest", "events", "Syria", "ACLED-compatible"],
        "licenses": [{"name": "CC-BY-4.0", "title": "Creative Commons Attribution 4.0",
                      "path": "https://creativecommons.org/licenses/by/4.0/"}],
        "contributors": [{"title": "OpenConflict contributors", "roles": ["creator"]}],
        "sources": [{"title": f"Reports published by {p}"} for p in publishers]
                   + [GAZETTEER_CREDIT, NATURAL_EARTH_CREDIT],
        "resources": resources,
    }


def _changelog_section(changelog: Path | None, version: str, date: dt.date, diff: ReleaseDiff,
                       previous: str | None) -> str:
    body = ""
    if changelog is not None and changelog.is_file():
        text = changelog.read_text(encoding="utf-8")
        m = re.search(rf"^## \[{re.escape(version)}\][^\n]*\n(.*?)(?=^## \[|\Z)", text, re.M | re.S)
        if m:
            body = m.group(1).strip()
    lines = [f"## [{version}] - {date.isoformat()}", ""]
    if body:
        lines += [body, ""]
    lines += ["### Data changes (generated by the build)", "",
              f"Against {previous or 'no earlier release'}: {diff.added} event(s) added, {diff.modified} modified, "
              f"{diff.deleted} deleted."]
    lines += [f"- Schema ({sc.kind}): {sc.description}" for sc in diff.schema_changes]
    return "\n".join(lines) + "\n"


def _citation(version: str, date: dt.date, template: Path | None) -> str:
    if template is not None and template.is_file():
        text = template.read_text(encoding="utf-8")
        text = re.sub(r"^version:.*$", f'version: "{version}"', text, flags=re.M)
        text = re.sub(r"^date-released:.*$", f'date-released: "{date.isoformat()}"', text, flags=re.M)
        return text
    return (
        "cff-version: 1.2.0\nmessage: \"If you use this dataset, please cite this release.\"\ntype: dataset\n"
        "title: \"OpenConflict: political violence and protest events\"\nauthors:\n"
        "  - name: \"OpenConflict contributors\"\n"
        f"version: \"{version}\"\ndate-released: \"{date.isoformat()}\"\nlicense: CC-BY-4.0\n"
    )


def write_zip(folder: Path, zip_path: Path, date: dt.date) -> None:
    """A byte-reproducible zip: sorted entries, fixed timestamps and permissions, fixed compression."""
    stamp = (max(date.year, 1980), date.month, date.day, 0, 0, 0)
    prefix = f"{PACKAGE_NAME}-{folder.name}"
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    tmp = zip_path.with_name(f".{zip_path.name}.{os.getpid()}.tmp")
    with zipfile.ZipFile(tmp, "w") as zf:
        for path in files:
            info = zipfile.ZipInfo(f"{prefix}/{path.relative_to(folder).as_posix()}", date_time=stamp)
            # Parquet is already zstd-compressed: store it. Text is deflated at level 1, which is several
            # times faster than the default and costs little size on CSV.
            if path.suffix == ".parquet":
                info.compress_type = zipfile.ZIP_STORED
            else:
                info.compress_type = zipfile.ZIP_DEFLATED
                info._compresslevel = ZIP_LEVEL  # the public alias compress_level exists from 3.13 on
            info.external_attr = 0o644 << 16
            info.create_system = 3
            with path.open("rb") as src, zf.open(info, "w") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
    os.replace(tmp, zip_path)


def _fsync_tree(folder: Path) -> None:
    for p in folder.rglob("*"):
        if p.is_file():
            with p.open("rb") as fh:
                os.fsync(fh.fileno())


# ---------------------------------------------------------------------------------------------- registry


def registry_entry(folder: Path) -> dict[str, Any]:
    """The registry record of one complete release folder, computed from its files."""
    import pyarrow.parquet as pq

    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    files = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            files[p.relative_to(folder).as_posix()] = {"bytes": p.stat().st_size, "sha256": sha256_file(p)}
    return {
        "version": folder.name,
        "date": descriptor["created"][:10],
        "events": pq.ParquetFile(folder / "data" / "events.parquet").metadata.num_rows,
        "bytes": sum(f["bytes"] for f in files.values()),
        "files": files,
    }


def write_registry(releases_dir: Path) -> Path:
    """Rewrite ``registry.json`` from the complete release folders (atomically)."""
    entries = [registry_entry(releases_dir / v) for v in release_versions(releases_dir)]
    path = releases_dir / "registry.json"
    text = json.dumps({"format": 1, "package": PACKAGE_NAME, "releases": entries}, indent=2) + "\n"
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return path
    fd, tmp = tempfile.mkstemp(prefix=".registry.", dir=releases_dir)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return path


# ---------------------------------------------------------------------------------------------- build


def _read_previous(releases_dir: Path, version: str) -> tuple[str | None, pa.Table | None, list[dict[str, Any]] | None]:
    import pyarrow.parquet as pq

    older = [v for v in release_versions(releases_dir) if parse_version(v) < parse_version(version)]
    if not older:
        return None, None, None
    prev = older[-1]
    folder = releases_dir / prev
    table = pq.read_table(folder / "data" / "events.parquet")
    desc = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    fields = next(r["schema"]["fields"] for r in desc["resources"] if r["name"] == "events")
    return prev, table, fields


def build_release(root: Path, version: str, *, date: str | dt.date | None = None,
                  releases_dir: Path = Path("build/releases"), dist_dir: Path | None = Path("build/dist"),
                  dry_run: bool = False, changelog: Path | None = None, citation: Path | None = None,
                  schema: Schema | None = None) -> BuildResult:
    """Validate ``root`` (a datasets folder), derive the release tables and publish ``version``.

    With ``dry_run`` everything is built and checked in a temporary folder that is then removed.
    Raises :class:`BuildError` (having written nothing) on validation errors, an existing version, or a
    version number that understates the change.
    """

    schema = schema or load_schema()
    root, releases_dir = Path(root), Path(releases_dir)
    try:
        parse_version(version)
    except ValueError as exc:
        raise BuildError(str(exc)) from None
    if isinstance(date, str):
        try:
            date = dt.date.fromisoformat(date)
        except ValueError:
            raise BuildError(f"not a date YYYY-MM-DD: {date!r}") from None
    date = date or dt.datetime.now(dt.UTC).date()
    final = releases_dir / version
    if final.exists():
        raise BuildError(f"release {version} already exists at {final}; published releases are never "
                         "overwritten: choose a new version")
    if not dry_run and release_versions(releases_dir):
        write_registry(releases_dir)  # repair a registry left stale by an interrupted build

    curated = read_curated(root, schema)
    report = validate_curated(curated, schema)
    if not report.ok:
        raise BuildError(f"validation failed: {report.summary()}", report)

    events = derive_events(curated, schema)
    registries = derive_registries(curated, schema)
    previous, prev_events, prev_fields = _read_previous(releases_dir, version)
    diff = diff_events(prev_events, events)
    if prev_fields is not None:
        diff.schema_changes = diff_schemas(prev_fields, _table_schema(schema, "events")["fields"])
    if prev_events is not None:
        tombstones = set(registries["deletions"].column("event_id").to_pylist())
        vanished = [e for e in diff.ids("deleted") if e not in tombstones]
        if vanished:
            raise BuildError("events missing without a tombstone in deletions.csv: " + ", ".join(vanished[:20])
                             + (" …" if len(vanished) > 20 else ""))
    if previous is not None:
        if parse_version(version) <= parse_version(previous):
            raise BuildError(f"version {version} is not above the latest release {previous}")
        got, need = bump_kind(previous, version), diff.required
        if RANK[got] < RANK[need]:
            raise BuildError(f"version {version} understates the change since {previous}: it is a {got} bump, "
                             f"but the change needs at least a {need} bump ({diff.summary()})")

    releases_dir.mkdir(parents=True, exist_ok=True)
    with _build_lock(releases_dir):
        return _publish(schema, root, version, date, releases_dir, dist_dir, dry_run, changelog, citation,
                        events, registries, diff, previous)


@contextlib.contextmanager
def _build_lock(releases_dir: Path) -> Iterator[None]:
    """One build at a time per releases folder; leftovers of killed builds are removed under the lock."""
    import fcntl

    with (releases_dir / ".build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for stale in releases_dir.glob(".tmp-*"):
            shutil.rmtree(stale, ignore_errors=True)
        for stale in releases_dir.glob(".registry.*"):
            stale.unlink(missing_ok=True)
        yield


def _publish(schema: Schema, root: Path, version: str, date: dt.date, releases_dir: Path, dist_dir: Path | None,
             dry_run: bool, changelog: Path | None, citation: Path | None, events: pa.Table,
             registries: dict[str, pa.Table], diff: ReleaseDiff, previous: str | None) -> BuildResult:
    final = releases_dir / version
    if final.exists():
        raise BuildError(f"release {version} already exists at {final}; published releases are never overwritten")
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{version}-", dir=releases_dir))
    try:
        data = tmp / "data"
        data.mkdir()
        _write_table(events, data, "events")
        for name, table in registries.items():
            _write_table(table, data, name)
        _write_table(diff.changes, data, "changes")
        descriptor = _descriptor(schema, version, date, tmp, registries["sources"], events.num_rows, diff, previous)
        (tmp / "datapackage.json").write_text(json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n",
                                              encoding="utf-8")
        shutil.copyfile(schema.root / "codebook.md", tmp / "codebook.md")
        repo = root.resolve().parent
        changelog = changelog if changelog is not None else repo / "CHANGELOG.md"
        citation = citation if citation is not None else repo / "CITATION.cff"
        (tmp / "CHANGELOG.md").write_text(_changelog_section(changelog, version, date, diff, previous),
                                          encoding="utf-8")
        (tmp / "CITATION.cff").write_text(_citation(version, date, citation), encoding="utf-8")
        sums = [f"{sha256_file(p)}  {p.relative_to(tmp).as_posix()}"
                for p in sorted(tmp.rglob("*")) if p.is_file()]
        (tmp / "SHA256SUMS").write_text("\n".join(sums) + "\n", encoding="utf-8")
        for p in [tmp, *tmp.rglob("*")]:
            os.chmod(p, 0o755 if p.is_dir() else 0o644)
        zip_path = None
        if dry_run:
            problems = verify_folder(tmp, expected_version=None)
            if problems:
                raise BuildError("dry run produced an inconsistent release: " + "; ".join(problems))
            return BuildResult(version, tmp, events.num_rows, diff, previous, None)
        _fsync_tree(tmp)
        os.rename(tmp, final)  # the commit point: the release appears whole or not at all
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    write_registry(releases_dir)
    if dist_dir is not None:
        Path(dist_dir).mkdir(parents=True, exist_ok=True)
        zip_path = Path(dist_dir) / f"{PACKAGE_NAME}-{version}.zip"
        write_zip(final, zip_path, date)
    return BuildResult(version, final, events.num_rows, diff, previous, zip_path)


# ---------------------------------------------------------------------------------------------- verify


def verify_folder(folder: Path, expected_version: str | None) -> list[str]:
    """Problems with one release folder: SHA256SUMS, the descriptor's bytes and hashes, stray files."""
    problems: list[str] = []
    sums_path = folder / "SHA256SUMS"
    if not sums_path.is_file():
        return [f"{folder.name}: SHA256SUMS is missing"]
    listed: dict[str, str] = {}
    for line in sums_path.read_text(encoding="utf-8").splitlines():
        digest, _, rel = line.partition("  ")
        listed[rel] = digest
    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()} - {"SHA256SUMS"}
    for rel in sorted(present - set(listed)):
        problems.append(f"{folder.name}/{rel}: not listed in SHA256SUMS")
    for rel, digest in sorted(listed.items()):
        path = folder / rel
        if not path.is_file():
            problems.append(f"{folder.name}/{rel}: listed in SHA256SUMS but missing")
        elif sha256_file(path) != digest:
            problems.append(f"{folder.name}/{rel}: sha256 differs from SHA256SUMS")
    try:
        desc = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return [*problems, f"{folder.name}/datapackage.json: unreadable ({exc})"]
    if expected_version is not None and desc.get("version") != expected_version:
        problems.append(f"{folder.name}: descriptor says version {desc.get('version')}")
    for res in desc.get("resources", []):
        path = folder / res["path"]
        if not path.is_file():
            problems.append(f"{folder.name}/{res['path']}: resource file missing")
            continue
        if "bytes" in res and res["bytes"] != path.stat().st_size:
            problems.append(f"{folder.name}/{res['path']}: size differs from datapackage.json")
        if "hash" in res and res["hash"] != f"sha256:{sha256_file(path)}":
            problems.append(f"{folder.name}/{res['path']}: hash differs from datapackage.json")
    return problems


def verify_releases(releases_dir: Path, version: str | None = None) -> list[str]:
    """Re-hash committed releases against SHA256SUMS, their descriptors and the registry."""
    problems: list[str] = []
    versions = release_versions(releases_dir)
    if version is not None and version not in versions:
        return [f"no release {version} in {releases_dir}"]
    reg_path = releases_dir / "registry.json"
    registry: dict[str, Any] = {}
    if reg_path.is_file():
        registry = {e["version"]: e for e in json.loads(reg_path.read_text(encoding="utf-8"))["releases"]}
    elif versions:
        problems.append(f"{reg_path}: missing")
    for v in [version] if version else versions:
        folder = releases_dir / v
        problems += verify_folder(folder, v)
        entry = registry.get(v)
        if entry is None:
            problems.append(f"{v}: not in the registry")
            continue
        actual = registry_entry(folder)
        if entry != actual:
            problems.append(f"{v}: registry entry differs from the files on disk")
    for v in registry:
        if v not in versions:
            problems.append(f"{v}: in the registry but no complete release folder")
    return problems
