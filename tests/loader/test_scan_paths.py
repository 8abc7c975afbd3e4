"""The Parquet scan's fast paths give exactly the rows of the plain filter, and a fresh Arrow load stays light.

Issue 12: the scan evaluates filters with compute kernels (:meth:`Filters.mask`) instead of a dataset
expression, reads the filters' columns first when many row groups are left (two phases) and filters the
rest a batch at a time; the filter values are Arrow literals built from bytes (:mod:`.literals`) so that a
fresh process imports neither pandas nor ``pyarrow.dataset``. Every path is checked here against the one
reference a reader would trust: ``pyarrow.dataset`` with :meth:`Filters.arrow` on the same file. SYNTHETIC
releases only.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from loader_fixtures import Releases

from openconflict.loader import scan as scan_module
from openconflict.loader.filters import Filters
from openconflict.loader.literals import literal
from openconflict.loader.scan import conform, scan

LATEST = "0.3.0"
FILTERS: list[dict[str, Any]] = [
    {"country": "Syria"},
    {"iso3": ["SYR", "YEM"], "start": "2023-03-01", "end": "2023-09-30"},
    {"event_type": "Protests"},
    {"event_type": ["Battles", "Riots"], "year": 2024},
    {"sub_event_type": "Air/drone strike"},
    {"actor": "Synthetic Rebels"},
    {"actor": ["Synthetic Rebels", "Protesters (Synthetic)"], "actor_role": "any"},
    {"actor": "Synthetic Students", "actor_role": "any"},
    {"min_fatalities": 3},
    {"min_fatalities": 2**70},
    {"civilian_targeting": True},
    {"civilian_targeting": False, "iso3": "NGA"},
    {"interaction": [12, 60]},
    {"country": "Syria", "event_type": "Riots", "start": "2024-12-01"},
    {"event_type": "Protests", "end": "2022-01-01"},  # nothing matches
]


@pytest.fixture(scope="module")
def files(releases: Releases, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The latest events file as published (one row group) and rewritten with 4-row groups."""
    published = releases.root / LATEST / "data" / "events.parquet"
    small = tmp_path_factory.mktemp("scan") / "events-4.parquet"
    pq.write_table(pq.read_table(published), small, row_group_size=4, write_statistics=True)
    assert pq.ParquetFile(small).metadata.num_row_groups > 3 * scan_module.TWO_PHASE_GROUPS
    return {"published": published, "small": small}


def reference(path: Path, filters: Filters | None, columns: list[str] | None) -> pa.Table:
    table = ds.dataset(path, format="parquet").to_table(filter=filters.arrow() if filters else None)
    table = table if columns is None else table.select(columns)
    return conform(table, {f.name: f.type for f in table.schema})


def check_same(path: Path, kwargs: dict[str, Any], columns: list[str] | None = None) -> int:
    got = scan(path, "parquet", None, columns, Filters(**kwargs))
    want = reference(path, Filters(**kwargs), columns)
    assert got.schema.equals(want.schema), kwargs
    assert got.equals(want), kwargs
    return got.num_rows


@pytest.mark.parametrize("kwargs", FILTERS, ids=[json.dumps(f) for f in FILTERS])
@pytest.mark.parametrize(("which", "two_phase_above"), [("published", 8), ("small", 0), ("small", 10**9)],
                         ids=["published", "small-two-phase", "small-one-phase"])
def test_every_path_returns_the_reference_rows(files: dict[str, Path], which: str, two_phase_above: int,
                                               kwargs: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scan_module, "TWO_PHASE_GROUPS", two_phase_above)
    monkeypatch.setattr(scan_module, "BATCH_ROWS", 8)
    check_same(files[which], kwargs)
    # Columns that leave out the filters' own columns: the filter still applies, the columns are as asked.
    check_same(files[which], kwargs, ["notes", "event_id_cnty"])


