"""The columnar copy (issue 12): the same rows as the Parquet file, never served once changed, never a reason
for a load to fail, wait or fill a disk.

The fixtures' releases are small (one row group), so these tests lower the scan's thresholds
(``TWO_PHASE_GROUPS``, ``COPY_SHARE``) to send every filtered load to the copy; the scan-level tests use the
4-row-group rewrite of ``test_scan_paths`` so that the copy has many record batches. SYNTHETIC releases only.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.ipc as ipc
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from loader_fixtures import VERSIONS, Releases, subprocess_env
from test_scan_paths import FILTER_ARGS, FILTERS

import openconflict.loader as L
from openconflict.errors import ConfigError
from openconflict.loader import columnar, columnar_scan
from openconflict.loader import scan as scan_module
from openconflict.loader import settings as loader_settings
from openconflict.loader.filters import Filters
from openconflict.loader.scan import conform, scan

LATEST = VERSIONS[-1]
EVENTS = "data/events.parquet"
pytestmark = pytest.mark.usefixtures("bundled_all")


@pytest.fixture(autouse=True)
def every_filter_to_the_copy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scan_module, "TWO_PHASE_GROUPS", 0)
    monkeypatch.setattr(scan_module, "COPY_SHARE", 0.0)


@pytest.fixture(scope="module")
def small(releases: Releases, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The latest events file rewritten with 4-row groups (dozens of record batches in its copy)."""
    path = tmp_path_factory.mktemp("columnar") / "events-4.parquet"
    pq.write_table(pq.read_table(releases.root / LATEST / EVENTS), path, row_group_size=4, write_statistics=True)
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def latest_sha(releases: Releases) -> str:
    return digest(releases.root / LATEST / EVENTS)


def copies(cache: Path) -> list[str]:
    folder = cache / columnar.FOLDER
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def reference(path: Path, filters: Filters, columns: list[str] | None = None) -> pa.Table:
    table = ds.dataset(path, format="parquet").to_table(filter=filters.arrow())
    table = table if columns is None else table.select(columns)
    return conform(table, {f.name: f.type for f in table.schema})


def scan_through_copy(path: Path, kwargs: dict[str, Any], columns: list[str] | None = None) -> pa.Table:
    """``scan`` with the copy, asserting that the copy (not the Parquet file) answered."""
    opened: list[Any] = []

    def opener() -> Any:
        opened.append(columnar.open_copy(path, digest(path)))
        return opened[-1]

    got = scan(path, "parquet", None, columns, Filters(**kwargs), columnar=opener)
    if scan_module.row_groups(scan_module.parquet_index(path)[1], Filters(**kwargs)):  # else nothing is read
        assert opened and opened[0] is not None
    return got


