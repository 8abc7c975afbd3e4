"""Rules of a location's administrative units against its country's crosswalk (``schema/crosswalk/``).

Why a crosswalk: researchers group events by ``admin1``-``admin3`` and join them with other data by P-code;
a name spelled two ways splits a governorate in two. So a location's P-codes must be units of the right level
in its country's crosswalk, nest inside each other, and its names must be the crosswalk's names for them.
Locations are few (thousands, not millions), so the check runs once per distinct combination.
"""

from __future__ import annotations

from typing import Any

from ..schema import Schema
from .emit import Checker
from .events import row_iso3

LEVELS = (1, 2, 3)


def _has_crosswalk(schema: Schema, iso2: str, memo: dict[str, bool]) -> bool:
    """Whether any crosswalk unit's P-code starts with ``iso2`` (once per country: the crosswalk is large)."""
    if iso2 not in memo:
        memo[iso2] = bool(iso2) and any(p.startswith(iso2) for p in schema.admin_units)
    return memo[iso2]


def _problems(schema: Schema, iso3: str, codes: tuple[str, ...], names: tuple[str, ...],
              crosswalks: dict[str, bool]) -> list[tuple[str, str, str]]:
    """(column, rule, message) for one combination of country, P-codes and names."""
    country = schema.countries.get(iso3)
    iso2 = country.iso2 if country else ""
    has_crosswalk = _has_crosswalk(schema, iso2, crosswalks)
    found: list[tuple[str, str, str]] = []
    for level, code, name in zip(LEVELS, codes, names, strict=True):
        col = f"admin{level}_pcode"
        if not code:
            if has_crosswalk and name:
                found.append((col, "warn.admin-pcode-missing",
                              f"admin{level} {name!r} has no P-code; give admin{level}_pcode from the crosswalk"))
            continue
        if not has_crosswalk:
            found.append((col, "ref.admin-pcode", f"{iso3} has no crosswalk under schema/crosswalk/; leave the "
                                                  "P-codes empty"))
            continue
        unit = schema.admin_units.get(code)
        if unit is None or unit.level != level or not code.startswith(iso2):
            found.append((col, "ref.admin-pcode", f"not a level-{level} unit of {iso3} in the crosswalk"))
            continue
        if level > 1 and unit.parent != codes[level - 2]:
            found.append((col, "consistency.admin-pcode",
                          f"{code} lies in {unit.parent or 'no unit'}, not in admin{level - 1}_pcode "
                          f"{codes[level - 2] or '(empty)'}"))
        if name != unit.name:
            found.append((f"admin{level}", "consistency.admin-pcode",
                          f"the crosswalk names {code} {unit.name!r}"))
    return found


def check_admin_units(ch: Checker, schema: Schema) -> None:
    import numpy as np
    import pyarrow.compute as pc

    n = ch.table.num_rows
    if n == 0:
        return
    iso = np.asarray(row_iso3(ch).to_pylist(), dtype=object)
    cols: dict[str, Any] = {c: np.asarray(pc.fill_null(ch.col(c), "").to_pylist(), dtype=object)
                            for lv in LEVELS for c in (f"admin{lv}", f"admin{lv}_pcode")}
    keys = list(zip(iso, *(cols[f"admin{lv}_pcode"] for lv in LEVELS), *(cols[f"admin{lv}"] for lv in LEVELS),
                    strict=True))
    by_problem: dict[tuple[str, str, str], list[int]] = {}
    memo: dict[tuple[Any, ...], list[tuple[str, str, str]]] = {}
    crosswalks: dict[str, bool] = {}
    for row, key in enumerate(keys):
        if key not in memo:
            memo[key] = _problems(schema, str(key[0] or ""), tuple(key[1:4]), tuple(key[4:7]), crosswalks)
        for problem in memo[key]:
            by_problem.setdefault(problem, []).append(row)
    for (column, rule, message), rows in by_problem.items():
        mask = np.zeros(n, dtype=bool)
        mask[rows] = True
        ch.emit(mask, column, rule, message)
