"""Actor transforms: one row per actor per event (long), and back to one row per event (wide).

Why: questions about actors ("every event Hezbollah took part in, on either side, as a main or an
associated actor") are awkward on ACLED's wide layout, where an actor can sit in four columns and the
associated ones hold ``; ``-separated lists. acledR's longer transform answers them with one row per actor
and its role; :func:`to_long` gives the same shape, and :func:`to_wide` undoes it exactly, so a filtered or
recoded long frame can go back to the layout every other tool expects.

Exactness: splitting on ``; `` and joining with ``; `` are inverses for any text, so an associated-actor
cell comes back byte for byte (odd spacing and empty items included). A missing cell gives no row and
comes back missing; an empty cell gives one row with an empty actor and comes back empty. An event with no
actor in any role keeps one row whose role and actor are missing, so no event is lost. The wide frame's
column order and the actor columns' dtypes are kept in ``long.attrs`` (which pandas carries through most
operations); without them, :func:`to_wide` puts the actor columns back in ACLED's order.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["KEY", "ROLES", "SEPARATOR", "to_long", "to_wide"]

ROLES = ("actor1", "assoc_actor_1", "actor2", "assoc_actor_2")
SEPARATOR = "; "
KEY = "event_id_cnty"
_TYPE_COLUMN = {"actor1": "inter1", "actor2": "inter2"}
_LIST_ROLES = {"assoc_actor_1", "assoc_actor_2"}
_ADDED = ("role", "actor", "actor_type")
_ATTR = "openconflict.to_long"


def to_long(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per actor per event: ``role`` (actor1, assoc_actor_1, actor2, assoc_actor_2), ``actor`` and
    ``actor_type`` (the inter1/inter2 code for main actors; missing for associated actors, which ACLED's
    layout gives no type), next to every other column of the event (inter1 and inter2 included).

    Rows come in the events' order, then role order, then the order of the associated-actor list. The index
    labels of the wide frame repeat on each of an event's rows, as ``DataFrame.explode`` does.
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"to_long() takes a pandas DataFrame, not {type(frame).__name__} "
                        "(convert a pyarrow Table or polars frame with .to_pandas())")
    roles = [r for r in ROLES if r in frame.columns]
    if not roles:
        raise ValueError(f"the frame has none of the actor columns {', '.join(ROLES)}")
    if KEY not in frame.columns:
        raise ValueError(f"to_long() needs the event id column {KEY!r} to bring the actors back together")
    for name in _ADDED:
        if name in frame.columns:
            raise ValueError(f"the frame already has a column {name!r}, which to_long() would overwrite")
    keys = frame[KEY]
    if keys.isna().any() or keys.duplicated().any():
        dupes = keys[keys.duplicated(keep=False) | keys.isna()].astype(object).unique()[:5]
        raise ValueError(f"{KEY} must be present and unique on every row; repeated or missing: {list(dupes)}")

    n = len(frame)
    positions, role_codes, actors = [], [], []
    for code, role in enumerate(ROLES):
        if role not in frame.columns:
            continue
        column = frame[role]
        present = column.notna().to_numpy()
        values = pd.Series(column.to_numpy(dtype=object)[present], index=np.flatnonzero(present), dtype=object)
        if not all(isinstance(v, str) for v in values):
            bad = next(v for v in values if not isinstance(v, str))
            raise TypeError(f"{role} holds {bad!r} ({type(bad).__name__}); actor cells must be text")
        if role in _LIST_ROLES:
            values = values.str.split(SEPARATOR, regex=False).explode()
        positions.append(values.index.to_numpy(dtype=np.int64))
        role_codes.append(np.full(len(values), code, dtype=np.int8))
        actors.append(values.to_numpy(dtype=object))
    pos = np.concatenate(positions)
    role_code = np.concatenate(role_codes)
    actor = np.concatenate(actors)
    lonely = np.setdiff1d(np.arange(n, dtype=np.int64), pos, assume_unique=False)
    if len(lonely):  # no actor in any role: one placeholder row keeps the event
        pos = np.concatenate([pos, lonely])
        role_code = np.concatenate([role_code, np.full(len(lonely), -1, dtype=np.int8)])
        actor = np.concatenate([actor, np.full(len(lonely), None, dtype=object)])
    order = np.lexsort((role_code, pos))  # stable: list order kept within an event and role
    pos, role_code, actor = pos[order], role_code[order], actor[order]

    long = frame.drop(columns=roles).take(pos)
    role = pd.Categorical.from_codes(role_code, categories=list(ROLES))
    actor_type = pd.array([pd.NA] * len(pos), dtype="Int32")
    for main, inter in _TYPE_COLUMN.items():
        if inter in frame.columns:
            rows = role_code == ROLES.index(main)
            actor_type[rows] = pd.array(frame[inter].to_numpy()[pos[rows]], dtype="Int32")
    at = min(list(frame.columns).index(r) for r in roles)  # no actor column stands before it
    text = _text_dtype(frame[roles[0]].dtype)
    for offset, (name, values) in enumerate((("role", role), ("actor", pd.array(actor, dtype=text)),
                                             ("actor_type", actor_type))):
        long.insert(at + offset, name, values)
    long.attrs[_ATTR] = {"columns": list(frame.columns), "dtypes": {r: frame[r].dtype for r in roles},
                         "range_index": isinstance(frame.index, pd.RangeIndex) and frame.index.equals(
                             pd.RangeIndex(n))}
    return long


def to_wide(long: pd.DataFrame) -> pd.DataFrame:
    """Undo :func:`to_long`: one row per event, the actor columns rebuilt (lists joined with ``; ``).

    Events come back in the order of their first row. ``actor_type`` is dropped: inter1 and inter2 travel
    as columns of their own. A long frame whose rows were filtered comes back with only what is left.
    """
    if not isinstance(long, pd.DataFrame):
        raise TypeError(f"to_wide() takes a pandas DataFrame, not {type(long).__name__}")
    missing = [c for c in ("role", "actor", KEY) if c not in long.columns]
    if missing:
        raise ValueError(f"to_wide() needs the columns {', '.join(missing)} (as made by to_long())")
    meta = long.attrs.get(_ATTR) or {}
    rest = [c for c in long.columns if c not in _ADDED]
    roles = [r for r in ROLES if r in meta.get("dtypes", {})] or list(ROLES)
    if meta and set(meta["columns"]) != set(rest) | set(roles):
        meta = {}  # columns were added or dropped since to_long: fall back to ACLED's order
        roles = list(ROLES)

    codes, _ = pd.factorize(long[KEY], use_na_sentinel=True)
    if (codes < 0).any():
        raise ValueError(f"{int((codes < 0).sum())} row(s) have no {KEY}")
    _, first = np.unique(codes, return_index=True)
    wide = long[rest].iloc[first]
    role = long["role"].astype(object).to_numpy()
    actor = long["actor"].to_numpy(dtype=object)
    unknown = set(pd.unique(role[pd.notna(role)])) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown role(s) {sorted(map(str, unknown))}; roles are {', '.join(ROLES)}")
    text = _text_dtype(long["actor"].dtype)
    rebuilt: dict[str, Any] = {}
    for name in roles:
        rows = role == name
        if pd.isna(actor[rows]).any():
            raise ValueError(f"a {name} row has no actor; an empty actor is '' and a missing cell has no row")
        cells = np.full(len(first), None, dtype=object)
        if rows.any():
            joined = pd.Series(actor[rows], dtype=object).groupby(codes[rows], sort=True).agg(SEPARATOR.join)
            cells[joined.index.to_numpy()] = joined.to_numpy()
        dtype = meta.get("dtypes", {}).get(name, text)
        rebuilt[name] = pd.Series(cells, index=wide.index, dtype=object).astype(dtype)

    for name, values in rebuilt.items():
        wide[name] = values
    wide = wide[meta["columns"] if meta else _acled_order(list(long.columns), roles)]
    if meta.get("range_index", True) and (wide.index.to_numpy() == np.arange(len(wide))).all():
        wide.index = pd.RangeIndex(len(wide))
    wide.attrs.pop(_ATTR, None)
    return wide


def _acled_order(long_columns: list[str], roles: list[str]) -> list[str]:
    """Actor columns where ``role`` stood: ACLED's interleaved order if inter1/inter2 follow, else in a row."""
    at = long_columns.index("role")
    before = [c for c in long_columns[:at] if c not in _ADDED]
    after = [c for c in long_columns[at:] if c not in _ADDED]
    if after[:2] == ["inter1", "inter2"]:
        block = ["actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2"]
        return before + [c for c in block if c in roles or c.startswith("inter")] + after[2:]
    return before + roles + after


def _text_dtype(dtype: Any) -> Any:
    """The dtype of the long ``actor`` column: the actor columns' own text dtype, else pandas' default."""
    if pd.api.types.is_string_dtype(dtype) and not isinstance(dtype, pd.CategoricalDtype) and getattr(dtype, "kind", "") != "O":
        return dtype
    return "str" if int(pd.__version__.split(".")[0]) >= 3 else object
