"""Test data for the analysis helpers: the committed release, and SYNTHETIC event frames.

Synthetic frames are made up (admin names ``SYNTHETIC admin N``, actors ``SYNTHETIC actor N``, notes
saying SYNTHETIC) so nobody can take them for reported events. They have ACLED's columns that the helpers
use, with the awkward cases real data has: missing admin2/admin3, empty and missing associated actors,
one-sided events.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[2]
RELEASES = REPO / "build" / "releases"
RELEASE_EVENTS = RELEASES / "1.0.1" / "data" / "events.parquet"

EVENT_TYPES = {
    "Battles": "Political violence", "Protests": "Demonstrations", "Riots": "Demonstrations",
    "Explosions/Remote violence": "Political violence", "Violence against civilians": "Political violence",
    "Strategic developments": "Strategic developments",
}


def synthetic_events(n: int, seed: int = 0, *, days: int = 900, admins: int = 12) -> pd.DataFrame:
    """``n`` SYNTHETIC events with the columns the helpers read, in ACLED's relative order."""
    rng = np.random.default_rng(seed)
    kinds = np.array(list(EVENT_TYPES))
    event_type = kinds[rng.integers(0, len(kinds), n)]
    admin1 = np.array([f"SYNTHETIC admin {i}" for i in range(admins)], dtype=object)[rng.integers(0, admins, n)]
    admin2 = np.array([f"SYNTHETIC district {i}" for i in range(3)] + [None], dtype=object)[rng.integers(0, 4, n)]
    actors = np.array([f"SYNTHETIC actor {i}" for i in range(20)], dtype=object)

    def assoc() -> np.ndarray:
        out = np.empty(n, dtype=object)
        k = rng.integers(0, 4, n)
        for i in range(n):
            out[i] = None if k[i] == 0 else ("" if k[i] == 1 else "; ".join(rng.choice(actors, k[i] - 1)))
        return out

    one_sided = rng.random(n) < 0.3
    actor2 = np.where(one_sided, None, actors[rng.integers(0, 20, n)])
    inter1 = rng.integers(1, 9, n).astype("int32")
    inter2 = np.where(one_sided, 0, rng.integers(1, 9, n)).astype("int32")
    lo, hi = np.minimum(inter1, inter2), np.maximum(inter1, inter2)
    frame = pd.DataFrame({
        "event_id_cnty": [f"SYN{i + 1}" for i in range(n)],
        "event_date": pd.to_datetime("2015-01-01") + pd.to_timedelta(rng.integers(0, days, n), unit="D"),
        "disorder_type": [EVENT_TYPES[e] for e in event_type],
        "event_type": event_type,
        "actor1": actors[rng.integers(0, 20, n)],
        "assoc_actor_1": assoc(),
        "inter1": inter1,
        "actor2": actor2,
        "assoc_actor_2": assoc(),
        "inter2": inter2,
        "interaction": np.where(lo == 0, hi * 10, lo * 10 + hi).astype("int32"),
        "country": "SYNTHETIC country",
        "iso3": "SYN",
        "admin1": admin1,
        "admin2": admin2,
        "latitude": np.round(rng.uniform(-60, 70, n), 4),
        "longitude": np.round(rng.uniform(-179, 179, n), 4),
        "fatalities": rng.integers(0, 30, n).astype("int32"),
        "notes": "SYNTHETIC event",
    })
    for col in ("event_id_cnty", "disorder_type", "event_type", "actor1", "assoc_actor_1", "actor2",
                "assoc_actor_2", "country", "iso3", "admin1", "admin2", "notes"):
        frame[col] = frame[col].astype("str" if int(pd.__version__.split(".")[0]) >= 3 else object)
    return frame


def pandas_reference(df: pd.DataFrame, units: list[str], period: str | None, split: str | None = None,
                     week_start: str = "monday") -> pd.DataFrame:
    """What a user writes by hand: a pandas group-by (missing unit names kept as their own group)."""
    keys: list[object] = [df[u] for u in units]
    dates = pd.to_datetime(df["event_date"])
    if period == "day":
        keys.append(dates.dt.normalize().rename("day"))
    elif period == "week":
        # pandas names a week by its last day: weeks starting Monday end on Sunday (W-SUN), and so on.
        end = {"monday": "SUN", "tuesday": "MON", "wednesday": "TUE", "thursday": "WED", "friday": "THU",
               "saturday": "FRI", "sunday": "SAT"}[week_start]
        keys.append(dates.dt.to_period(f"W-{end}").dt.start_time.rename("week"))
    elif period == "month":
        keys.append(dates.dt.to_period("M").dt.start_time.rename("month"))
    elif period == "year":
        keys.append(dates.dt.year.rename("year"))
    if split:
        keys.append(df[split])
    return (df.groupby(keys, dropna=False, sort=True, observed=True)
            .agg(events=("fatalities", "size"), fatalities=("fatalities", "sum")).reset_index())


def canonical(df: pd.DataFrame) -> pd.DataFrame:
    """Rows sorted on their text form, plain Python values: for comparing two aggregates."""
    out = pd.DataFrame({c: [None if pd.isna(v) else (v.isoformat() if hasattr(v, "isoformat") else
                                                     (int(v) if isinstance(v, (int, np.integer)) else str(v)))
                            for v in df[c]] for c in df.columns})
    return out.sort_values(list(out.columns), key=lambda s: s.astype(str)).reset_index(drop=True)
