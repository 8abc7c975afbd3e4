"""Synthetic curated trees for benchmarks: N events over ~50 countries, never to be released.

Why synthetic: ACLED's terms forbid ingesting its records, and our real curated data is far too small to
show how the tools behave at ACLED scale (about a million events a year of history). So this module writes
a ``datasets/``-shaped tree that looks like real curation (50 countries x 120 months of files, registries
of actors, locations and sources) and passes every rule of ``openconflict validate`` with zero errors and
zero warnings. Every source row says SYNTHETIC (publisher, title, an ``example.invalid`` URL) and so does
every note, so nobody can mistake the data for reported events.

Why vectorised: a 3,000,000-event tree must generate in well under a minute, so columns are built with
numpy and pyarrow.compute and each file is written by ``pyarrow.csv``; Python loops run per file or per
registry row, never per event.

``inject_errors=True`` plants a known set of mistakes, at least one per rule of the validator's catalogue
(``openconflict.validate.rules``; the few no tree can carry are listed in ``synth_hostile.NOT_INJECTED``),
and writes ``manifest.json`` next to the tree listing each (file, line, rule); the validate benchmark
checks that every one of them is reported. ``shape=`` writes an adversarial shape instead (see
``synth_hostile``).

Command line: ``python benchmarks/synth.py OUT_DIR --n 1000000 [--seed 0] [--inject-errors]``
(OUT_DIR/datasets is created).
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from openconflict.schema import Schema, load_schema

try:
    from benchmarks import synth_hostile
except ImportError:  # run as a script: benchmarks/ is the script's own folder
    import synth_hostile  # type: ignore[no-redef]

#: Countries with real conflict-event traffic that have a bounding box in our vocabulary, in order of
#: preference; the first ``n_countries`` that have a box are used.
PREFERRED = [
    "SYR", "IRQ", "YEM", "AFG", "PAK", "IND", "MMR", "NGA", "SDN", "SSD", "SOM", "ETH", "KEN", "COD",
    "CAF", "MLI", "BFA", "NER", "TCD", "CMR", "LBY", "EGY", "TUR", "UKR", "RUS", "MEX", "COL", "VEN",
    "BRA", "PER", "CHL", "ARG", "PHL", "IDN", "THA", "BGD", "NPL", "IRN", "SAU", "ISR", "MOZ", "ZWE",
    "ZAF", "UGA", "BDI", "RWA", "HTI", "NIC", "GTM", "HND", "ECU", "BOL", "DZA", "TUN", "MAR", "GEO",
    "ARM", "AZE",
]

EVENT_COLUMNS = ["event_id", "event_date", "time_precision", "event_type", "sub_event_type", "actor1",
                 "assoc_actor_1", "actor2", "assoc_actor_2", "location_id", "geo_precision", "fatalities",
                 "fatalities_best", "fatalities_high", "fatalities_known", "civilian_targeting", "source_ids", "notes", "tags", "updated"]
START_YEAR = 2016
YEARS = 10
DAYS = 28  # every month has at least 28 days, so (day, place) slots are the same size for every file
EVENT_TYPE_P = {"Battles": 0.25, "Protests": 0.20, "Riots": 0.08, "Explosions/Remote violence": 0.17,
                "Violence against civilians": 0.15, "Strategic developments": 0.15}
#: The version the benchmarks publish the synthetic tree as; its tombstones say they were deleted in it.
FIRST_RELEASE = "1.0.0"
SCALES = ["Local partner", "Subnational", "National", "Regional", "International", "New media",
          "National-International"]
TARGETED = "Civilian targeting"
#: No quoting: no synthetic value holds a comma, quote or line break, and curators' files look like this.
#: Part of the cache key of generated trees: bump it whenever the generator's output changes.
GENERATOR_VERSION = 7
WRITE = pacsv.WriteOptions(quoting_style="none", include_header=False)


@dataclass
class Injected:
    """One planted mistake: where it is and which rule must report it."""

    file: str
    line: int
    rule: str
    column: str
    note: str = ""


@dataclass
class SynthSummary:
    """What was written, for the benchmark tables."""

    root: str
    n_events: int
    seed: int
    countries: list[str]
    files: int
    actors: int
    locations: int
    sources: int
    seconds: float
    injected: list[Injected] = field(default_factory=list)


def pick_countries(schema: Schema, n: int) -> list[str]:
    """``n`` ISO3 codes that have a bounding box wide enough to place points strictly inside."""
    def usable(iso: str) -> bool:
        c = schema.countries.get(iso)
        return bool(c and c.bbox and c.bbox[2] - c.bbox[0] > 0.01 and c.bbox[3] - c.bbox[1] > 0.01)

    chosen = [c for c in PREFERRED if usable(c)]
    chosen += [c for c in sorted(schema.countries) if usable(c) and c not in chosen]
    if len(chosen) < n:
        raise ValueError(f"only {len(chosen)} countries have a bounding box; asked for {n}")
    return chosen[:n]


def _actors(countries: list[str]) -> tuple[list[tuple[str, int, str, str]], dict[str, np.ndarray]]:
    """Actor registry rows and, per role, a (country x k) matrix of indices into it."""
    rows: list[tuple[str, int, str, str]] = []
    armed: list[list[int]] = []
    roles: dict[str, list[int]] = {"state": [], "rioters": [], "protesters": [], "civilians": []}
    for iso in countries:
        def add(name: str, kind: int, desc: str) -> int:
            rows.append((name, kind, iso, f"SYNTHETIC actor: {desc}"))  # noqa: B023 - used at once
            return len(rows) - 1

        state = add(f"Synthetic State Forces ({iso})", 1, "state forces of a synthetic country")
        mine = [state, add(f"Synthetic Police Forces ({iso})", 1, "police of a synthetic country")]
        mine += [add(f"Synthetic Rebel Front {k} ({iso})", 2, "a rebel group") for k in (1, 2, 3)]
        mine += [add(f"Synthetic Political Militia {k} ({iso})", 3, "a political militia") for k in (1, 2)]
        mine.append(add(f"Unidentified Armed Group ({iso})", 3, "armed men nobody identified"))
        mine += [add(f"Synthetic Communal Militia {k} ({iso})", 4, "an identity militia") for k in (1, 2)]
        mine.append(add(f"Synthetic External Force ({iso})", 8, "a foreign force operating here"))
        armed.append(mine)
        roles["state"].append(state)
        roles["rioters"].append(add(f"Rioters ({iso})", 5, "rioters"))
        roles["protesters"].append(add(f"Protesters ({iso})", 6, "protesters"))
        roles["civilians"].append(add(f"Civilians ({iso})", 7, "civilians"))
    out = {k: np.asarray(v, dtype=np.int64) for k, v in roles.items()}
    out["armed"] = np.asarray(armed, dtype=np.int64)
    return rows, out


def _write(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        fh.write((",".join(table.column_names) + "\n").encode())
        if table.num_rows:
            pacsv.write_csv(table, fh, WRITE)


def _admin_columns(schema: Schema, iso: str, n: int) -> dict[str, pa.Array]:
    """Admin names (and P-codes) for ``n`` synthetic places of ``iso``.

    A country with a crosswalk under ``schema/crosswalk/`` gets its real districts, cycled, with their
    governorates, so the places pass the crosswalk rules; any other country gets synthetic names.
    """
    iso2 = schema.countries[iso].iso2
    districts = [u for u in schema.admin_units.values() if u.level == 2 and u.pcode.startswith(iso2)]
    if not districts:
        return {"admin1": _strings([f"Synthetic Province {p % 12 + 1}" for p in range(n)]),
                "admin2": _strings([f"Synthetic District {p % 40 + 1}" for p in range(n)]),
                "admin1_pcode": _strings([""] * n), "admin2_pcode": _strings([""] * n)}
    units = [districts[p % len(districts)] for p in range(n)]
    return {"admin1": _strings([schema.admin_units[u.parent].name for u in units]),
            "admin2": _strings([u.name for u in units]),
            "admin1_pcode": _strings([u.parent for u in units]),
            "admin2_pcode": _strings([u.pcode for u in units])}


def _strings(values: Any) -> pa.Array:
    return pa.array(values, pa.string())


#: Above this many bytes of input text, :func:`_join` works in 64-bit offsets (a 10M tree's notes pass 2 GB,
#: the most a ``string`` array holds); below it the arrays stay ``string``, so smaller trees keep their bytes.
_LARGE_TEXT = 1 << 30


def _join(*parts: Any) -> Any:
    """Element-wise concatenation of string arrays and scalars (scalars broadcast)."""
    if sum(p.nbytes for p in parts if isinstance(p, pa.Array | pa.ChunkedArray)) > _LARGE_TEXT:
        big = pa.large_string()
        parts = tuple(p.cast(big) if isinstance(p, pa.Array | pa.ChunkedArray) else pa.scalar(p, big) for p in parts)
        return pc.binary_join_element_wise(*parts, pa.scalar("", big))
    return pc.binary_join_element_wise(*parts, "")


#: Function words of English at their real high frequency, so synthetic prose has the skew of real notes.
_COMMON = ("the", "of", "and", "in", "on", "to", "a", "by", "at", "were", "was", "with", "from", "near",
           "after", "during", "against", "reportedly", "killed", "wounded", "forces", "village", "town",
           "clashes", "district", "reported", "attack", "armed", "members", "group", "residents", "local")
_SYLLABLES = ("ka", "ro", "mi", "tan", "sel", "vo", "ur", "den", "pli", "sha", "gor", "ne", "bai", "lu",
              "tre", "qua", "fi", "mos", "zen", "hal", "dro", "pe", "si", "bar", "kul", "om", "ves", "tri",
              "na", "gel", "mur", "ost", "ja", "wen", "cro", "li", "dem", "ab", "fu", "rin")


def _vocabulary(rng: np.random.Generator, size: int) -> tuple[pa.Array, np.ndarray]:
    """``size`` synthetic words (the common English ones first) and their Zipf-like probabilities."""
    words = list(_COMMON)
    seen = set(words)
    syl = np.array(_SYLLABLES)
    while len(words) < size:
        w = "".join(syl[rng.integers(0, len(syl), int(rng.integers(2, 5)))])
        if w not in seen:
            seen.add(w)
            words.append(w)
    p = 1.0 / (np.arange(size) + 2.7) ** 1.07
    return _strings(words), p / p.sum()


def _prose(rng: np.random.Generator, n: int, lo_words: int, hi_words: int, vocab: tuple[pa.Array, np.ndarray]) -> Any:
    """``n`` texts of ``lo_words``..``hi_words`` Zipf-distributed words (about 7 characters a word with its
    space), so lengths and compression resemble real notes instead of one repeated template."""
    words, p = vocab
    counts = rng.integers(lo_words, hi_words + 1, n)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    cdf = np.cumsum(p)
    picks = np.minimum(np.searchsorted(cdf, rng.random(int(offsets[-1]))), len(p) - 1)
    lists = pa.LargeListArray.from_arrays(pa.array(offsets), pc.take(words, pa.array(picks)))
    return pc.binary_join(lists, " ")


def generate(out: Path, n: int, seed: int = 0, *, n_countries: int = 50, inject_errors: bool = False,
             schema: Schema | None = None, shape: str | None = None) -> SynthSummary:
    """Write a curated tree of ``n`` events to ``out`` (a folder named ``datasets``, replaced if present).

    Deterministic for ``seed``: the same arguments give byte-identical files.
    """
    t0 = time.perf_counter()
    schema = schema or load_schema()
    out = Path(out)
    if out.exists():
        shutil.rmtree(out)
    rng = np.random.default_rng(seed)
    countries = pick_countries(schema, n_countries)
    C, M = len(countries), YEARS * 12
    F = C * M

    # How many events each country-month file holds: heavier and lighter countries, noisy months.
    weight = np.outer(rng.gamma(2.0, 1.0, C), rng.uniform(0.5, 1.5, M)).ravel()
    counts = rng.multinomial(n, weight / weight.sum())
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    # Places per country: enough that every event of a file gets its own (day, place) slot, which
    # rules out the "probable duplicate" warning by construction.
    L = max(100, math.ceil(2 * int(counts.max()) / DAYS))
    slots = DAYS * L

    file_id = np.repeat(np.arange(F), counts)
    k = np.arange(n) - starts[file_id]
    stride = 1_000_003  # a prime larger than any slot count: k -> k*stride mod slots is one-to-one
    slot = (rng.integers(0, slots, F)[file_id] + k * stride) % slots
    day, place = slot // L + 1, slot % L
    order = np.lexsort((place, day, file_id))
    day, place = day[order], place[order]
    country = file_id // M
    month = file_id % M

    # Identity: numbered per country in date order, so ids grow with time like a real log.
    c_counts = counts.reshape(C, M).sum(axis=1)
    c_starts = np.concatenate([[0], np.cumsum(c_counts)[:-1]])
    number = np.arange(n) - c_starts[country] + 1
    iso_arr = _strings(countries)
    iso_col = pc.take(iso_arr, pa.array(country))
    event_id = _join(iso_col, pc.cast(pa.array(number), pa.string()))
    month64 = np.datetime64(f"{START_YEAR}-01", "M") + month
    dates = month64.astype("datetime64[D]") + (day - 1)
    event_date = pc.cast(pa.array(dates), pa.string())

    # What happened, and who: each event type gets actors that satisfy the consistency rules.
    types = list(EVENT_TYPE_P)
    et = rng.choice(len(types), n, p=list(EVENT_TYPE_P.values()))
    subs = {t: [e.sub_event_type for e in schema.event_types if e.event_type == t] for t in types}
    sub_names = [s for t in types for s in subs[t]]
    sub_offset = np.cumsum([0] + [len(subs[t]) for t in types])[:-1]
    sub_count = np.array([len(subs[t]) for t in types])
    sub = sub_offset[et] + (rng.random(n) * sub_count[et]).astype(np.int64)
    sub_of = dict(zip(sub_names, range(len(sub_names)), strict=True))

    actor_rows, roles = _actors(countries)
    none = len(actor_rows)  # index of the empty name
    armed = roles["armed"]
    K = armed.shape[1]
    j1 = rng.integers(0, K, n)
    j2 = (j1 + rng.integers(1, K, n)) % K
    a1 = armed[country, j1]
    a2 = armed[country, j2]
    targeted = np.zeros(n, dtype=bool)
    r = rng.random(n)
    is_ = {t: et == i for i, t in enumerate(types)}
    prot = is_["Protests"]
    a1[prot] = roles["protesters"][country[prot]]
    peaceful = prot & (sub == sub_of["Peaceful protest"])
    a2[peaceful] = none
    a2[prot & ~peaceful] = roles["state"][country[prot & ~peaceful]]
    riot = is_["Riots"]
    a1[riot] = roles["rioters"][country[riot]]
    mob = riot & (sub == sub_of["Mob violence"])
    a2[mob] = roles["civilians"][country[mob]]
    targeted |= mob
    a2[riot & ~mob] = roles["state"][country[riot & ~mob]]
    expl_civ = is_["Explosions/Remote violence"] & (r < 0.4)
    a2[expl_civ] = roles["civilians"][country[expl_civ]]
    targeted |= expl_civ
    vac = is_["Violence against civilians"]
    a2[vac] = roles["civilians"][country[vac]]
    targeted |= vac
    one_sided = is_["Strategic developments"] & (r < 0.7)
    a2[one_sided] = none

    names = _strings([a[0] for a in actor_rows] + [""])
    assoc1 = np.full(n, none)
    pick1 = rng.random(n) < 0.08
    assoc1[pick1] = armed[country[pick1], (j1[pick1] + 3) % K]
    two1 = pick1 & (rng.random(n) < 0.25)
    assoc1b = np.full(n, none)
    assoc1b[two1] = armed[country[two1], (j1[two1] + 4) % K]
    assoc2 = np.full(n, none)
    pick2 = (a2 != none) & (rng.random(n) < 0.05)
    assoc2[pick2] = armed[country[pick2], (j2[pick2] + 5) % K]

    def names_of(idx: np.ndarray) -> Any:
        return pc.take(names, pa.array(idx))

    assoc_1 = pc.if_else(pa.array(two1), _join(names_of(assoc1), "; ", names_of(assoc1b)), names_of(assoc1))

    # Where: a place of the event's own country.
    loc_ids = [f"{iso}-synth-{p:05d}" for iso in countries for p in range(L)]
    loc_col = pc.take(_strings(loc_ids), pa.array(country * L + place))

    # Sources: each file's reports are published after the end of its month (so never before an event).
    s_counts = np.maximum(1, np.ceil(counts / 3).astype(np.int64))
    s_starts = np.concatenate([[0], np.cumsum(s_counts)[:-1]])
    s1 = (rng.random(n) * s_counts[file_id]).astype(np.int64)
    has2 = (rng.random(n) < 0.3) & (s_counts[file_id] > 1)
    s2 = (s1 + 1) % s_counts[file_id]
    src_file = np.repeat(np.arange(F), s_counts)
    src_j = np.arange(int(s_counts.sum())) - s_starts[src_file]
    src_iso = [countries[i].lower() for i in range(C)]
    month_txt = [f"{START_YEAR + m // 12}-{m % 12 + 1:02d}" for m in range(M)]
    src_ids = [f"synthetic-{src_iso[f // M]}-{month_txt[f % M]}-{j + 1}" for f, j in
               zip(src_file.tolist(), src_j.tolist(), strict=True)]
    src_id_arr = _strings(src_ids)
    first = pc.take(src_id_arr, pa.array(s_starts[file_id] + s1))
    second = pc.take(src_id_arr, pa.array(s_starts[file_id] + s2))
    source_ids = pc.if_else(pa.array(has2), _join(first, "; ", second), first)
    month_end = (np.datetime64(f"{START_YEAR}-01", "M") + (src_file % M) + 1).astype("datetime64[D]") - 1
    published = pc.cast(pa.array(month_end + rng.integers(0, 6, len(src_ids))), pa.string())

    # Codes and text.
    tp = rng.choice(np.array(["1", "2", "3"]), n, p=[0.8, 0.15, 0.05])
    gp = rng.choice(np.array(["1", "2", "3"]), n, p=[0.75, 0.2, 0.05])
    deadly = ~(peaceful | is_["Strategic developments"] | (prot & (sub == sub_of["Protest with intervention"])))
    fat = np.where(deadly, rng.geometric(0.35, n) - 1, 0)
    # Fatality ranges: about one deadly event in five has reports that disagree (a higher best and high
    # figure); the note states every figure, as the traceability rule asks. Known: some figure was given.
    disputed = deadly & (fat > 0) & (rng.random(n) < 0.2)
    high = np.where(disputed, fat + rng.geometric(0.3, n), fat)
    best = np.where(disputed, (fat + high) // 2, fat)
    known = deadly & ((fat > 0) | (rng.random(n) < 0.5))
    sub_col = pc.take(_strings(sub_names), pa.array(sub))
    a1_col = names_of(a1)
    # Notes of about 100-400 characters with varied words (synthetic, but not a template that compresses
    # to a few bytes a row): the event's own facts, then prose.
    vocab = _vocabulary(rng, 6000)
    notes = _join("SYNTHETIC event ", event_id, ": ", sub_col, " by ", a1_col, ". ",
                  _prose(rng, n, 2, 32, vocab), ". ", pc.cast(pa.array(fat), pa.string()),
                  pc.if_else(pa.array(disputed),
                             _join(" fatalities; best ", pc.cast(pa.array(best), pa.string()), "; high ",
                                   pc.cast(pa.array(high), pa.string())), " fatalities"),
                  " (generated; not reported).")
    crowd = prot | riot  # ACLED: every Protests and Riots event carries a crowd-size tag
    tags = pc.if_else(pa.array(crowd & (r < 0.5)), "crowd size=no report",
                      pc.if_else(pa.array(crowd), "crowd size=dozens", ""))
    stamps = _strings([f"2026-0{m}-15T12:00:00Z" for m in range(1, 10)])
    events = pa.table({
        "event_id": event_id,
        "event_date": event_date,
        "time_precision": _strings(tp),
        "event_type": pc.take(_strings(types), pa.array(et)),
        "sub_event_type": sub_col,
        "actor1": a1_col,
        "assoc_actor_1": assoc_1,
        "actor2": names_of(a2),
        "assoc_actor_2": names_of(assoc2),
        "location_id": loc_col,
        "geo_precision": _strings(gp),
        "fatalities": pc.cast(pa.array(fat), pa.string()),
        "fatalities_best": pc.cast(pa.array(best), pa.string()),
        "fatalities_high": pc.cast(pa.array(high), pa.string()),
        "fatalities_known": pc.if_else(pa.array(known), "true", "false"),
        "civilian_targeting": pc.if_else(pa.array(targeted), TARGETED, ""),
        "source_ids": source_ids,
        "notes": notes,
        "tags": tags,
        "updated": pc.take(stamps, pa.array(rng.integers(0, len(stamps), n))),
    })

    if shape:  # an adversarial shape of the validate benchmark (synth_hostile.SHAPES)
        events = synth_hostile.reshape(events, shape, counts)

    # Registries.
    actors = pa.table({
        "actor": _strings([a[0] for a in actor_rows]),
        "actor_type": _strings([str(a[1]) for a in actor_rows]),
        "country_iso3": _strings([a[2] for a in actor_rows]),
        "description": _strings([a[3] for a in actor_rows]),
        "aliases": _strings([""] * len(actor_rows)),
    })
    locations: dict[str, pa.Table] = {}
    for ci, iso in enumerate(countries):
        lo_lat, lo_lon, hi_lat, hi_lon = schema.countries[iso].bbox  # type: ignore[misc]
        # Strictly inside the box, with margins so 4-decimal rounding stays inside.
        lat = rng.uniform(lo_lat + 0.001, hi_lat - 0.001, L)
        lon = rng.uniform(lo_lon + 0.001, hi_lon - 0.001, L)
        admin = _admin_columns(schema, iso, L)
        locations[iso] = pa.table({
            "location_id": _strings(loc_ids[ci * L:(ci + 1) * L]),
            "location": _strings([f"Synthetic Place {p + 1} ({iso})" for p in range(L)]),
            "admin1": admin["admin1"],
            "admin2": admin["admin2"],
            "admin3": _strings([""] * L),
            "latitude": _strings([f"{x:.4f}" for x in lat]),
            "longitude": _strings([f"{x:.4f}" for x in lon]),
            "coordinate_source": _strings(["SYNTHETIC: random point in the country bounding box"] * L),
            "admin1_pcode": admin["admin1_pcode"],
            "admin2_pcode": admin["admin2_pcode"],
            "admin3_pcode": _strings([""] * L),
        })
    n_src = len(src_ids)
    sources = pa.table({
        "source_id": src_id_arr,
        "publisher": _strings(["SYNTHETIC"] * n_src),
        "title": _join("SYNTHETIC report: ", _prose(rng, n_src, 3, 14, vocab)),
        "url": _join("https://example.invalid/synthetic/", src_id_arr),
        "published": published,
        "language": _strings(["en"] * n_src),
        "source_scale": pc.take(_strings(SCALES), pa.array(rng.integers(0, len(SCALES), n_src))),
    })
    deleted = [f"{iso}{int(c_counts[ci]) + 1 + k}" for ci, iso in enumerate(countries) for k in range(2)]
    deletions = pa.table({
        "event_id": _strings(deleted),
        "deleted_in": _strings([FIRST_RELEASE] * len(deleted)),
        "reason": _strings(["SYNTHETIC deletion"] * len(deleted)),
    })

    files = [f"events/{countries[f // M]}/{month_txt[f % M]}.csv" for f in range(F)]
    injected: list[Injected] = []
    extra_lines: dict[int, list[str]] = {}
    if inject_errors:
        ctx = _Ctx(rng, countries, M, counts, starts, file_id, month, country, events, names,
                   roles, deleted, loc_ids, L, src_id_arr, s_starts, s_counts, out.name, files)
        events, injected, extra_lines = _inject_events(ctx)
        actors, more = _inject_registry(actors, "actors.csv", out.name, [
            ("value.range", "actor_type", {"actor": "Synthetic Bad Type Actor", "actor_type": "9"}),
            ("value.type", "actor_type", {"actor": "Synthetic Text Type Actor", "actor_type": "two"}),
            ("value.enum", "country_iso3", {"actor": "Synthetic Nowhere Actor", "country_iso3": "ZZZ"}),
            ("value.pattern", "country_iso3", {"actor": "Synthetic Lower Actor", "country_iso3": "zz"}),
            ("key.duplicate", "actor", {"actor": actor_rows[0][0]}),
            ("value.required", "description", {"actor": "Synthetic Undescribed Actor", "description": ""}),
        ], {"actor_type": "2", "country_iso3": countries[0], "description": "SYNTHETIC injected actor"})
        injected += more
        iso0 = countries[0]
        lo_lat, lo_lon, hi_lat, hi_lon = schema.countries[iso0].bbox  # type: ignore[misc]
        inside_lat, inside_lon = f"{(lo_lat + hi_lat) / 2:.4f}", f"{(lo_lon + hi_lon) / 2:.4f}"
        outside = f"{hi_lat + 0.5:.4f}" if hi_lat + 0.5 < 90 else f"{lo_lat - 0.5:.4f}"
        locations[iso0], more = _inject_registry(locations[iso0], f"locations/{iso0}.csv", out.name, [
            ("geo.bbox", "latitude", {"location_id": f"{iso0}-synth-outside", "latitude": outside}),
            ("value.decimals", "latitude", {"location_id": f"{iso0}-synth-precise",
                                            "latitude": f"{(lo_lat + hi_lat) / 2:.6f}"}),
            ("value.type", "longitude", {"location_id": f"{iso0}-synth-east", "longitude": "east"}),
            ("id.country", "location_id", {"location_id": f"{countries[1]}-synth-misfiled"}),
            ("value.pattern", "location_id", {"location_id": f"{iso0}_Synth_Bad"}),
            ("ref.admin-pcode", "admin1_pcode", {"location_id": f"{iso0}-synth-pcode", "admin1_pcode": "ZZ99",
                                                 "admin2": "", "admin2_pcode": ""}),
            ("consistency.admin-pcode", "admin1", {"location_id": f"{iso0}-synth-misspelled",
                                                   "admin1": "Synthetic Misspelling"}),
            ("warn.admin-pcode-missing", "admin2_pcode", {"location_id": f"{iso0}-synth-uncoded",
                                                          "admin2_pcode": ""}),
        ], {"location": "Synthetic Injected Place", "admin3": "", "latitude": inside_lat, "longitude": inside_lon,
            "coordinate_source": "SYNTHETIC: injected", "admin3_pcode": "",
            **{k: v[0].as_py() for k, v in _admin_columns(schema, iso0, 1).items()}})
        injected += more
        src_base = {"publisher": "SYNTHETIC", "title": "SYNTHETIC injected report",
                    "url": "https://example.invalid/synthetic/injected", "published": "2020-01-01",
                    "language": "en", "source_scale": "National"}
        sources, more = _inject_registry(sources, "sources.csv", out.name, [
            ("value.url", "url", {"source_id": "synthetic-bad-url", "url": "ftp://example.invalid/synthetic"}),
            ("value.date", "published", {"source_id": "synthetic-bad-date", "published": "2020-02-30"}),
            ("date.future", "published", {"source_id": "synthetic-future", "published": "2099-01-01"}),
            ("value.pattern", "language", {"source_id": "synthetic-bad-language", "language": "english"}),
            ("value.enum", "source_scale", {"source_id": "synthetic-bad-scale", "source_scale": "Galactic"}),
            ("value.pattern", "source_id", {"source_id": "Synthetic_Bad_Id"}),
            ("warn.formula", "title", {"source_id": "synthetic-formula", "title": "=SYNTHETIC()"}),
        ], src_base)
        injected += more
        deletions, more = _inject_registry(deletions, "deletions.csv", out.name, [
            ("id.pattern", "event_id", {"event_id": "bad-id"}),
            ("value.pattern", "deleted_in", {"event_id": f"{iso0}999999991", "deleted_in": "v1"}),
            ("value.required", "reason", {"event_id": f"{iso0}999999992", "reason": ""}),
        ], {"deleted_in": FIRST_RELEASE, "reason": "SYNTHETIC injected deletion"})
        injected += more

    for f in range(F):
        _write(events.slice(int(starts[f]), int(counts[f])), out / files[f])
    for f, lines in extra_lines.items():
        with (out / files[f]).open("a", encoding="utf-8") as fh:
            fh.writelines(lines)
    _write(actors, out / "actors.csv")
    for iso, table in locations.items():
        _write(table, out / "locations" / f"{iso}.csv")
    _write(sources, out / "sources.csv")
    _write(deletions, out / "deletions.csv")
    if inject_errors:
        bad_name = out / "events" / countries[0] / f"{START_YEAR}-13.csv"
        _write(events.slice(0, 0), bad_name)
        injected.append(Injected(f"{out.name}/events/{countries[0]}/{START_YEAR}-13.csv", 0, "file.name", ""))
        # A folder named like a country code that is not one, and places of a country without a box.
        _write(events.slice(0, 0), out / "events" / "ZZZ" / f"{START_YEAR}-01.csv")
        injected.append(Injected(f"{out.name}/events/ZZZ/{START_YEAR}-01.csv", 0, "file.country", ""))
        no_box = next(iso for iso in sorted(schema.countries) if schema.countries[iso].bbox is None)
        _write(pa.table({c: _strings([v]) for c, v in (
            ("location_id", f"{no_box}-synth-00001"), ("location", f"Synthetic Place 1 ({no_box})"),
            ("admin1", "Synthetic Province 1"), ("admin2", ""), ("admin3", ""), ("latitude", "10.0000"),
            ("longitude", "10.0000"), ("coordinate_source", "SYNTHETIC: injected"), ("admin1_pcode", ""),
            ("admin2_pcode", ""), ("admin3_pcode", ""))}),
            out / "locations" / f"{no_box}.csv")
        injected.append(Injected(f"{out.name}/locations/{no_box}.csv", 2, "geo.no-bbox", "latitude"))
        planted = synth_hostile.inject_files(out, countries, EVENT_COLUMNS, files, counts, deleted)
        injected += [Injected(f, line, rule, "") for f, line, rule in planted]
        synth_hostile.publish_history(out, [*ctx.reused, f"{countries[0]}800000002"])
        injected.append(Injected(f"{out.name}/deletions.csv", 0, "id.tombstone-removed", "event_id"))

    summary = SynthSummary(str(out), n, seed, countries, F, len(actor_rows), C * L, n_src,
                           round(time.perf_counter() - t0, 3), injected)
    if inject_errors:
        manifest = {"root": str(out), "n_events": n, "seed": seed,
                    "injected": [asdict(i) for i in injected]}
        (out.parent / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return summary


@dataclass
class _Ctx:
    """Everything the event injections need to pick rows and plausible wrong values."""

    rng: np.random.Generator
    countries: list[str]
    M: int
    counts: np.ndarray
    starts: np.ndarray
    file_id: np.ndarray
    month: np.ndarray
    country: np.ndarray
    events: pa.Table
    names: pa.Array
    roles: dict[str, np.ndarray]
    deleted: list[str]
    loc_ids: list[str]
    L: int
    src_ids: pa.Array
    s_starts: np.ndarray
    s_counts: np.ndarray
    root_name: str
    files: list[str]
    #: ids planted as reused after a published release deleted them (filled by _inject_events)
    reused: list[str] = field(default_factory=list)


def _inject_events(ctx: _Ctx) -> tuple[pa.Table, list[Injected], dict[int, list[str]]]:
    """Plant one mistake per event rule, each in its own row (and away from the other rows it touches)."""
    ev = ctx.events
    et = np.asarray(ev.column("event_type").to_numpy(zero_copy_only=False))
    a2 = np.asarray(ev.column("actor2").to_numpy(zero_copy_only=False))
    used: set[int] = set()
    changes: dict[str, dict[int, str]] = {}
    injected: list[Injected] = []

    def pick(event_type: str | None = None, *, min_month: int = 0, need_prev: bool = False,
             empty_actor2: bool = False) -> int:
        ok = ctx.month >= min_month
        if event_type:
            ok &= et == event_type
        if empty_actor2:
            ok &= a2 == ""
        for i in ctx.rng.permutation(np.flatnonzero(ok)).tolist():
            first_in_file = i == ctx.starts[ctx.file_id[i]]
            if i in used or (need_prev and (first_in_file or i - 1 in used)):
                continue
            used.update({i, i - 1, i + 1} if need_prev else {i})
            return int(i)
        raise ValueError(f"too few events to plant every error (no free {event_type or 'event'} row); use more events")

    def cell(i: int) -> dict[str, str]:
        return {c: ev.column(c)[i].as_py() for c in EVENT_COLUMNS}

    def plant(i: int, rule: str, column: str, new: dict[str, str], note: str = "") -> None:
        for col, val in new.items():
            changes.setdefault(col, {})[i] = val
        f = int(ctx.file_id[i])
        injected.append(Injected(f"{ctx.root_name}/{ctx.files[f]}", int(i - ctx.starts[f] + 2), rule, column, note))

    def iso(i: int) -> str:
        return ctx.countries[int(ctx.country[i])]

    def name(role: str, i: int) -> str:
        return str(ctx.names[int(ctx.roles[role][int(ctx.country[i])])].as_py())

    def month_text(i: int, shift: int = 0) -> str:
        m = int(ctx.month[i]) + shift
        return f"{START_YEAR + m // 12}-{m % 12 + 1:02d}"

    other = ctx.countries[1]
    i = pick()
    plant(i, "value.required", "notes", {"notes": ""})
    i = pick()
    plant(i, "value.type", "fatalities", {"fatalities": "three"})
    i = pick()
    plant(i, "value.date", "event_date", {"event_date": f"{month_text(i)}-32"})
    i = pick()
    plant(i, "date.future", "event_date", {"event_date": "2099-06-15"})
    i = pick("Battles")
    plant(i, "value.enum", "event_type", {"event_type": "Battle"})
    i = pick()
    plant(i, "id.pattern", "event_id", {"event_id": f"{iso(i)}0{cell(i)['event_id'][3:]}"})
    i = pick()
    plant(i, "value.pattern", "location_id", {"location_id": f"{iso(i)}_Synth_Place"})
    i = pick()
    plant(i, "value.range", "geo_precision", {"geo_precision": "4"})
    i = pick()
    plant(i, "value.range", "fatalities", {"fatalities": "-1"})
    i = pick()
    plant(i, "value.type", "fatalities_known", {"fatalities_known": "yes"})
    i = pick()
    plant(i, "consistency.fatality-range", "fatalities_high",
          {"fatalities": "5", "fatalities_best": "5", "fatalities_high": "4", "fatalities_known": "true"})
    i = pick()
    plant(i, "consistency.fatality-known", "fatalities_known",
          {"fatalities": "2", "fatalities_best": "2", "fatalities_high": "2", "fatalities_known": "false"})
    i = pick()
    plant(i, "consistency.fatality-traceable", "fatalities_high",
          {"fatalities": "1", "fatalities_best": "1", "fatalities_high": "987654", "fatalities_known": "true"})
    i = pick()
    plant(i, "value.datetime", "updated", {"updated": "2026-13-01T00:00:00Z"})
    i = pick("Battles")
    plant(i, "hierarchy.sub-event-type", "sub_event_type", {"sub_event_type": "Peaceful protest"})
    i = pick()
    plant(i, "id.country", "event_id", {"event_id": f"{other if iso(i) != other else ctx.countries[2]}900000001"})
    i = pick(min_month=1)
    plant(i, "date.file-month", "event_date", {"event_date": f"{month_text(i, -1)}-15"})
    i = pick(need_prev=True)
    plant(i, "key.duplicate", "event_id", {"event_id": cell(i - 1)["event_id"]})
    i = pick()
    plant(i, "id.deleted", "event_id", {"event_id": ctx.deleted[2 * int(ctx.country[i])]})
    i = pick("Battles")
    plant(i, "ref.actor", "actor2", {"actor2": f"Synthetic Unknown Actor ({iso(i)})"})
    i = pick()
    plant(i, "ref.location", "location_id", {"location_id": f"{iso(i)}-synth-nowhere"})
    i = pick()
    plant(i, "ref.source", "source_ids", {"source_ids": "synthetic-missing-source"})
    i = pick()
    o = (int(ctx.country[i]) + 1) % len(ctx.countries)
    plant(i, "ref.location-country", "location_id", {"location_id": ctx.loc_ids[o * ctx.L]})
    i = pick(min_month=2)
    early = int(ctx.s_starts[ctx.file_id[i] - 2])
    plant(i, "source.before-event", "source_ids", {"source_ids": str(ctx.src_ids[early].as_py())})
    i = pick(empty_actor2=True)
    plant(i, "consistency.assoc-without-actor", "assoc_actor_2", {"assoc_actor_2": name("state", i)})
    i = pick("Battles")
    plant(i, "consistency.civilian-actor1", "actor1", {"actor1": name("civilians", i)})
    i = pick("Violence against civilians")
    plant(i, "consistency.vac-victim", "actor2", {"actor2": name("state", i)})
    i = pick("Protests")
    plant(i, "consistency.protest-actor", "actor1", {"actor1": name("rioters", i)})
    i = pick("Riots")
    plant(i, "consistency.riot-actor", "actor1", {"actor1": name("protesters", i)})
    i = pick("Protests")
    plant(i, "consistency.crowd-size", "tags", {"tags": ""})
    i = pick("Battles")
    plant(i, "consistency.civilian-targeting", "civilian_targeting", {"civilian_targeting": TARGETED})
    i = pick("Battles")
    plant(i, "value.list", "assoc_actor_1", {"assoc_actor_1": f"{name('state', i)};{name('rioters', i)}"})
    i = pick()
    plant(i, "value.enum", "civilian_targeting", {"civilian_targeting": "Yes"})
    i = pick(need_prev=True)
    prev = cell(i - 1)
    plant(i, "warn.duplicate-event", "event_id",
          {c: prev[c] for c in ("event_date", "event_type", "sub_event_type", "actor1", "actor2",
                                "assoc_actor_2", "location_id", "civilian_targeting", "source_ids")})
    i = pick()
    plant(i, "warn.formula", "notes", {"notes": "=SYNTHETIC(formula)"})
    i = pick()
    plant(i, "value.control", "notes", {"notes": "SYNTHETIC\x07bell"})
    i = pick()
    plant(i, "id.range", "event_id", {"event_id": f"{iso(i)}1{'0' * 19}"})
    i = pick()
    ctx.reused.append(f"{iso(i)}800000001")
    plant(i, "id.deleted-reused", "event_id", {"event_id": ctx.reused[-1]})

    cols = []
    for c in EVENT_COLUMNS:
        arr = ev.column(c)
        if c in changes:
            mask = np.zeros(ev.num_rows, dtype=bool)
            idx = sorted(changes[c])
            mask[idx] = True
            arr = pc.replace_with_mask(arr.combine_chunks(), pa.array(mask), _strings([changes[c][k] for k in idx]))
        cols.append(arr)
    ev = pa.table(dict(zip(EVENT_COLUMNS, cols, strict=True)))

    # A ragged row (too few cells) at the end of one file: the reader keeps the file's good rows.
    f = int(ctx.file_id[pick()])
    extra = {f: ["SYNTHETIC,ragged row\n"]}
    injected.append(Injected(f"{ctx.root_name}/{ctx.files[f]}", int(ctx.counts[f]) + 2, "csv.columns", ""))
    return ev, injected, extra


def _inject_registry(table: pa.Table, file: str, root_name: str, plants: list[tuple[str, str, dict[str, str]]],
                     base: dict[str, str]) -> tuple[pa.Table, list[Injected]]:
    """Append one bad row per plant to a registry table; line numbers follow the existing rows."""
    rows = []
    injected = []
    for k, (rule, column, values) in enumerate(plants):
        row = {c: base.get(c, "") for c in table.column_names}
        row.update(values)
        rows.append(row)
        injected.append(Injected(f"{root_name}/{file}", table.num_rows + 2 + k, rule, column))
    extra = pa.Table.from_pylist(rows, schema=table.schema)
    return pa.concat_tables([table, extra]), injected


def ensure_tree(work: Path, n: int, seed: int = 0, *, inject_errors: bool = False, shape: str | None = None) -> Path:
    """A cached synthetic tree under ``work`` (regenerated only when missing): returns its datasets dir."""
    tag = f"n{n}-s{seed}-g{GENERATOR_VERSION}" + ("-errors" if inject_errors else "") + (f"-{shape}" if shape else "")
    base = work / tag
    done = base / "COMPLETE"
    root = base / "datasets"
    if not done.exists():
        base.mkdir(parents=True, exist_ok=True)
        summary = generate(root, n, seed, inject_errors=inject_errors, shape=shape)
        info = asdict(summary)
        info.pop("injected")
        done.write_text(json.dumps(info, indent=1) + "\n", encoding="utf-8")
    return root


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="folder to create; the tree goes to OUT/datasets")
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--countries", type=int, default=50)
    parser.add_argument("--inject-errors", action="store_true")
    parser.add_argument("--shape", choices=synth_hostile.SHAPES, help="an adversarial shape of the events")
    args = parser.parse_args(argv)
    summary = generate(args.out / "datasets", args.n, args.seed, n_countries=args.countries,
                       inject_errors=args.inject_errors, shape=args.shape)
    print(f"wrote {summary.n_events:,} events in {summary.files:,} files, {summary.actors} actors, "
          f"{summary.locations:,} locations, {summary.sources:,} sources to {summary.root} "
          f"in {summary.seconds:.1f} s" + (f"; {len(summary.injected)} injected errors" if summary.injected else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
