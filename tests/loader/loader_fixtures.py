"""Synthetic releases on disk and a real HTTP mirror, for the loader tests.

Every row written here is synthetic (notes say "SYNTHETIC TEST ROW"); the layout follows the
release contract (build/releases/<version>/..., registry.json) so the loader is exercised
exactly as it is in an installed wheel, without depending on the build being finished.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import http.server
import json
import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest

SYNTHETIC = "SYNTHETIC TEST ROW"
VERSIONS = ("0.1.0", "0.2.0", "0.3.0")
ROW_GROUP = 16  # tiny row groups so that pruning is observable on a small file

COUNTRIES = {  # iso3: (iso numeric, name, region)
    "AFG": (4, "Afghanistan", "South Asia"),
    "NGA": (566, "Nigeria", "Western Africa"),
    "SYR": (760, "Syria", "Middle East"),
    "YEM": (887, "Yemen", "Middle East"),
}
EVENT_TYPES = [
    ("Battles", "Armed clash", "Political violence"),
    ("Protests", "Peaceful protest", "Demonstrations"),
    ("Riots", "Violent demonstration", "Demonstrations"),
    ("Violence against civilians", "Attack", "Political violence"),
    ("Explosions/Remote violence", "Air/drone strike", "Political violence"),
]
ACTORS = [  # name, type code
    ("Synthetic State Forces", 1),
    ("Synthetic Rebels", 2),
    ("Synthetic Militia (Alpha)", 3),
    ("Synthetic Clan Militia", 4),
    ("Rioters (Synthetic)", 5),
    ("Protesters (Synthetic)", 6),
    ("Civilians (Synthetic)", 7),
    ("Synthetic Coalition Forces", 8),
]
SOURCE_SCALES = ["Local", "National", "International"]

EVENT_SCHEMA = pa.schema([
    ("event_id_cnty", pa.string()), ("event_date", pa.date32()), ("year", pa.int32()),
    ("time_precision", pa.int32()), ("disorder_type", pa.string()), ("event_type", pa.string()),
    ("sub_event_type", pa.string()), ("actor1", pa.string()), ("assoc_actor_1", pa.string()),
    ("inter1", pa.int32()), ("actor2", pa.string()), ("assoc_actor_2", pa.string()), ("inter2", pa.int32()),
    ("interaction", pa.int32()), ("civilian_targeting", pa.string()), ("iso", pa.int32()),
    ("region", pa.string()), ("country", pa.string()), ("admin1", pa.string()), ("admin2", pa.string()),
    ("admin3", pa.string()), ("location", pa.string()), ("latitude", pa.float64()),
    ("longitude", pa.float64()), ("geo_precision", pa.int32()), ("source", pa.string()),
    ("source_scale", pa.string()), ("notes", pa.string()), ("fatalities", pa.int32()), ("tags", pa.string()),
    ("timestamp", pa.int64()), ("iso3", pa.string()), ("location_id", pa.string()),
    ("source_ids", pa.string()), ("source_urls", pa.string()),
])


def make_events(n_per_country: int = 40) -> list[dict[str, Any]]:
    """Deterministic synthetic events: 4 countries x n events across 2023-2024."""
    rows: list[dict[str, Any]] = []
    for ci, (iso3, (iso, name, region)) in enumerate(sorted(COUNTRIES.items())):
        for i in range(n_per_country):
            et, sub, disorder = EVENT_TYPES[(i + ci) % len(EVENT_TYPES)]
            a1, t1 = ACTORS[(i * 3 + ci) % len(ACTORS)]
            second = (i % 4) != 0
            a2, t2 = ACTORS[(i * 5 + 1) % len(ACTORS)] if second else (None, 0)
            date = dt.date(2023, 1, 1) + dt.timedelta(days=(i * 17 + ci * 3) % 700)
            inter = t1 * 10 + t2 if t2 == 0 or t1 <= t2 else t2 * 10 + t1
            rows.append({
                "event_id_cnty": f"{iso3}{i + 1}",
                "event_date": date,
                "year": date.year,
                "time_precision": 1 + i % 3,
                "disorder_type": disorder,
                "event_type": et,
                "sub_event_type": sub,
                "actor1": a1,
                "assoc_actor_1": "Synthetic Militia (Alpha); Synthetic Students" if i % 7 == 0 else None,
                "inter1": t1,
                "actor2": a2,
                "assoc_actor_2": "Synthetic Farmers" if i % 5 == 0 and second else None,
                "inter2": t2 if second else None,
                "interaction": inter,
                "civilian_targeting": "Civilian targeting" if t2 == 7 else None,
                "iso": iso,
                "region": region,
                "country": name,
                "admin1": f"{name} Province {i % 3 + 1}",
                "admin2": f"{name} District {i % 5 + 1}",
                "admin3": None,
                "location": f"Synthetic Town {i % 6 + 1}",
                "latitude": round(10 + ci + (i % 10) / 10, 4),
                "longitude": round(40 + ci - (i % 10) / 10, 4),
                "geo_precision": 1 + i % 3,
                "source": f"Synthetic Wire {i % 3 + 1}",
                "source_scale": SOURCE_SCALES[i % 3],
                "notes": f"{SYNTHETIC}: {et} {i}.",
                "fatalities": (i * 7) % 11,
                "tags": None,
                "timestamp": 1_700_000_000 + i,
                "iso3": iso3,
                "location_id": f"{iso3}-L{i % 6 + 1}",
                "source_ids": f"S{i % 3 + 1}",
                "source_urls": f"https://example.org/synthetic/{i % 3 + 1}",
            })
    return rows


def evolve(rows: list[dict[str, Any]], step: int) -> list[dict[str, Any]]:
    """The next version's events: one deleted, one modified, one added per country."""
    out: list[dict[str, Any]] = []
    for r in rows:
        num = int(r["event_id_cnty"][3:])
        if num == 2 + step:
            continue  # deleted
        r = dict(r)
        if num == 5 + step:
            r["fatalities"] = r["fatalities"] + 100
            r["notes"] = f"{SYNTHETIC}: corrected in step {step}."
            r["timestamp"] = 1_800_000_000 + step
        out.append(r)
    for iso3 in COUNTRIES:
        base = dict(next(r for r in rows if r["iso3"] == iso3))
        base["event_id_cnty"] = f"{iso3}{1000 + step}"
        base["notes"] = f"{SYNTHETIC}: added in step {step}."
        out.append(base)
    return out


