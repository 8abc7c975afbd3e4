"""The emitter: turns a mask of offending rows into one batch of problems, checked against the catalogue.

Why one gate: every problem passes through here (or :func:`single`), so a rule id missing from the
catalogue fails at once, the severity always comes from the catalogue, and a rule hands over a whole
column of offending rows without a Python object per row.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import TYPE_CHECKING, Any

from ..curated import CuratedTable
from ..problems import Batch, Problem
from .kernels import (
    dictionary_codes,
    few_values,
    nonempty,
    parse_dates,
    parse_dates_all,
    per_value,
    split_lists,
)
from .rules import rule as catalogue_rule

if TYPE_CHECKING:
    import pyarrow as pa


def single(file: str, line: int, column: str, rule: str, message: str, value: str = "") -> Problem:
    """One problem outside any table (files, the release history), with the catalogue's severity."""
    return Problem(file, line, column, rule, message, value, catalogue_rule(rule).severity)


def checked(problem: Problem) -> Problem:
    """A problem from the reader, re-checked against the catalogue (its severity taken from there)."""
    return single(problem.file, problem.line, problem.column, problem.rule, problem.message, problem.value)


class Checker:
    """Collects the problems of one table from boolean masks."""

    def __init__(self, ct: CuratedTable, today: dt.date) -> None:
        self.ct = ct
        self.table = ct.table
        self.today = today
        self.batches: list[Batch] = []
        self.singles: list[Problem] = []
        self._dates: dict[str, tuple[Any, Any]] = {}
        self._lists: dict[str, tuple[Any, Any]] = {}
        self._codes: dict[str, tuple[Any, Any]] = {}
        self._lock = threading.RLock()  # re-entrant: a cached column may be made from another

    def fork(self) -> Checker:
        """A checker of the same table that shares the parsed-column caches but collects its own problems,
        so independent rule groups can run in parallel and their problems be put back in a fixed order."""
        other = Checker(self.ct, self.today)
        other._dates, other._lists, other._codes = self._dates, self._lists, self._codes
        other._lock = self._lock
        return other

    def absorb(self, other: Checker) -> None:
        """Append the problems ``other`` (a fork) collected, after this checker's own."""
        self.singles.extend(other.singles)
        self.batches.extend(other.batches)

    def _cached(self, cache: dict[str, tuple[Any, Any]], name: str, make: Any) -> tuple[Any, Any]:
        """``cache[name]``, made once even when forks ask for it at the same time."""
        with self._lock:
            if name not in cache:
                cache[name] = make(self.col(name))
            return cache[name]

    def col(self, name: str) -> pa.ChunkedArray:
        return self.table.column(name)

    def dates(self, name: str) -> tuple[Any, Any]:
        """Parsed dates of a column, computed once per table (several rules need them)."""
        col = self.col(name)
        if col.null_count or (name not in self._codes and not few_values(col)):
            return self._cached(self._dates, name, parse_dates)

        def from_codes(_: Any) -> tuple[Any, Any]:
            # the distinct dates parsed once, spread back through the codes the other rules share
            import pyarrow as pa
            import pyarrow.compute as pc

            values, idx = self.codes(name)
            dates, real = parse_dates_all(values)
            index = pa.array(idx)
            return pc.take(dates, index), pc.take(real, index)

        return self._cached(self._dates, name, from_codes)

    def codes(self, name: str) -> tuple[Any, Any]:
        """:func:`~.kernels.dictionary_codes` of a column, once per table (many rules read the same columns)."""
        return self._cached(self._codes, name, dictionary_codes)

    def per_value(self, func: Any, name: str) -> Any:
        """``func`` over column ``name``, computed once per distinct value (see :func:`~.kernels.per_value`)
        when the column holds few distinct values; on every cell otherwise."""
        arr = self.col(name)
        if name not in self._codes and not few_values(arr):
            return func(arr)
        return per_value(func, arr, self.codes(name))

    def lists(self, name: str) -> tuple[Any, Any]:
        """The filled cells of a '; '-list column exploded: (items, parent rows), once per table."""
        def explode(arr: Any) -> tuple[Any, Any]:
            import pyarrow.compute as pc

            return split_lists(pc.if_else(nonempty(arr), arr, None))

        return self._cached(self._lists, name, explode)

    def emit(self, mask: Any, column: str, rule: str, message: str, values: Any = None,
             messages: Any = None) -> None:
        """Report every row where ``mask`` is true (null counts as false).

        ``values`` defaults to the column's cells; ``messages`` (an array) replaces ``message`` per row.
        """
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        severity = catalogue_rule(rule).severity
        if isinstance(mask, np.ndarray):
            idx = pa.array(np.flatnonzero(mask))
        else:
            if not pc.any(mask).as_py():  # the common case, a clean column: no copy of the mask
                return
            mask = pc.fill_null(mask, False)
            if isinstance(mask, pa.ChunkedArray):
                mask = mask.combine_chunks() if mask.num_chunks != 1 else mask.chunk(0)
            idx = pc.indices_nonzero(mask)
        if len(idx) == 0:
            return
        self.emit_rows(idx, column, rule, message, values, messages, severity)

    def emit_rows(self, idx: Any, column: str, rule: str, message: str, values: Any = None,
                  messages: Any = None, severity: Any = None, aligned_messages: Any = None) -> None:
        """Report the rows at positions ``idx``; ``values``/``messages`` are full-length columns,
        ``aligned_messages`` one message per position of ``idx``."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        severity = severity or catalogue_rule(rule).severity
        idx = idx if isinstance(idx, pa.Array) else pa.array(np.asarray(idx, dtype=np.int64))
        if values is None and column in self.table.column_names:
            values = self.col(column)
        file_idx = np.asarray(pc.take(self.col("_file"), idx).to_numpy(), dtype=np.int32)
        lines = np.asarray(pc.take(self.col("_line"), idx).to_numpy(), dtype=np.int64)
        vals = _flat(pc.take(values, idx)) if values is not None else None
        msg = _flat(pc.take(messages, idx)) if messages is not None else message
        if aligned_messages is not None:
            msg = _flat(aligned_messages)
        self.batches.append(Batch(self.ct.files, file_idx, lines, column, rule, severity, msg, vals))

    def file_problem(self, file_index: int, rule: str, message: str, value: str = "") -> None:
        self.singles.append(single(self.ct.files[file_index], 0, "", rule, message, value))


def _flat(arr: Any) -> Any:
    import pyarrow as pa

    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
