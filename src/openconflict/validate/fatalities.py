"""Fatality ranges: the low figure (``fatalities``, ACLED's meaning), the best and high figures and whether
any report gave a figure at all.

Why its own rules: a 0 in ``fatalities`` means "no report gave a number" only when ``fatalities_known`` says
so; a best or high figure nobody can find in the event's record is an unverifiable claim. The checks:
- ``consistency.fatality-range``: fatalities <= fatalities_best <= fatalities_high;
- ``consistency.fatality-known``: 'false' leaves every figure at 0, and a figure above 0 needs 'true';
- ``consistency.fatality-traceable``: a best or high figure that differs from the low one is stated in
  ``notes`` (as digits), where the note says which cited report gave it.
Cells that are not valid counts (words, negative, beyond 32 bits) are left to the field rules (one error
per mistake).
"""

from __future__ import annotations

import re
from typing import Any

from .emit import Checker
from .kernels import INT32_MAX, int_text

#: A figure written as digits on its own: not part of a longer number ("120", "1.12") or a word ("12a").
#: The same matches as ``(?<![\w.,])[0-9]+(?![\w]|[.,][0-9])``, written to start with a digit so that the
#: regex engine skips to the next digit at C speed instead of trying the look-behind at every character
#: (twice as fast on notes; the look-behind after the first digit looks at the character before it).
STATED = re.compile(r"[0-9](?<![\w.,][0-9])[0-9]*(?![\w]|[.,][0-9])")
FIGURES = ("fatalities", "fatalities_best", "fatalities_high")
KNOWN = "fatalities_known"


def _numbers(ch: Checker, name: str) -> Any:
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = ch.col(name)
    ok = int_text(arr, 10, signed=False)  # ^[0-9]{1,10}$: a count the field rules accept; else left to them
    nums = pc.cast(pc.if_else(ok, arr, None), pa.int64())
    return pc.if_else(pc.greater(nums, INT32_MAX), None, nums)


def check_fatalities(ch: Checker) -> None:
    """The three rules above, over whole columns (nulls, i.e. unparsable cells, never fire)."""
    import numpy as np
    import pyarrow.compute as pc

    if not all(c in ch.table.column_names for c in (*FIGURES, KNOWN)):
        return  # a header error was reported already
    low, best, high = (_numbers(ch, c) for c in FIGURES)
    known = ch.col(KNOWN)
    ch.emit(pc.less(best, low), "fatalities_best", "consistency.fatality-range",
            "fatalities_best is below fatalities (the lowest figure); the best figure lies between low and high")
    ch.emit(pc.less(high, best), "fatalities_high", "consistency.fatality-range",
            "fatalities_high is below fatalities_best; the high figure is the largest any report gives")
    ch.emit(pc.and_(pc.less(high, low), pc.is_null(best)), "fatalities_high", "consistency.fatality-range",
            "fatalities_high is below fatalities")
    said_false = pc.equal(known, "false")
    any_figure = pc.or_(pc.or_(pc.greater(low, 0), pc.greater(best, 0)), pc.greater(high, 0))
    ch.emit(pc.and_(said_false, any_figure), KNOWN, "consistency.fatality-known",
            "'false' says no report gave a death toll, but a figure above 0 is coded; set 'true' or the "
            "figures to 0")
    # Traceability: only the rows whose best or high figure differs from the low one (few), row by row;
    # rows whose figures are out of order were reported above (one error per mistake).
    disordered = pc.fill_null(pc.or_(pc.or_(pc.less(best, low), pc.less(high, best)), pc.less(high, low)), False)
    differs = pc.and_(pc.fill_null(pc.or_(pc.not_equal(best, low), pc.not_equal(high, low)), False),
                      pc.invert(disordered))
    rows = np.flatnonzero(np.asarray(differs.to_numpy(zero_copy_only=False)))
    if len(rows) == 0:
        return
    # filter, not take: take on a many-chunk column first concatenates every chunk (all the notes)
    notes = pc.filter(ch.col("notes"), differs).to_pylist()
    lows, bests, highs = (pc.filter(c, differs).to_pylist() for c in (low, best, high))
    missing: list[int] = []
    messages: list[str] = []
    for k, row in enumerate(rows):
        stated = {int(m) for m in STATED.findall(notes[k] or "")}
        absent = [f"{name} {v}" for name, v in (("fatalities_best", bests[k]), ("fatalities_high", highs[k]))
                  if v is not None and v != lows[k] and v not in stated]
        if absent:
            missing.append(int(row))
            messages.append(" and ".join(absent) + " not stated in notes; say which cited report gives it")
    if missing:
        import pyarrow as pa

        ch.emit_rows(np.asarray(missing), "fatalities_high", "consistency.fatality-traceable", "",
                     aligned_messages=pa.array(messages, pa.string()))
