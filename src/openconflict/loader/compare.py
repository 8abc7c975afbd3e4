"""What changed in the events between two releases that are not consecutive.

Why the loader computes it: for consecutive releases the later one ships its own changes table, which
:func:`openconflict.changes` returns as is; across several releases the two events tables are compared with
:mod:`openconflict.changeset`, the same implementation the release step writes its changes tables with, so
the rows and their order agree (a test checks it). The loader never imports the build side; the changeset
module imports nothing of the package.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from openconflict.changeset import CHANGE_COLUMNS, empty_changes
from openconflict.changeset import compare_events as _compare

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["CHANGE_COLUMNS", "compare_events", "empty_changes"]


def compare_events(old: pa.Table, new: pa.Table) -> pa.Table:
    """One row per added or deleted event and per modified field, ordered by event number, change, field."""
    return _compare(old, new)[0]
