"""The report's counts over the events, gathered a batch at a time.

Why batches: the report used to hold 14 columns of every event at once (about 2.5 GB at 10M events, the
largest moment of a build in parts, issue 12). Every figure is a count, a sum, a minimum or a "first
seen", so it can be gathered batch by batch in bounded memory and give exactly what the whole table gave.

Why "first seen" codes: where the report keeps the order of values (map markers, event types missing from
the schema's vocabulary), that order is the order in which values first appear in the release's rows, as
it always was: the codes of :class:`FirstSeen` are given in that order across batches, whatever the
batches' own dictionaries hold.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

#: Text columns counted by value (a code per value, see :class:`FirstSeen`).
CODED = ("country", "admin1", "event_type", "sub_event_type", "actor1", "actor2", "location_id")
_KEY = 1 << 24  # two codes in one integer (a * _KEY + b): room for 16M values each
_PILE = 1 << 20  # marker keys gathered before they are merged (bounded by the markers themselves)


class FirstSeen:
    """A code per distinct value of one text column, numbered in the order values first appear."""

    def __init__(self) -> None:
        self.values: list[Any] = []
        self._index: dict[Any, int] = {}

    def codes(self, column: pa.Array) -> np.ndarray:
        """The code of each row of ``column`` (-1 for a null), new values numbered as they first appear."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        arr = column if pa.types.is_dictionary(column.type) else pc.dictionary_encode(column)
        local = pc.fill_null(arr.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
        rows = np.arange(len(local), dtype=np.int64)
        first = np.full(len(arr.dictionary) + 1, len(local), np.int64)
        first[local[::-1]] = rows[::-1]  # the last write wins: each entry's first row (a null's in the last slot)
        used = np.flatnonzero(first[:-1] < len(local))
        order = used[np.argsort(first[used], kind="stable")]  # the dictionary entries this batch uses, as they appear
        mapping = np.full(len(arr.dictionary) + 1, -1, np.int64)  # the last slot maps a null (-1) to -1
        for k, value in zip(order.tolist(), arr.dictionary.take(pa.array(order, pa.int64())).to_pylist(),
                            strict=True):
            if value is None:
                continue
            code = self._index.get(value)
            if code is None:
                code = self._index[value] = len(self.values)
                self.values.append(value)
            mapping[k] = code
        return mapping[local]


class EventTally:
    """Everything the report counts over the events table, fed one record batch at a time (:meth:`add`)."""

    def __init__(self, ranges: bool) -> None:
        self.rows = 0
        self.fatalities = 0
        self.first: Any = None
        self.last: Any = None
        self.coded = {name: FirstSeen() for name in CODED}
        self.governorates: set[tuple[int, int]] = set()  # (country code, admin1 code)
        self.months: tuple[int, int] | None = None  # first and last month (year * 12 + month - 1) with events
        self.month_type: dict[int, list[int]] = {}  # month * _KEY + type code: [events, fatalities]
        self.sub_types: Counter[tuple[int, int]] = Counter()  # (type code, sub-type code)
        self.actors: tuple[Counter[int], Counter[int]] = (Counter(), Counter())
        # markers: keys ((place code * _KEY + type code) * 64 + fatality class) and their events, merged
        # once they pile up (:meth:`markers`); each place's coordinates, from its first row (NaN: not seen)
        self._marker_keys: list[np.ndarray] = []
        self._marker_counts: list[np.ndarray] = []
        self._piled = 0
        self.place_coords = _empty_coords(0)
        self.precision: dict[str, Counter[int]] = {"time_precision": Counter(), "geo_precision": Counter()}
        self.multi_report = 0
        self.ranges = [0, 0, 0] if ranges else None  # best, high, events with no figure

    def add(self, batch: pa.RecordBatch) -> None:
        import numpy as np
        import pyarrow.compute as pc

        if not batch.num_rows:
            return
        self.rows += batch.num_rows
        col = batch.column
        self.fatalities += int(pc.sum(col("fatalities")).as_py() or 0)
        code = {name: self.coded[name].codes(col(name)) for name in CODED}
        fat = pc.fill_null(col("fatalities"), 0).to_numpy(zero_copy_only=False).astype(np.int64)

        dates = col("event_date")
        if dates.null_count < len(dates):
            lo, hi = (v.as_py() for v in pc.min_max(dates).values())
            self.first = lo if self.first is None else min(self.first, lo)
            self.last = hi if self.last is None else max(self.last, hi)
            month = pc.add(pc.multiply(pc.year(dates), 12), pc.subtract(pc.month(dates), 1))
            m = pc.fill_null(month, -1).to_numpy(zero_copy_only=False).astype(np.int64)
            dated = m[m >= 0]
            span = (int(dated.min()), int(dated.max()))
            self.months = span if self.months is None else (min(self.months[0], span[0]), max(self.months[1], span[1]))
            ok = (m >= 0) & (code["event_type"] >= 0)
            keys, inverse, counts = np.unique(m[ok] * _KEY + code["event_type"][ok], return_inverse=True,
                                              return_counts=True)
            sums = np.bincount(inverse, weights=fat[ok], minlength=len(keys))
            for key, n, f in zip(keys.tolist(), counts.tolist(), sums.tolist(), strict=True):
                slot = self.month_type.setdefault(key, [0, 0])
                slot[0] += n
                slot[1] += int(f)

        both = (code["country"] >= 0) & (code["admin1"] >= 0)
        self.governorates.update(_counted_pairs(code["country"][both], code["admin1"][both]))
        typ, sub = code["event_type"], code["sub_event_type"]
        ok = (typ >= 0) & (sub >= 0)
        self.sub_types.update(_counted_pairs(typ[ok], sub[ok]))
        for counter, name in zip(self.actors, ("actor1", "actor2"), strict=True):
            counter.update(_counts(code[name]))
        for name, counter in self.precision.items():
            values = col(name).drop_null().to_numpy(zero_copy_only=False)
            found, counts = np.unique(values, return_counts=True)
            counter.update(dict(zip(found.tolist(), counts.tolist(), strict=True)))
        self._markers(batch, code, fat)
        ids = pc.fill_null(col("source_ids"), "")
        self.multi_report += int(pc.sum(pc.greater_equal(pc.count_substring(ids, "; "), 1)).as_py() or 0)
        if self.ranges is not None:
            self.ranges[0] += int(pc.sum(col("fatalities_best")).as_py() or 0)
            self.ranges[1] += int(pc.sum(col("fatalities_high")).as_py() or 0)
            self.ranges[2] += int(pc.sum(pc.invert(pc.fill_null(col("fatalities_known"), False))).as_py() or 0)

    def _markers(self, batch: pa.RecordBatch, code: dict[str, np.ndarray], fat: np.ndarray) -> None:
        """Map markers: events at one place, of one type and fatality class, are one marker."""
        import numpy as np
        import pyarrow.compute as pc

        from .mapping import fatality_class

        lat = pc.fill_null(batch.column("latitude"), np.nan).to_numpy(zero_copy_only=False)
        lon = pc.fill_null(batch.column("longitude"), np.nan).to_numpy(zero_copy_only=False)
        loc, typ = code["location_id"], code["event_type"]
        ok = np.flatnonzero(np.isfinite(lat) & np.isfinite(lon) & (loc >= 0) & (typ >= 0))
        places, first = np.unique(loc[ok], return_index=True)
        if len(places) and places[-1] >= len(self.place_coords):
            grown = _empty_coords(max(int(places[-1]) + 1, 2 * len(self.place_coords)))
            grown[:len(self.place_coords)] = self.place_coords
            self.place_coords = grown
        new = np.isnan(self.place_coords[places, 0])
        rows = ok[first[new]]
        self.place_coords[places[new]] = np.column_stack([lat[rows], lon[rows]])
        keys, counts = np.unique((loc[ok] * _KEY + typ[ok]) * 64 + fatality_class(fat[ok]), return_counts=True)
        self._marker_keys.append(keys)
        self._marker_counts.append(counts)
        self._piled += len(keys)
        if self._piled > _PILE:
            self.markers()

    def markers(self) -> tuple[np.ndarray, np.ndarray]:
        """Every marker's key, ascending (by place, type, class), and its number of events."""
        import numpy as np

        if not self._marker_keys:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        keys, inverse = np.unique(np.concatenate(self._marker_keys), return_inverse=True)
        counts = np.bincount(inverse, weights=np.concatenate(self._marker_counts), minlength=len(keys))
        self._marker_keys, self._marker_counts = [keys], [counts.astype(np.int64)]
        self._piled = len(keys)
        return keys, self._marker_counts[0]

    def points(self) -> dict[str, Any]:
        """The map's markers: events with the same place, event type and fatality class coincide, so each
        such group is one marker (with the number of events behind it), in the order of place, type and class
        (each numbered as first seen); see mapping.FATALITY_CLASSES. A marker stands at the coordinates of the
        first event at its place (a place's events share them)."""
        import numpy as np

        keys, counts = self.markers()
        place, kind, size = keys // 64 // _KEY, keys // 64 % _KEY, keys % 64
        types = np.asarray(self.coded["event_type"].values, dtype=object)
        return {"latitude": self.place_coords[place, 0].copy(), "longitude": self.place_coords[place, 1].copy(),
                "event_type": types[kind], "size_class": size, "events": counts}

    def monthly(self, types: list[str]) -> tuple[list[str], dict[str, list[int]], dict[str, list[int]]]:
        """Events and fatalities per calendar month and event type (``types`` first, then any other in the
        order first seen), with empty months filled in as zero."""
        if self.months is None:
            return [], {}, {}
        first, last = self.months
        months = [f"{k // 12:04d}-{k % 12 + 1:02d}" for k in range(first, last + 1)]
        by_type: dict[int, list[tuple[int, int, int]]] = {}
        for key, (n, f) in self.month_type.items():
            month, kind = split(key)
            by_type.setdefault(kind, []).append((month - first, n, f))
        ev: dict[str, list[int]] = {k: [0] * len(months) for k in types}
        fa: dict[str, list[int]] = {k: [0] * len(months) for k in types}
        for code, kind in enumerate(self.coded["event_type"].values):
            if code not in by_type:
                continue
            ev.setdefault(kind, [0] * len(months))
            fa.setdefault(kind, [0] * len(months))
            for at, n, f in by_type[code]:
                ev[kind][at] += n
                fa[kind][at] += f
        return months, ev, fa


def _empty_coords(n: int) -> np.ndarray:
    import numpy as np

    return np.full((n, 2), np.nan)


def _counts(codes: np.ndarray) -> dict[int, int]:
    """How many rows hold each code (nulls, -1, left out)."""
    import numpy as np

    counts = np.bincount(codes[codes >= 0])
    found = np.flatnonzero(counts)
    return dict(zip(found.tolist(), counts[found].tolist(), strict=True))


def split(key: int) -> tuple[int, int]:
    """The two codes of a key made by ``a * _KEY + b``."""
    return key // _KEY, key % _KEY


def _counted_pairs(a: np.ndarray, b: np.ndarray) -> dict[tuple[int, int], int]:
    import numpy as np

    key, counts = np.unique(a * _KEY + b, return_counts=True)
    return {(k // _KEY, k % _KEY): n for k, n in zip(key.tolist(), counts.tolist(), strict=True)}