def sort_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda r: (r["iso3"], r["event_date"], r["event_id_cnty"]))


def diff_rows(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """An independent (pure Python) diff, to check the loader's computed one against."""

    def text(v: Any) -> str | None:
        if v is None:
            return None
        return v.isoformat() if isinstance(v, dt.date) else str(v)

    a = {r["event_id_cnty"]: r for r in old}
    b = {r["event_id_cnty"]: r for r in new}
    out: list[dict[str, Any]] = []
    for eid in sorted(set(a) | set(b)):
        if eid not in a:
            out.append({"event_id": eid, "change": "added", "field": None, "old_value": None, "new_value": None})
        elif eid not in b:
            out.append({"event_id": eid, "change": "deleted", "field": None, "old_value": None, "new_value": None})
        else:
            for f in EVENT_SCHEMA.names[1:]:
                if f == "timestamp":  # bookkeeping, not a correction: the build's diff ignores it
                    continue
                if a[eid][f] != b[eid][f]:
                    out.append({"event_id": eid, "change": "modified", "field": f,
                                "old_value": text(a[eid][f]), "new_value": text(b[eid][f])})
    return out


def _write_table(table: pa.Table, folder: Path, name: str) -> None:
    pq.write_table(table, folder / f"{name}.parquet", compression="zstd", row_group_size=ROW_GROUP,
                   write_statistics=True)
    pcsv.write_csv(table, folder / f"{name}.csv")


def _field_type(t: pa.DataType) -> str:
    if pa.types.is_integer(t):
        return "integer"
    if pa.types.is_floating(t):
        return "number"
    if pa.types.is_date(t):
        return "date"
    return "string"


def write_release(root: Path, version: str, rows: list[dict[str, Any]], changes: list[dict[str, Any]],
                  date: str) -> Path:
    """One release folder in the contract's layout."""
    folder = root / version
    data = folder / "data"
    data.mkdir(parents=True)
    events = pa.Table.from_pylist(sort_rows(rows), schema=EVENT_SCHEMA)
    tables = {
        "events": events,
        "actors": pa.table({
            "actor": [a for a, _ in ACTORS],
            "actor_type": pa.array([t for _, t in ACTORS], pa.int32()),
            "country_iso3": pa.array([None] * len(ACTORS), pa.string()),
            "description": [f"{SYNTHETIC} actor" for _ in ACTORS],
        }),
        "locations": pa.table({
            "location_id": [f"{c}-L{i}" for c in sorted(COUNTRIES) for i in range(1, 7)],
            "location": [f"Synthetic Town {i}" for _ in COUNTRIES for i in range(1, 7)],
            "latitude": [10.0 + i for _ in COUNTRIES for i in range(1, 7)],
            "longitude": [40.0 + i for _ in COUNTRIES for i in range(1, 7)],
        }),
        "sources": pa.table({
            "source_id": ["S1", "S2", "S3"],
            "publisher": [f"Synthetic Wire {i}" for i in range(1, 4)],
            "published": pa.array([dt.date(2023, 1, i) for i in range(1, 4)], pa.date32()),
            "source_scale": SOURCE_SCALES,
        }),
        "deletions": pa.table({
            "event_id": pa.array([c["event_id"] for c in changes if c["change"] == "deleted"], pa.string()),
            "deleted_in": pa.array([version for c in changes if c["change"] == "deleted"], pa.string()),
            "reason": pa.array([SYNTHETIC for c in changes if c["change"] == "deleted"], pa.string()),
        }),
        "changes": pa.Table.from_pylist(changes, schema=pa.schema(
            [(c, pa.string()) for c in ("event_id", "change", "field", "old_value", "new_value")])),
    }
    for name, table in tables.items():
        _write_table(table, data, name)
    enums = {"event_type": sorted({e for e, _, _ in EVENT_TYPES}),
             "sub_event_type": sorted({s for _, s, _ in EVENT_TYPES}),
             "disorder_type": sorted({d for _, _, d in EVENT_TYPES}),
             "country": sorted(n for _, n, _ in COUNTRIES.values()) + ["Yemen Arab Republic (synthetic)"],
             "source_scale": SOURCE_SCALES}
    resources = []
    for name, table in tables.items():
        for fmt, media in (("parquet", "application/vnd.apache.parquet"), ("csv", "text/csv")):
            path = data / f"{name}.{fmt}"
            fields = []
            for f in table.schema:
                spec: dict[str, Any] = {"name": f.name, "type": _field_type(f.type)}
                if name == "events" and f.name in enums:
                    spec["constraints"] = {"enum": enums[f.name]}
                fields.append(spec)
            # As the build does: the CSV is the tabular resource with the Table Schema, the Parquet a file.
            res: dict[str, Any] = {
                "name": name if fmt == "csv" else f"{name}-parquet", "type": "table" if fmt == "csv" else "file",
                "path": f"data/{name}.{fmt}", "format": fmt, "mediatype": media,
                "bytes": path.stat().st_size, "hash": "sha256:" + sha256(path),
            }
            if fmt == "csv":
                res["schema"] = {"fields": fields}
            resources.append(res)
    dp = {"$schema": "https://datapackage.org/profiles/2.0/datapackage.json", "name": "openconflict-events",
          "version": version, "created": f"{date}T00:00:00Z", "title": f"OpenConflict {SYNTHETIC} release",
          "licenses": [{"name": "CC-BY-4.0"}], "resources": resources}
    (folder / "datapackage.json").write_text(json.dumps(dp, indent=2, sort_keys=True), encoding="utf-8")
    (folder / "codebook.md").write_text(f"# Codebook ({SYNTHETIC})\n", encoding="utf-8")
    (folder / "CHANGELOG.md").write_text(f"## [{version}] - {date}\n\n### Added\n- {SYNTHETIC}\n", encoding="utf-8")
    (folder / "CITATION.cff").write_text(f"cff-version: 1.2.0\ntype: dataset\nversion: {version}\n", encoding="utf-8")
    sums = [f"{sha256(p)}  {p.relative_to(folder).as_posix()}" for p in sorted(folder.rglob("*")) if p.is_file()]
    (folder / "SHA256SUMS").write_text("\n".join(sums) + "\n", encoding="utf-8")
    return folder


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_registry(root: Path, meta: dict[str, tuple[str, int]]) -> None:
    """registry.json over every version folder under ``root`` (meta: version -> (date, events))."""
    releases = []
    for version, (date, events) in meta.items():
        folder = root / version
        files = {p.relative_to(folder).as_posix(): {"bytes": p.stat().st_size, "sha256": sha256(p)}
                 for p in sorted(folder.rglob("*")) if p.is_file()}
        releases.append({"version": version, "date": date, "events": events, "files": files})
    (root / "registry.json").write_text(json.dumps({"format": 1, "releases": releases}, indent=2), encoding="utf-8")


@dataclass
class Releases:
    """The full set of built releases (what a mirror serves) and their source rows."""

    root: Path
    rows: dict[str, list[dict[str, Any]]]
    meta: dict[str, tuple[str, int]]

    @property
    def latest(self) -> str:
        return VERSIONS[-1]

    def bundle(self, dest: Path, versions: tuple[str, ...] = ()) -> Path:
        """A releases dir as a wheel ships it: the registry plus only ``versions``' folders."""
        dest.mkdir(parents=True)
        shutil.copy2(self.root / "registry.json", dest / "registry.json")
        for v in versions:
            shutil.copytree(self.root / v, dest / v)
        return dest


@pytest.fixture(scope="session")
def releases(tmp_path_factory: pytest.TempPathFactory) -> Releases:
    root = tmp_path_factory.mktemp("releases")
    rows: dict[str, list[dict[str, Any]]] = {}
    meta: dict[str, tuple[str, int]] = {}
    current = make_events()
    previous: list[dict[str, Any]] | None = None
    for step, version in enumerate(VERSIONS):
        if step:
            current = evolve(current, step)
        changes = diff_rows(previous, current) if previous is not None else [
            {"event_id": r["event_id_cnty"], "change": "added", "field": None, "old_value": None,
             "new_value": None} for r in sorted(current, key=lambda r: r["event_id_cnty"])]
        date = f"2026-0{step + 1}-15"
        write_release(root, version, current, changes, date)
        rows[version] = current
        meta[version] = (date, len(current))
        previous = current
    write_registry(root, meta)
    return Releases(root, rows, meta)


# --------------------------------------------------------------------------- environment


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Every test gets its own empty cache and no mirror, offline flag or release override."""
    for var in ("OPENCONFLICT_URL", "OPENCONFLICT_OFFLINE", "OPENCONFLICT_RELEASES", "OPENCONFLICT_TIMEOUT"):
        monkeypatch.delenv(var, raising=False)
    cache = tmp_path / "cache"
    monkeypatch.setenv("OPENCONFLICT_CACHE", str(cache))
    return cache


@pytest.fixture
def bundled_all(releases: Releases, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A wheel that bundles every release (the small-data case): no network needed at all."""
    dest = releases.bundle(tmp_path / "bundled", VERSIONS)
    monkeypatch.setenv("OPENCONFLICT_RELEASES", str(dest))
    return dest


@pytest.fixture
def bundled_latest(releases: Releases, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A wheel that bundles only the latest release (the large-data case)."""
    dest = releases.bundle(tmp_path / "bundled", (VERSIONS[-1],))
    monkeypatch.setenv("OPENCONFLICT_RELEASES", str(dest))
    return dest


# --------------------------------------------------------------------------- HTTP mirror


@dataclass
class Mirror:
    """A real HTTP server on 127.0.0.1 serving a releases folder, with injectable faults."""

    root: Path
    server: http.server.ThreadingHTTPServer
    requests: list[str] = field(default_factory=list)
    faults: dict[str, str] = field(default_factory=dict)  # url path suffix -> fault name
    delay: float = 0.0
    release_stall: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def count(self, suffix: str) -> int:
        with self.lock:
            return sum(1 for r in self.requests if r.endswith(suffix))


def _handler(mirror: Mirror) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # keep test output clean
            pass

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            with mirror.lock:
                mirror.requests.append(self.path)
            if mirror.delay:
                threading.Event().wait(mirror.delay)
            fault = next((f for s, f in mirror.faults.items() if self.path.endswith(s)), None)
            target = (mirror.root / self.path.lstrip("/")).resolve()
            if fault == "404" or not target.is_file() or mirror.root.resolve() not in target.parents:
                self.send_error(404, "Not Found")
                return
            body = target.read_bytes()
            if fault == "wrong":
                body = bytes(reversed(body))  # same size, different content
            if fault == "longer":
                body = body + b"extra bytes"
            self.send_response(200)
            if fault != "short":
                self.send_header("Content-Length", str(len(body)))
            self.send_header("Content-Type", "application/octet-stream")
            self.end_headers()
            if fault in ("truncate", "short"):
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            if fault == "stall":
                self.wfile.write(body[:10])
                self.wfile.flush()
                mirror.release_stall.wait(10)
                return
            self.wfile.write(body)

    return Handler


@pytest.fixture
def mirror(releases: Releases, monkeypatch: pytest.MonkeyPatch) -> Iterator[Mirror]:
    """Serve every built release on an ephemeral port and point OPENCONFLICT_URL at it."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    server.daemon_threads = True
    m = Mirror(releases.root, server)
    server.RequestHandlerClass = _handler(m)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    monkeypatch.setenv("OPENCONFLICT_URL", m.url + "/")
    monkeypatch.setenv("OPENCONFLICT_TIMEOUT", "5")
    try:
        yield m
    finally:
        m.release_stall.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


def subprocess_env(**extra: str) -> dict[str, str]:
    """The current environment, importing the very openconflict this test process imported."""
    import openconflict

    package_parent = Path(openconflict.__file__).resolve().parents[1]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(package_parent), env.get("PYTHONPATH", "")]))
    env.update(extra)
    return env
