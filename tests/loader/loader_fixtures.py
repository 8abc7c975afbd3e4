"""Published SYNTHETIC releases, isolated settings and a real HTTP mirror on 127.0.0.1, for the loader tests.

The releases are written by the release writer (see synthetic.py); a mirror is a copy of such a releases
folder served by ``http.server`` with faults a test can switch on (wrong bytes, wrong length, stalls,
trickles, a password).
"""

from __future__ import annotations

import base64
import http.server
import os
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from synthetic import Tree, publish, rows_as_released

VERSIONS = ("0.1.0", "0.2.0", "0.3.0")
ALL_VARIABLES = ("OPENCONFLICT_URL", "OPENCONFLICT_CACHE", "OPENCONFLICT_OFFLINE", "OPENCONFLICT_TIMEOUT",
                 "OPENCONFLICT_DEADLINE", "OPENCONFLICT_LOCK_WAIT", "OPENCONFLICT_RELEASES", "OPENCONFLICT_SCHEMA",
                 "OPENCONFLICT_COLUMNAR")


@dataclass
class Releases:
    """Every published version, the releases folder as it stood after each one, and the rows behind them."""

    root: Path  # the releases folder after the last version
    snapshots: dict[str, Path]  # version -> a copy of the releases folder right after it was published
    rows: dict[str, dict[str, dict[str, Any]]]  # version -> event id -> released fields
    meta: dict[str, tuple[str, int]]  # version -> (date, events)

    @property
    def latest(self) -> str:
        return VERSIONS[-1]

    def bundle(self, dest: Path, versions: tuple[str, ...] = VERSIONS, *, as_of: str | None = None) -> Path:
        """A releases folder as a wheel ships it: the ledger (as of ``as_of``) and only ``versions``' folders."""
        src = self.snapshots[as_of] if as_of else self.root
        dest.mkdir(parents=True)
        shutil.copy2(src / "registry.json", dest / "registry.json")
        for v in versions:
            shutil.copytree(src / v, dest / v)
        return dest


@pytest.fixture(scope="session")
def releases(tmp_path_factory: pytest.TempPathFactory) -> Releases:
    base = tmp_path_factory.mktemp("published")
    tree = Tree.initial(base / "datasets")
    root = base / "releases"
    snapshots: dict[str, Path] = {}
    rows: dict[str, dict[str, dict[str, Any]]] = {}
    meta: dict[str, tuple[str, int]] = {}
    for step, version in enumerate(VERSIONS):
        if step:
            tree.evolve(version, step)
        date = f"2026-0{step + 1}-15"
        publish(tree, version, date, root)
        snapshots[version] = base / f"as-of-{version}"
        shutil.copytree(root, snapshots[version], ignore=shutil.ignore_patterns(".*"))
        rows[version] = rows_as_released(tree)
        meta[version] = (date, len(tree.events))
    return Releases(root, snapshots, rows, meta)


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Every test gets its own empty cache and no mirror, offline flag, limits or release override."""
    for var in ALL_VARIABLES:
        monkeypatch.delenv(var, raising=False)
    cache = tmp_path / "cache"
    monkeypatch.setenv("OPENCONFLICT_CACHE", str(cache))
    return cache


@pytest.fixture
def bundled_all(releases: Releases, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A package that bundles every release (the small-data case): no network needed at all."""
    dest = releases.bundle(tmp_path / "bundled")
    monkeypatch.setenv("OPENCONFLICT_RELEASES", str(dest))
    return dest


