"""What the rules need of a whole release, gathered part by part, and put together at the end.

Why apart from :mod:`openconflict.release.stream`: each merge here must give exactly the table the whole
plan makes in one go (same rows, same order), and says why it does; the parts' loop only feeds them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from openconflict.release.parts import Country

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["Gathered", "count", "merged_aggregates", "merged_changes"]


@dataclass
class Gathered:
    """What the rules need of the whole release, gathered part by part."""

    rows: int = 0
    newest: dt.date | None = None
    cited: list[Any] = field(default_factory=list)
    changes: list[Any] = field(default_factory=list)
    modified: int = 0
    aggregates: dict[str, list[Any]] = field(default_factory=dict)
    countries: dict[str, Country] = field(default_factory=dict)


def merged_changes(pieces: list[Any], later: bool) -> pa.Table:
    """The parts' changes as one table: a first release's in the events' order (all added), a later one's
    sorted by the keys that order every row (:func:`~openconflict.changeset.in_change_order`)."""
    import pyarrow as pa

    from openconflict.changeset import empty_changes, in_change_order

    table = pa.concat_tables(pieces) if pieces else empty_changes()
    return in_change_order(table) if later else table


def merged_aggregates(pieces: dict[str, list[Any]], event_types: list[str]) -> dict[str, pa.Table]:
    """Each aggregate table from its parts' tables. A (unit, month, event type) group never spans parts (a
    part holds whole months of a country), so the groups are the whole release's; they are sorted again as
    :func:`~openconflict.release.aggregates.grouped_reference` sorts them (units, month, event type's rank)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from openconflict.release.aggregates import AGGREGATES

    out = {}
    for name, tables in pieces.items():
        table = pa.concat_tables(tables)
        keyed = table.append_column("_rank", pc.index_in(table.column("event_type"),
                                                          value_set=pa.array(event_types, pa.string())))
        order = pc.sort_indices(keyed, sort_keys=[*((u, "ascending") for u in AGGREGATES[name]),
                                                  ("month", "ascending"), ("_rank", "ascending")])
        out[name] = table.take(order)
    return out


def count(kinds: Any, kind: str) -> int:
    import pyarrow.compute as pc

    return int(pc.sum(pc.equal(kinds, kind)).as_py() or 0)
