"""The aggregate tables by integer codes equal the group-by definition, row for row and byte for byte.

Issue 12: :func:`aggregate_tables` groups and sorts by codes (ranks of the text values, months, event-type
ranks) instead of ``Table.group_by`` and ``sort_by`` on text. Every release's aggregate files must stay the
same bytes, so it is checked here against :func:`grouped_reference` on tables built to be awkward: nulls
in the unit columns, names that sort differently by bytes and by case or accent, one unit name under two
countries, chunked columns, null fatalities, months across years, and the shapes it hands to the
reference (an event type outside the codebook, an empty table). SYNTHETIC values only.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openconflict.release.aggregates import aggregate_tables, grouped_reference
from openconflict.release.write import write_tables
from openconflict.schema import load_schema

TYPES = load_schema().vocabulary("event_type")
NAMES = [None, "", "Aleppo", "aleppo", "Ḩalab", "Halab", "Zeta", "Ωmega", "A", "B b", "Hamah", "Hamāh"]
COUNTRIES = [("SYR", "Syria"), ("YEM", "Yemen"), ("NGA", "Nigeria")]


def events(rows: list[tuple[int, int, int, int, int, int | None]], chunks: int) -> pa.Table:
    """A released-events-shaped table of (country, admin1, admin2, day offset, type, fatalities) picks."""
    base = dt.date(2019, 11, 20)
    cols = {
        "iso3": [COUNTRIES[c][0] for c, *_ in rows],
        "country": [COUNTRIES[c][1] for c, *_ in rows],
        "admin1": [NAMES[a1] for _, a1, *_ in rows],
        "admin2": [NAMES[a2] for _, _, a2, *_ in rows],
        "event_date": [base + dt.timedelta(days=d) for *_, d, _, _ in rows],
        "event_type": [TYPES[t] for *_, t, _ in rows],
        "fatalities": [f for *_, f in rows],
    }
    table = pa.table({**cols, "fatalities": pa.array(cols["fatalities"], pa.int32()),
                      "event_date": pa.array(cols["event_date"], pa.date32())})
    if chunks > 1 and table.num_rows:
        step = -(-table.num_rows // chunks)
        table = pa.concat_tables([table.slice(i, step) for i in range(0, table.num_rows, step)])
    return table


def same(table: pa.Table) -> None:
    got, want = aggregate_tables(table, TYPES), grouped_reference(table, TYPES)
    assert got.keys() == want.keys()
    for name in got:
        assert got[name].schema.equals(want[name].schema), name
        assert got[name].equals(want[name]), name


ROW = st.tuples(st.integers(0, len(COUNTRIES) - 1), st.integers(0, len(NAMES) - 1),
                st.integers(0, len(NAMES) - 1), st.integers(0, 800), st.integers(0, len(TYPES) - 1),
                st.none() | st.integers(0, 500))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(ROW, min_size=1, max_size=300), chunks=st.integers(1, 4))
def test_codes_equal_the_group_by_definition(rows: list[tuple[int, int, int, int, int, int | None]],
                                             chunks: int) -> None:
    same(events(rows, chunks))


def test_the_shapes_left_to_the_reference() -> None:
    table = events([(0, 2, 3, 5, 0, 1), (1, 0, 0, 40, 1, None)], 1)
    same(table.slice(0, 0))
    odd = table.set_column(table.schema.get_field_index("event_type"), "event_type",
                           pa.array(["Not a codebook type", TYPES[0]]))
    same(odd)


def test_the_files_are_the_same_bytes(tmp_path: Path) -> None:
    rows = [(i % 3, i % len(NAMES), (i * 7) % len(NAMES), (i * 13) % 900, i % len(TYPES), i % 11 or None)
            for i in range(20_000)]
    table = events(rows, 3)
    (tmp_path / "codes").mkdir()
    (tmp_path / "reference").mkdir()
    write_tables(aggregate_tables(table, TYPES), tmp_path / "codes")
    write_tables(grouped_reference(table, TYPES), tmp_path / "reference")
    names = sorted(p.name for p in (tmp_path / "codes").iterdir())
    assert len(names) == 4
    for name in names:
        assert (tmp_path / "codes" / name).read_bytes() == (tmp_path / "reference" / name).read_bytes(), name


@pytest.mark.parametrize("fatalities", [2**31 - 1, 0])
def test_large_counts_stay_exact(fatalities: int) -> None:
    table = events([(0, 2, 2, 1, 0, fatalities)] * 5_000, 2)
    got = aggregate_tables(table, TYPES)["aggregates_admin2_month"]
    assert got.column("fatalities").to_pylist() == [fatalities * 5_000]
    same(table)
