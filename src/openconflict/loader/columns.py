"""The released events table as the loader reads it: column names, Arrow types and vocabulary columns.

Why a fixed list here rather than reading the Table Schema: the loader must type a file the same way
whatever format it is read from (Parquet, CSV) and whatever writer's quirks it carries, and it must not
import the build side to learn the contract. ``tests/loader/test_committed.py`` checks this list against
the releases the build actually publishes, so drift fails a test.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["EVENT_COLUMNS", "INTER_COLUMNS", "REPEATED_TEXT_COLUMNS", "TABLES", "VOCABULARY_COLUMNS", "arrow_type",
           "events_types"]

#: The release tables a researcher can load by name.
TABLES: tuple[str, ...] = ("events", "actors", "locations", "sources", "deletions", "changes")

# ACLED's 31 columns in ACLED's order, then our extras.
EVENT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("event_id_cnty", "string"), ("event_date", "date32"), ("year", "int32"), ("time_precision", "int32"),
    ("disorder_type", "string"), ("event_type", "string"), ("sub_event_type", "string"), ("actor1", "string"),
    ("assoc_actor_1", "string"), ("inter1", "int32"), ("actor2", "string"), ("assoc_actor_2", "string"),
    ("inter2", "int32"), ("interaction", "int32"), ("civilian_targeting", "string"), ("iso", "int32"),
    ("region", "string"), ("country", "string"), ("admin1", "string"), ("admin2", "string"),
    ("admin3", "string"), ("location", "string"), ("latitude", "float64"), ("longitude", "float64"),
    ("geo_precision", "int32"), ("source", "string"), ("source_scale", "string"), ("notes", "string"),
    ("fatalities", "int32"), ("tags", "string"), ("timestamp", "int64"), ("iso3", "string"),
    ("location_id", "string"), ("source_ids", "string"), ("source_urls", "string"),
    # From release 2.0.0 on (older releases load without them):
    ("admin1_pcode", "string"), ("admin2_pcode", "string"), ("admin3_pcode", "string"), ("dataset", "string"),
    # From release 2.1.0 on:
    ("fatalities_best", "int32"), ("fatalities_high", "int32"), ("fatalities_known", "boolean"),
)
#: Columns whose values come from a vocabulary: Enum in polars (pandas output keeps them as text, see frames).
VOCABULARY_COLUMNS: tuple[str, ...] = (
    "disorder_type", "event_type", "sub_event_type", "civilian_targeting", "region", "country", "iso3",
    "source_scale",
)
INTER_COLUMNS: tuple[str, ...] = ("inter1", "inter2")
#: Text columns whose values repeat from event to event (vocabularies, actors, places, source names): the
#: columnar copy (:mod:`.columnar`) stores them as dictionaries. Notes, ids and source lists are not here.
REPEATED_TEXT_COLUMNS: tuple[str, ...] = (
    *VOCABULARY_COLUMNS, "actor1", "actor2", "assoc_actor_1", "assoc_actor_2", "admin1", "admin2", "admin3",
    "location", "location_id", "source", "tags", "dataset", "admin1_pcode", "admin2_pcode", "admin3_pcode",
)


def arrow_type(kind: str) -> pa.DataType:
    """The Arrow type of one of our type names (also used for Table Schema types of the other tables)."""
    import pyarrow as pa

    return {"string": pa.string(), "date32": pa.date32(), "int32": pa.int32(), "int64": pa.int64(),
            "float64": pa.float64(), "boolean": pa.bool_()}[kind]


def events_types() -> dict[str, pa.DataType]:
    """Column name -> Arrow type of the released events table."""
    return {name: arrow_type(kind) for name, kind in EVENT_COLUMNS}
