"""'Did you mean …?': the nearest valid value for a misspelt code, name or id (rapidfuzz).

Why bounded: a broken file can hold a million distinct wrong values and a registry hundreds of thousands
of valid ones; comparing all of them would take longer than the whole validation. Suggestions are made
for as many distinct wrong values as a fixed budget of comparisons allows (the most frequent first), and
the rest get the plain message.
"""

from __future__ import annotations

from typing import Any

#: At most this many string comparisons per rule and column (rapidfuzz does ~10-50 million a second).
BUDGET = 1_000_000
#: Distinct wrong values are ranked by frequency within the first this many offending cells.
SAMPLE = 20_000
MIN_SCORE = 75


def nearest(wrong: list[str], choices: list[str]) -> dict[str, str]:
    """wrong value -> the closest choice scoring at least MIN_SCORE (case and punctuation ignored)."""
    if not wrong or not choices:
        return {}
    import numpy as np
    from rapidfuzz import fuzz, process, utils

    keep = max(10, BUDGET // len(choices))
    wrong = wrong[:keep]
    proc_choices = [utils.default_process(c) for c in choices]
    proc_wrong = [utils.default_process(w) for w in wrong]
    scores = process.cdist(proc_wrong, proc_choices, scorer=fuzz.ratio, dtype=np.uint8, workers=-1)
    best = scores.argmax(axis=1)
    out = {}
    for w, b, row in zip(wrong, best.tolist(), scores, strict=True):
        if row[b] >= MIN_SCORE and choices[b] != w:
            out[w] = choices[b]
    return out


def with_suggestions(message: str, arr: Any, bad: Any, choices: Any) -> Any:
    """Per-row messages for the rows of ``arr`` where ``bad`` holds: ``message`` plus a suggestion.

    ``choices`` is a list or an Arrow array of valid values. Returns a string array as long as ``arr``
    (rows that are not bad get the plain message), so the emitter can take the offending rows from it;
    None when nothing is close enough to suggest.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    wrong = pc.filter(arr, pc.fill_null(bad, False))
    if len(wrong) == 0:
        return None
    counts = pc.value_counts(wrong.slice(0, SAMPLE))
    ranked = pc.take(counts.field("values"),
                     pc.sort_indices(pa.table({"n": counts.field("counts")}), sort_keys=[("n", "descending")]))
    choice_list = choices.to_pylist() if hasattr(choices, "to_pylist") else list(choices)
    choice_list = [c for c in dict.fromkeys(choice_list) if isinstance(c, str) and c]
    ranked = ranked.slice(0, max(10, BUDGET // max(1, len(choice_list))))
    found = nearest([v for v in ranked.to_pylist() if isinstance(v, str)], choice_list)
    if not found:
        return None
    keys = pa.array(list(found), pa.string())
    texts = pa.array([f"{message}; did you mean '{found[k]}'?" for k in found], pa.string())
    return pc.fill_null(pc.take(texts, pc.index_in(arr, value_set=keys)), message)