def test_the_paths_are_really_taken(files: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """The two-phase path reads the filter columns first, then only row groups with a match, in batches."""
    calls: list[tuple[tuple[int, ...], tuple[str, ...] | None]] = []
    real = pq.ParquetFile.read_row_groups

    def spy(self: pq.ParquetFile, groups: Any, columns: Any = None, **kw: Any) -> pa.Table:
        calls.append((tuple(groups), tuple(columns) if columns is not None else None))
        return real(self, groups, columns=columns, **kw)

    monkeypatch.setattr(pq.ParquetFile, "read_row_groups", spy)
    monkeypatch.setattr(scan_module, "BATCH_ROWS", 16)
    n = check_same(files["small"], {"actor": "Synthetic Students", "actor_role": "any"})
    groups = pq.ParquetFile(files["small"]).metadata.num_row_groups
    probe, *rest = calls
    assert probe[1] is not None and set(probe[1]) == {"actor1", "actor2", "assoc_actor_1", "assoc_actor_2"}
    assert len(probe[0]) == groups
    read = [g for call in rest for g in call[0]]
    assert n > 0 and 0 < len(read) < groups  # only the groups with a match are read in full
    assert len(rest) > 1 and all(len(call[0]) <= 4 for call in rest)  # 4-row groups, 16-row batches


#: Random filters over the fixtures' values (shared with the columnar copy's tests).
FILTER_ARGS = {
    "iso3": st.none() | st.lists(st.sampled_from(["AFG", "NGA", "SYR", "YEM"]), min_size=1, max_size=2),
    "event_type": st.none() | st.sampled_from(["Battles", "Protests", "Riots", "Violence against civilians"]),
    "actor": st.none() | st.sampled_from(["Synthetic Rebels", "Synthetic Students", "Civilians (Synthetic)"]),
    "role": st.sampled_from(["primary", "any"]),
    "min_fatalities": st.none() | st.integers(0, 12),
    "flagged": st.none() | st.booleans(),
}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(**FILTER_ARGS, start=st.none() | st.dates(dt.date(2022, 12, 1), dt.date(2025, 1, 31)),
       days=st.none() | st.integers(0, 400))
def test_any_combination_matches_the_reference(files: dict[str, Path], iso3: Any, event_type: Any, actor: Any,
                                              role: str, start: Any, days: Any, min_fatalities: Any,
                                              flagged: Any) -> None:
    kwargs: dict[str, Any] = {"iso3": iso3, "event_type": event_type, "actor": actor, "actor_role": role,
                              "start": start, "min_fatalities": min_fatalities, "civilian_targeting": flagged}
    if start is not None and days is not None:
        kwargs["end"] = start + dt.timedelta(days=days)
    for path in files.values():
        check_same(path, kwargs)


@pytest.mark.parametrize(("value", "typ"), [
    ("Syria", pa.string()), ("", pa.string()), ("Ḩalab (North) [1] .*", pa.string()), ("Hamah", pa.large_string()),
    (0, pa.int64()), (-7, pa.int64()), (2**63 - 1, pa.int64()), (12, pa.int32()), (3, pa.int8()),
    (dt.date(2020, 2, 29), pa.date32()), (dt.date(1969, 12, 31), pa.date32()), (dt.date(9999, 12, 31), pa.date32()),
    (True, pa.bool_()), (False, pa.bool_()), (1.5, pa.float64()),
])
def test_a_literal_is_the_scalar_pyarrow_would_make(value: Any, typ: pa.DataType) -> None:
    got = literal(value, typ)
    assert got.type == typ and got.is_valid
    assert got.equals(pa.scalar(value, typ)) and got.as_py() == value
    assert literal(value, pa.dictionary(pa.int32(), typ)).equals(pa.scalar(value, typ))


@pytest.mark.parametrize(("value", "typ"), [
    (5, pa.string()), ("5", pa.int64()), (True, pa.int64()), (2**63, pa.int64()), (300, pa.int8()),
    (dt.datetime(2020, 1, 1), pa.date32()), ("2020-01-01", pa.date32()), (1, pa.bool_()), ([1], pa.list_(pa.int64())),
])
def test_a_literal_refuses_what_it_cannot_represent(value: Any, typ: pa.DataType) -> None:
    with pytest.raises(TypeError):
        literal(value, typ)


_FRESH = r"""
import json, sys
import openconflict
shapes = json.loads(sys.argv[1])
rows = [openconflict.load_events(**kw, output="arrow").num_rows for kw in shapes]
print(json.dumps({"rows": rows, "pandas": "pandas" in sys.modules, "dataset": "pyarrow.dataset" in sys.modules,
                  "http": "http.client" in sys.modules, "compute": "pyarrow.compute" in sys.modules}))
"""


def test_a_fresh_arrow_load_imports_neither_pandas_nor_the_dataset_module(releases: Releases,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Those imports were 0.15-0.2 s of a 0.45 s cold load of one country-year (polars: 0.17 s in all)."""
    monkeypatch.setenv("OPENCONFLICT_RELEASES", str(releases.root))
    monkeypatch.setenv("OPENCONFLICT_OFFLINE", "1")
    shapes = [{"country": "syria", "start": "2023-01-01", "end": "2023-12-31"}, {"event_type": "Protests"},
              {"actor": "Synthetic Students", "actor_role": "any"}, {"min_fatalities": 1, "civilian_targeting": True},
              {"year": 2024, "interaction": 12}, {}]
    proc = subprocess.run([sys.executable, "-c", _FRESH, json.dumps(shapes)], capture_output=True, text=True,
                          env=dict(os.environ), timeout=120)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert all(n > 0 for n in out["rows"]), out
    assert out == {"rows": out["rows"], "pandas": False, "dataset": False, "http": False, "compute": False}


def test_the_public_compute_module_gives_the_same_rows(files: dict[str, Path],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The fallback of :mod:`.kernels` (a pyarrow without ``_compute.call_function``) filters alike."""
    import pyarrow.compute

    from openconflict.loader import kernels

    monkeypatch.setattr(kernels, "_module", lambda: pyarrow.compute)
    monkeypatch.setattr(scan_module, "TWO_PHASE_GROUPS", 0)
    for kwargs in FILTERS:
        check_same(files["small"], kwargs)