@pytest.fixture
def bundled_latest(releases: Releases, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A package that bundles only the latest release (the large-data case)."""
    dest = releases.bundle(tmp_path / "bundled", (VERSIONS[-1],))
    monkeypatch.setenv("OPENCONFLICT_RELEASES", str(dest))
    return dest


@pytest.fixture
def bundled_old(releases: Releases, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A package built before 0.3.0 existed: its ledger stops at 0.2.0, and it bundles 0.2.0."""
    dest = releases.bundle(tmp_path / "bundled", ("0.2.0",), as_of="0.2.0")
    monkeypatch.setenv("OPENCONFLICT_RELEASES", str(dest))
    return dest


# --------------------------------------------------------------------------------------------- HTTP mirror


@dataclass
class Mirror:
    """A real HTTP server on 127.0.0.1 serving a releases folder, with injectable faults."""

    root: Path
    server: http.server.ThreadingHTTPServer
    requests: list[str] = field(default_factory=list)
    faults: dict[str, str] = field(default_factory=dict)  # url path suffix -> fault name
    delay: float = 0.0
    trickle: float = 0.1  # seconds between bytes for the "trickle" fault
    password: str | None = None  # when set, HTTP Basic "reader:<password>" is required
    redirect_to: str | None = None  # base URL the "redirect" fault sends clients to
    authorizations: list[str | None] = field(default_factory=list)  # the Authorization header of each request
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
                mirror.authorizations.append(self.headers.get("Authorization"))
            if mirror.password is not None:
                good = "Basic " + base64.b64encode(f"reader:{mirror.password}".encode()).decode()
                if self.headers.get("Authorization") != good:
                    self.send_error(401, "Unauthorized")
                    return
            if mirror.delay:
                time.sleep(mirror.delay)
            fault = next((f for s, f in mirror.faults.items() if self.path.endswith(s)), None)
            if fault == "redirect":
                self.send_response(302)
                self.send_header("Location", f"{mirror.redirect_to}{self.path}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
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
                mirror.release_stall.wait(20)
                return
            if fault == "trickle":
                for i in range(len(body)):
                    if mirror.release_stall.is_set():
                        return
                    try:
                        self.wfile.write(body[i:i + 1])
                        self.wfile.flush()
                    except OSError:
                        return
                    time.sleep(mirror.trickle)
                return
            self.wfile.write(body)

    return Handler


def serve(root: Path) -> Iterator[Mirror]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    server.daemon_threads = True
    m = Mirror(root, server)
    server.RequestHandlerClass = _handler(m)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield m
    finally:
        m.release_stall.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def mirror(releases: Releases, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Mirror]:
    """A copy of the full releases folder served on an ephemeral port; OPENCONFLICT_URL points at it."""
    root = tmp_path / "mirror"
    shutil.copytree(releases.root, root, ignore=shutil.ignore_patterns(".*"))
    for m in serve(root):
        monkeypatch.setenv("OPENCONFLICT_URL", m.url + "/")
        monkeypatch.setenv("OPENCONFLICT_TIMEOUT", "5")
        yield m


def subprocess_env(**extra: str) -> dict[str, str]:
    """The current environment, importing the very openconflict this test process imported."""
    import openconflict

    package_parent = Path(openconflict.__file__).resolve().parents[1]
    here = Path(__file__).resolve().parent
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(package_parent), str(here), env.get("PYTHONPATH", "")]))
    env.update(extra)
    return env


def tree_state(folder: Path) -> dict[str, tuple[int, int, str]]:
    """Every entry under ``folder`` (links not followed) with its mode, size and, for files, its bytes' hash."""
    import hashlib

    out: dict[str, tuple[int, int, str]] = {}
    if not folder.exists():
        return out
    for p in sorted(folder.rglob("*")):
        st = p.lstat()
        digest = hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() and not p.is_symlink() else ""
        out[p.relative_to(folder).as_posix()] = (st.st_mode, st.st_size, digest)
    return out


def ids(frame: Any) -> set[str]:
    """event_id_cnty values of any output type."""
    import pandas as pd
    import pyarrow as pa

    if isinstance(frame, pd.DataFrame):
        return set(frame["event_id_cnty"])
    if isinstance(frame, pa.Table):
        return set(frame.column("event_id_cnty").to_pylist())
    mod = type(frame).__module__.split(".")[0]
    if mod == "polars":
        return set(frame["event_id_cnty"].to_list())
    if mod == "duckdb":
        return {r[0] for r in frame.select("event_id_cnty").fetchall()}
    if mod == "dask":
        return set(frame.compute()["event_id_cnty"])
    raise TypeError(type(frame))