@pytest.mark.parametrize("kwargs", FILTERS, ids=[json.dumps(f) for f in FILTERS])
def test_the_copy_returns_the_parquet_rows(small: Path, kwargs: dict[str, Any],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(columnar_scan, "BATCH_ROWS", 16)  # many batches, filtered on two threads
    for columns in (None, ["notes", "event_id_cnty", "actor1"]):
        got = scan_through_copy(small, kwargs, columns)
        want = reference(small, Filters(**kwargs), columns)
        assert got.schema.equals(want.schema, check_metadata=True), kwargs
        assert got.equals(want), kwargs


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(**FILTER_ARGS, columns=st.none() | st.lists(st.sampled_from(["notes", "actor2", "fatalities", "event_date",
                                                                    "iso3"]), min_size=1, max_size=3, unique=True))
def test_any_combination_through_the_copy(small: Path, iso3: Any, event_type: Any, actor: Any, role: str,
                                          min_fatalities: Any, flagged: Any, columns: Any,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(columnar_scan, "BATCH_ROWS", 12)  # the copy (made by the first example) has many batches
    kwargs = {"iso3": iso3, "event_type": event_type, "actor": actor, "actor_role": role,
              "min_fatalities": min_fatalities, "civilian_targeting": flagged}
    if not Filters(**kwargs).columns:
        return  # no filter: the scan reads the Parquet file
    got = scan_through_copy(small, kwargs, columns)
    assert got.equals(reference(small, Filters(**kwargs), columns))


def test_the_copy_keeps_no_reference_to_its_mapping(small: Path) -> None:
    """Every table it returns owns its buffers: the mapping can be closed (and the file replaced) at once."""
    mapped = columnar.open_copy(small, digest(small))
    table = columnar_scan.scan_copy(mapped, ["notes", "country", "fatalities"], Filters(event_type="Protests"))
    assert table.num_rows > 0
    mapped.close()  # raises BufferError if any buffer of ``table`` still pointed into the mapping
    assert table.column("country").to_pylist()[0]


def test_the_copy_stores_repeated_text_as_dictionaries(small: Path, isolated_env: Path) -> None:
    columnar.open_copy(small, digest(small))
    with pa.memory_map(str(isolated_env / columnar.FOLDER / f"{digest(small)}.arrow")) as src:
        schema = ipc.open_file(src).schema
    assert pa.types.is_dictionary(schema.field("event_type").type)
    assert pa.types.is_dictionary(schema.field("actor1").type)
    assert schema.field("notes").type == pa.string()


@pytest.mark.parametrize("output", ["arrow", "pandas", "polars"])
@pytest.mark.parametrize("kwargs", [{"event_type": "Protests"}, {"actor": "Synthetic Students", "actor_role": "any"},
                                    {"country": "Syria", "min_fatalities": 1}],
                         ids=["event_type", "actor", "country+fatalities"])
def test_load_events_gives_the_same_frame_with_and_without_copies(
        kwargs: dict[str, Any], output: str, releases: Releases, isolated_env: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENCONFLICT_COLUMNAR", "0")
    without = L.load_events(**kwargs, output=output)
    assert copies(isolated_env) == []  # switched off: nothing is made
    monkeypatch.setenv("OPENCONFLICT_COLUMNAR", "1")
    made = L.load_events(**kwargs, output=output)  # makes the copy
    sha = latest_sha(releases)
    assert copies(isolated_env) == [".lock", f"{sha}.arrow", f"{sha}.json"]
    used = L.load_events(**kwargs, output=output)  # reads it
    for got in (made, used):
        if output == "pandas":
            assert got.equals(without) and (got.dtypes == without.dtypes).all()
        else:
            assert got.equals(without)


def test_a_bad_setting_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENCONFLICT_COLUMNAR", "sometimes")
    with pytest.raises(ConfigError, match="OPENCONFLICT_COLUMNAR"):
        L.load_events(event_type="Protests")


def _protests_in_copy(path: Path) -> int:
    data = path.read_bytes()
    return data.find(b"Protests")


def test_a_copy_changed_in_place_is_never_served(releases: Releases, isolated_env: Path) -> None:
    """Rewrite one vocabulary value inside the copy, restoring size and mtime: the load must not see it."""
    want = L.load_events(event_type="Protests", output="arrow")
    copy = isolated_env / columnar.FOLDER / f"{latest_sha(releases)}.arrow"
    st = copy.stat()
    at = _protests_in_copy(copy)
    assert at > 0
    with open(copy, "r+b") as fh:
        fh.seek(at)
        fh.write(b"Protestz")
    os.utime(copy, ns=(st.st_atime_ns, st.st_mtime_ns))
    got = L.load_events(event_type="Protests", output="arrow")
    assert got.equals(want)
    assert "Protestz" not in got.column("event_type").to_pylist()
    assert b"Protestz" not in copy.read_bytes()  # deleted and made again from the verified Parquet file
    record = json.loads((copy.with_suffix(".json")).read_text())
    assert record["sha256"] == digest(copy)


def test_a_copy_whose_state_changed_but_bytes_did_not_is_kept(releases: Releases, isolated_env: Path) -> None:
    L.load_events(event_type="Protests")
    copy = isolated_env / columnar.FOLDER / f"{latest_sha(releases)}.arrow"
    inode = copy.stat().st_ino
    os.utime(copy, ns=(1, 1))  # a backup tool restoring times, say
    assert L.load_events(event_type="Protests", output="arrow").num_rows > 0
    assert copy.stat().st_ino == inode  # re-hashed, matched, re-recorded: not made again
    record = json.loads(copy.with_suffix(".json").read_text())
    assert record["state"][3] == 1


def test_links_in_the_copies_folder_never_lead_outside(releases: Releases, isolated_env: Path,
                                                       tmp_path: Path) -> None:
    L.load_events(event_type="Protests")
    folder = isolated_env / columnar.FOLDER
    sha = latest_sha(releases)
    outside = tmp_path / "outside.arrow"
    outside.write_bytes((folder / f"{sha}.arrow").read_bytes())
    before = digest(outside)
    (folder / f"{sha}.arrow").unlink()
    (folder / f"{sha}.arrow").symlink_to(outside)
    (folder / ".lock").unlink()
    (folder / ".lock").symlink_to(tmp_path / "outside.lock")
    want = L.load_events(event_type="Protests", output="arrow")
    assert not (folder / f"{sha}.arrow").is_symlink() and not (folder / ".lock").is_symlink()
    assert digest(outside) == before and not (tmp_path / "outside.lock").exists()
    # The whole folder replaced by a link: never followed, replaced by a real folder.
    target = tmp_path / "elsewhere"
    target.mkdir()
    for p in folder.iterdir():
        p.unlink()
    folder.rmdir()
    folder.symlink_to(target)
    assert L.load_events(event_type="Protests", output="arrow").equals(want)
    assert list(target.iterdir()) == [] and not folder.is_symlink()


def test_no_copy_when_the_disk_is_short_of_space(isolated_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(columnar, "SPARE_BYTES", 1 << 62)
    monkeypatch.setenv("OPENCONFLICT_COLUMNAR", "0")
    want = L.load_events(event_type="Protests", output="arrow")
    monkeypatch.setenv("OPENCONFLICT_COLUMNAR", "1")
    assert L.load_events(event_type="Protests", output="arrow").equals(want)
    assert copies(isolated_env) == [".lock"]


def test_a_failed_write_leaves_nothing_and_the_load_succeeds(isolated_env: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    real = columnar_scan.write_copy

    def full_disk(source: Path, sink: Any) -> None:
        real(source, sink)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(columnar_scan, "write_copy", full_disk)
    monkeypatch.setenv("OPENCONFLICT_COLUMNAR", "0")
    want = L.load_events(event_type="Protests", output="arrow")
    monkeypatch.setenv("OPENCONFLICT_COLUMNAR", "1")
    assert L.load_events(event_type="Protests", output="arrow").equals(want)
    assert copies(isolated_env) == [".lock"]


def test_a_load_never_waits_for_another_process_making_the_copy(isolated_env: Path) -> None:
    """While the copies' lock is held elsewhere the load reads the Parquet file at once."""
    folder = isolated_env / columnar.FOLDER
    folder.mkdir(parents=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, sys, time; f = open(sys.argv[1], 'a'); "
         "fcntl.flock(f, fcntl.LOCK_EX); print('held', flush=True); time.sleep(60)", str(folder / ".lock")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        t0 = time.monotonic()
        assert L.load_events(event_type="Protests", output="arrow").num_rows > 0
        assert time.monotonic() - t0 < 30
        assert copies(isolated_env) == [".lock"]
    finally:
        holder.kill()
        holder.wait()
    L.load_events(event_type="Protests")
    assert len(copies(isolated_env)) == 3  # made once the lock is free


_LOAD = r"""
import json, sys, time
from openconflict.loader import columnar_scan, scan
scan.TWO_PHASE_GROUPS, scan.COPY_SHARE = 0, 0.0
if len(sys.argv) > 1:  # "slow": the copy's one batch takes 0.6 s to write, so that a kill lands mid-write
    real = columnar_scan.write_copy
    def write_slowly(source, sink):
        import pyarrow.ipc as ipc
        new_file = ipc.new_file
        class Slow:
            def __init__(self, w): self.w = w
            def __enter__(self): self.w.__enter__(); return self
            def __exit__(self, *a): return self.w.__exit__(*a)
            def write_batch(self, b): time.sleep(0.3); self.w.write_batch(b); time.sleep(0.3)
        ipc.new_file = lambda *a, **k: Slow(new_file(*a, **k))
        try:
            real(source, sink)
        finally:
            ipc.new_file = new_file
    columnar_scan.write_copy = write_slowly
    print("started", flush=True)
import openconflict
t = openconflict.load_events(event_type="Protests", output="arrow")
print(json.dumps({"rows": t.num_rows, "ids": t.column("event_id_cnty").to_pylist(),
                  "pandas": "pandas" in sys.modules, "compute": "pyarrow.compute" in sys.modules}))
"""


def _load_in_subprocess(**env: str) -> dict[str, Any]:
    run = subprocess.run([sys.executable, "-c", _LOAD], env=subprocess_env(**env), capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    return dict(json.loads(run.stdout.strip().splitlines()[-1]))


def test_concurrent_first_loads_agree_and_leave_one_copy(releases: Releases, isolated_env: Path) -> None:
    want = L.load_events(event_type="Protests", output="arrow").column("event_id_cnty").to_pylist()
    for p in isolated_env.joinpath(columnar.FOLDER).iterdir():
        p.unlink()
    procs = [subprocess.Popen([sys.executable, "-c", _LOAD], env=subprocess_env(), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(4)]
    outs = [p.communicate(timeout=120) for p in procs]
    for p, (out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err
        got = json.loads(out.strip().splitlines()[-1])
        assert got["ids"] == want
        assert not got["pandas"] and not got["compute"]  # the copy's scan keeps a fresh Arrow load light
    sha = latest_sha(releases)
    assert copies(isolated_env) == [".lock", f"{sha}.arrow", f"{sha}.json"]


def test_a_process_killed_while_making_the_copy_leaves_nothing_that_is_served(
        releases: Releases, isolated_env: Path) -> None:
    want = L.load_events(event_type="Protests", output="arrow").column("event_id_cnty").to_pylist()
    folder = isolated_env / columnar.FOLDER
    sha = latest_sha(releases)
    rng = random.Random(12)
    killed_mid_write = 0
    for _ in range(5):
        for p in folder.iterdir():
            p.unlink()
        proc = subprocess.Popen([sys.executable, "-c", _LOAD, "slow"], env=subprocess_env(), stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True)
        assert proc.stdout is not None and proc.stdout.readline().strip() == "started"
        deadline = time.monotonic() + 60
        while not any(n.endswith(".part") for n in copies(isolated_env)) and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 0.5))  # somewhere inside the ~0.6 s write
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        killed_mid_write += any(n.endswith(".part") for n in copies(isolated_env))
        assert f"{sha}.json" not in copies(isolated_env) or (folder / f"{sha}.arrow").exists()
        assert _load_in_subprocess()["ids"] == want
        names = copies(isolated_env)
        assert not any(n.endswith(".part") for n in names), names  # a killed writer's leftovers are removed
        record = json.loads((folder / f"{sha}.json").read_text())
        assert record["sha256"] == digest(folder / f"{sha}.arrow")
    assert killed_mid_write >= 3  # the kills really landed while the copy was being written


def test_a_truncated_copy_without_its_record_is_made_again(releases: Releases, isolated_env: Path) -> None:
    want = L.load_events(event_type="Protests", output="arrow")
    folder = isolated_env / columnar.FOLDER
    sha = latest_sha(releases)
    data = (folder / f"{sha}.arrow").read_bytes()
    (folder / f"{sha}.json").unlink()
    (folder / f"{sha}.arrow").write_bytes(data[: len(data) // 3])
    assert L.load_events(event_type="Protests", output="arrow").equals(want)
    assert (folder / f"{sha}.arrow").read_bytes() == data


def test_verify_rehashes_the_copy_and_removes_a_bad_one(releases: Releases, isolated_env: Path) -> None:
    L.load_events(event_type="Protests")
    df = L.verify()
    row = df[df["location"] == "columnar copy"]
    assert list(row["status"]) == ["ok"] and (df["status"] == "ok").all()
    copy = isolated_env / columnar.FOLDER / f"{latest_sha(releases)}.arrow"
    with open(copy, "r+b") as fh:
        fh.seek(copy.stat().st_size // 2)
        fh.write(b"\x00garbage\x00")
    df = L.verify()
    row = df[df["location"] == "columnar copy"]
    assert list(row["status"]) == ["removed"] and not copy.exists()
    assert (df[df["location"] != "columnar copy"]["status"] == "ok").all()


def test_an_unusable_cache_only_costs_speed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    not_a_folder = tmp_path / "cache-file"
    not_a_folder.write_text("x")
    monkeypatch.setenv("OPENCONFLICT_CACHE", str(not_a_folder))
    assert L.load_events(event_type="Protests", output="arrow").num_rows > 0
    assert not_a_folder.read_text() == "x"


def test_settings_override_is_read_per_call(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENCONFLICT_COLUMNAR", "off")
    assert loader_settings.columnar_copies() is False
    monkeypatch.setenv("OPENCONFLICT_COLUMNAR", "")
    assert loader_settings.columnar_copies() is True
