"""Filters that never fail silently: every filter value is matched against what the release holds.

Why before the scan: a researcher who writes ``admin1="Hama"`` against a release that spells it ``Hamah``
would otherwise get an empty frame and carry on. Here each text value is matched case-insensitively (after
Unicode NFKC normalisation, so a composed and a decomposed accent are the same letter) against the
release's distinct values (:mod:`.values`) and replaced by the release's exact spelling; a value that
matches nothing raises :class:`~openconflict.errors.ArgumentError` naming the closest values (rapidfuzz).
Look-alike letters from another script (a Cyrillic ``а`` in ``Hamа``) are different letters: they match
nothing, and the message suggests the real name. A date window or a year outside the release's coverage
says what the coverage is.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from openconflict.errors import ArgumentError
from openconflict.loader.filters import Filters
from openconflict.loader.labels import interaction_labels
from openconflict.loader.values import ASSOC_ACTORS, PRIMARY_ACTORS, Values

__all__ = ["closest", "fold", "resolve_filters"]

_SUGGESTIONS = 5
_CUTOFF = 50.0


def fold(text: str) -> str:
    """The form two spellings must share to match: NFKC-normalised, case-folded, outer spaces removed."""
    return unicodedata.normalize("NFKC", text).casefold().strip()


def _plain(text: str) -> str:
    """For ranking suggestions only: case-folded, accents dropped, punctuation as spaces."""
    from rapidfuzz import utils

    decomposed = unicodedata.normalize("NFKD", fold(text))
    return str(utils.default_process("".join(ch for ch in decomposed if not unicodedata.combining(ch))))


def closest(value: str, choices: list[str], limit: int = _SUGGESTIONS) -> list[str]:
    """The release's values nearest to ``value`` (case, accents and punctuation aside), best first.

    The scorer is the plain edit-distance ratio: the "weighted" scorers favour any value that contains the
    query's words, which ranks ``State forces-State forces`` above ``State forces-Rebel group`` for
    ``State forces-Rebels``.
    """
    from rapidfuzz import fuzz, process

    found = process.extract(value, choices, scorer=fuzz.ratio, processor=_plain, limit=limit,
                            score_cutoff=_CUTOFF)
    return [str(choice) for choice, _, _ in found]


def _unknown(name: str, value: str, choices: list[str], version: str, extra: str = "") -> ArgumentError:
    near = closest(value, choices)
    if near:
        hint = f"did you mean {', '.join(map(repr, near))}?"
    elif choices:
        sample = ", ".join(map(repr, choices[:8])) + (", ..." if len(choices) > 8 else "")
        hint = f"no value is close; it holds {len(choices)} value(s): {sample}"
    else:
        hint = f"the release has no {name} values at all"
    return ArgumentError(f"{name}={value!r} occurs nowhere in release {version}{extra}; {hint}")


def _match(name: str, values: list[str], choices: list[str], version: str,
           fallback: list[str] | None = None, fallback_hint: str = "") -> list[str]:
    """The release's exact spellings of ``values`` (each may match several spellings that differ in case)."""
    index: dict[str, list[str]] = {}
    for c in choices:
        index.setdefault(fold(c), []).append(c)
    out: list[str] = []
    for v in values:
        found = index.get(fold(v))
        if not found:
            if fallback is not None and any(fold(c) == fold(v) for c in fallback):
                raise ArgumentError(f"{name}={v!r} occurs in release {version} only {fallback_hint}")
            raise _unknown(name, v, choices, version)
        out += found
    return list(dict.fromkeys(out))


def _coverage_text(cover: Any) -> str:
    return "no events" if cover is None else f"events from {cover[0]} to {cover[1]}"


def resolve_filters(filters: Filters, values: Values) -> Filters:
    """Match every filter of ``filters`` against the release file behind ``values``; updates and returns it."""
    version = values.version
    for col, wanted in list(filters.equals.items()):
        if col == "year":
            _check_years(wanted, values)
        elif col == "interaction":
            filters.equals[col] = _interactions(wanted, values)
        else:
            filters.equals[col] = _match(col, wanted, values.distinct(col), version)
    if filters.actor:
        primary = values.distinct(PRIMARY_ACTORS)
        if filters.actor_role == "any":
            filters.actor = _match("actor", filters.actor, sorted({*primary, *values.distinct(ASSOC_ACTORS)}),
                                   version)
        else:
            filters.actor = _match("actor", filters.actor, primary, version, values.distinct(ASSOC_ACTORS),
                                   "as an associated actor (assoc_actor_1/assoc_actor_2); actor= matches "
                                   "actor1 and actor2 unless actor_role='any'")
    if filters.start or filters.end:
        cover = values.coverage()
        outside = cover is None or (filters.start is not None and filters.start > cover[1]) or \
            (filters.end is not None and filters.end < cover[0])
        if outside:
            window = f"{filters.start or '...'} to {filters.end or '...'}"
            raise ArgumentError(f"the window {window} lies outside release {version}, which holds "
                                f"{_coverage_text(cover)}")
    if filters.civilian_targeting and not values.distinct("civilian_targeting"):
        raise ArgumentError(f"civilian_targeting=True: no event of release {version} is flagged as civilian "
                            "targeting")
    return filters


def _check_years(years: list[int], values: Values) -> None:
    cover = values.coverage()
    for y in years:
        if not 1 <= y <= 9999:
            raise ArgumentError(f"year={y} is not a calendar year")
        if cover is None or not cover[0].year <= y <= cover[1].year:
            raise ArgumentError(f"year={y} lies outside release {values.version}, which holds "
                                f"{_coverage_text(cover)}")


def _interactions(wanted: list[Any], values: Values) -> list[int]:
    """Codes for codes and labels alike, each one valid and present in the release."""
    labels = interaction_labels()
    by_label = {fold(label): code for code, label in labels.items()}
    present = set(values.distinct("interaction"))
    codes: list[int] = []
    for w in wanted:
        if isinstance(w, str):
            code = by_label.get(fold(w))
            if code is None:
                near = closest(w, list(labels.values()))
                hint = f"; did you mean {', '.join(map(repr, near))}?" if near else ""
                raise ArgumentError(f"interaction={w!r} is not one of ACLED's interaction labels{hint}")
        else:
            code = w
            if code not in labels:
                swapped = (code % 10) * 10 + code // 10
                why = f"; the smaller actor-type code comes first ({swapped})" if swapped in labels else ""
                raise ArgumentError(f"interaction={code} is not a valid interaction code{why}")
        if code not in present:
            shown = ", ".join(f"{c} ({labels.get(c, '?')})" for c in sorted(present))
            raise ArgumentError(f"interaction={w!r} ({labels[code]}) occurs nowhere in release {values.version}; "
                                f"it holds {shown or 'no interactions'}")
        codes.append(code)
    return list(dict.fromkeys(codes))
