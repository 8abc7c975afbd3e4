"""The per-record rules of a released events table, for the differential test against jsonschema.

Why here: the same engine as the curated rules, driven by the release Table Schema, so a disagreement
with jsonschema on the generated JSON Schema shows a bug in one of the two.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from ..curated import CuratedTable
from ..problems import Problem
from ..schema import Schema
from .emit import Checker
from .fields import check_fields

if TYPE_CHECKING:
    import pyarrow as pa


def check_release_events(table: pa.Table, schema: Schema, today: dt.date | None = None) -> list[Problem]:
    """Per-record rules of a released events table given as text cells (``_file``/``_line`` added here)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    n = table.num_rows
    table = table.append_column("_file", pa.array([0] * n, pa.int32()))
    table = table.append_column("_line", pa.array(range(1, n + 1), pa.int64()))
    ct = CuratedTable("event", list(table.column_names[:-2]), table, ["record"])
    ch = Checker(ct, today or dt.datetime.now(dt.UTC).date())
    check_fields(ch, schema.release["events"]["fields"])
    et, st, dis = ch.col("event_type"), ch.col("sub_event_type"), ch.col("disorder_type")
    triples = pc.binary_join_element_wise(et, st, dis, "|")
    valid = pa.array([f"{e.event_type}|{e.sub_event_type}|{e.disorder_type}" for e in schema.event_types])
    known = pc.and_(pc.is_in(et, value_set=pa.array(schema.vocabulary("event_type"))),
                    pc.and_(pc.is_in(st, value_set=pa.array(schema.vocabulary("sub_event_type"))),
                            pc.is_in(dis, value_set=pa.array(schema.vocabulary("disorder_type")))))
    ch.emit(pc.and_(known, pc.invert(pc.is_in(triples, value_set=valid))), "sub_event_type",
            "hierarchy.sub-event-type", "sub-event type, event type and disorder type do not fit together",
            values=triples)
    return [*ch.singles, *(p for b in ch.batches for p in b.rows(range(len(b))))]
