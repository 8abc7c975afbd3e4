"""Loads by query shape, cold (a fresh process, timed from outside) and warm, ours against every peer.

Why cold: a researcher's script calls ``load_events()`` once in a fresh interpreter, so the number that
matters is the wall clock of that process, imports included, measured from the shell (the parent times
``subprocess.run``). Why several shapes: pruning by country and date is the easy case; one event type over
all countries, one actor (which also looks inside the associated-actor lists) and the whole release touch
every row group. Why these peers: ``pandas.read_parquet(filters=...)`` is what a pandas user writes,
``polars.scan_parquet().filter().collect()`` is the fastest reader we know, ``pyarrow.dataset`` is what
ours is built on, and duckdb is one of our own outputs. Every peer reads the same Parquet file with the
same filter (actor: actor1, actor2 or an element of either associated-actor list), and the benchmark
checks that every one returns the same number of rows.

Interpreter start-up (``python -c pass``) is measured too and is part of every cold figure, ours and peers'.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any

from benchmarks.common import PYTHON, Timing, measure

#: (our output, peers with that output); the first peer of each list is the one the issue names.
PEERS = {"pandas": ["pandas.read_parquet(filters)", "polars + to_pandas", "duckdb .df()"],
         "arrow": ["polars collect", "pyarrow.dataset to_table", "duckdb .arrow()"]}

#: The peers' filters, as functions of the globals ``q`` (the query) and ``path`` (the Parquet file).
_HELPERS = r'''
def expr_pa():
    import pyarrow as pa, pyarrow.compute as pc, pyarrow.dataset as ds
    parts = []
    if "country" in q:
        import datetime as dt
        parts += [ds.field("country") == q["country"],
                  ds.field("event_date") >= pa.scalar(dt.date.fromisoformat(q["start"])),
                  ds.field("event_date") <= pa.scalar(dt.date.fromisoformat(q["end"]))]
    if "event_type" in q:
        parts.append(ds.field("event_type") == q["event_type"])
    if "actor" in q:
        a = q["actor"]
        pat = "(^|; )" + __import__("re").escape(a) + "(; |$)"
        e = (ds.field("actor1") == a) | (ds.field("actor2") == a)
        for c in ("assoc_actor_1", "assoc_actor_2"):
            e = e | pc.coalesce(pc.match_substring_regex(ds.field(c), pattern=pat), pa.scalar(False))
        parts.append(e)
    out = None
    for p in parts:
        out = p if out is None else out & p
    return out
def expr_pl():
    import datetime as dt
    import polars as pl
    parts = []
    if "country" in q:
        parts.append((pl.col("country") == q["country"]) & pl.col("event_date").is_between(
            dt.date.fromisoformat(q["start"]), dt.date.fromisoformat(q["end"])))
    if "event_type" in q:
        parts.append(pl.col("event_type") == q["event_type"])
    if "actor" in q:
        a = q["actor"]
        e = (pl.col("actor1") == a) | (pl.col("actor2") == a)
        for c in ("assoc_actor_1", "assoc_actor_2"):
            e = e | pl.col(c).str.split("; ").list.contains(a).fill_null(False)
        parts.append(e)
    return parts
def sql():
    where, params = [], []
    if "country" in q:
        where.append("country = ? AND event_date BETWEEN ?::DATE AND ?::DATE"); params += [q["country"], q["start"], q["end"]]
    if "event_type" in q:
        where.append("event_type = ?"); params.append(q["event_type"])
    if "actor" in q:
        a = q["actor"]
        where.append("(actor1 = ? OR actor2 = ? OR coalesce(list_contains(string_split(assoc_actor_1, '; '), ?), false)"
                     " OR coalesce(list_contains(string_split(assoc_actor_2, '; '), ?), false))"); params += [a] * 4
    return f"SELECT * FROM read_parquet(?) WHERE {' AND '.join(where) or 'TRUE'}", [path, *params]
'''

#: One script for every (tool, shape, output): imports and work happen inside the timed process.
_SCRIPT = r'''
import json, sys
spec = json.loads(sys.argv[1])
tool, q, path = spec["tool"], spec["query"], spec["path"]
''' + _HELPERS + r'''
if tool == "openconflict scan (arrow)":
    from pathlib import Path
    from openconflict.loader.filters import Filters
    from openconflict.loader.scan import scan
    obj = scan(Path(path), "parquet", None, None, Filters(**q) if q else None)
    rows = obj.num_rows
elif tool.startswith("openconflict"):
    import openconflict
    kw = {k: v for k, v in q.items()}
    obj = openconflict.load_events(spec["version"], **kw, output=spec["output"])
    rows = len(obj)
elif tool == "pandas.read_parquet(filters)":
    import pandas as pd
    obj = pd.read_parquet(path, filters=expr_pa())
    rows = len(obj)
elif tool in ("polars collect", "polars + to_pandas"):
    import polars as pl
    lf = pl.scan_parquet(path)
    for p in expr_pl():
        lf = lf.filter(p)
    obj = lf.collect()
    if tool == "polars + to_pandas":
        obj = obj.to_pandas()
    rows = len(obj)
elif tool == "pyarrow.dataset to_table":
    import pyarrow.dataset as ds
    obj = ds.dataset(path, format="parquet").to_table(filter=expr_pa())
    rows = obj.num_rows
elif tool.startswith("duckdb"):
    import duckdb
    text, params = sql()
    rel = duckdb.sql(text, params=params)
    obj = rel.df() if tool == "duckdb .df()" else rel.to_arrow_table()
    rows = len(obj)
else:
    raise SystemExit(f"unknown tool {tool}")
print(json.dumps({"rows": rows}))
'''


def queries(name: str, actor: str) -> dict[str, dict[str, Any]]:
    """The four query shapes of issue 12, as load_events keyword arguments."""
    return {
        "one country-year": {"country": name, "start": "2020-01-01", "end": "2020-12-31"},
        "one event type, all countries": {"event_type": "Protests"},
        # actor_role="any": the peers' filter also looks inside the associated-actor lists.
        "one actor": {"actor": actor, "actor_role": "any"},
        "whole release": {},
    }


#: Ours again with the columnar copy switched off: what the Parquet file alone gives (and the figure before the copy).
COPIES_OFF = "columnar copies off"


def _cold_once(spec: dict[str, Any], env: dict[str, str]) -> tuple[float, int]:
    if spec["tool"].endswith(COPIES_OFF):
        env = {**env, "OPENCONFLICT_COLUMNAR": "0"}
    t0 = time.perf_counter()
    proc = subprocess.run([PYTHON, "-c", _SCRIPT, json.dumps(spec)], capture_output=True, text=True,
                          env={**os.environ, **env})
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{spec['tool']} failed: {proc.stderr[-1500:]}")
    return wall, int(json.loads(proc.stdout.strip().splitlines()[-1])["rows"])


def cold(parquet: Path, version: str, name: str, actor: str, env: dict[str, str], repeats: int,
         shapes: list[str] | None = None) -> list[Timing]:
    """Fresh-process wall times for every shape, output and tool (runs interleaved across tools)."""
    out: list[Timing] = []
    t_pass = [0.0] * repeats
    for i in range(repeats):
        t0 = time.perf_counter()
        subprocess.run([PYTHON, "-c", "pass"], check=True)
        t_pass[i] = time.perf_counter() - t0
    out.append(Timing("cold: python -c pass (interpreter start, in every cold figure)",
                      statistics.median(t_pass), [round(t, 4) for t in t_pass]))
    for shape, q in queries(name, actor).items():
        if shapes and shape not in shapes:
            continue
        for output, peers in PEERS.items():
            tools = [f"openconflict ({output})", f"openconflict ({output}), {COPIES_OFF}", *peers]
            runs: dict[str, list[float]] = {t: [] for t in tools}
            rows: dict[str, int] = {}
            for _ in range(repeats):
                for tool in tools:
                    spec = {"tool": tool, "query": q, "path": str(parquet), "version": version, "output": output}
                    wall, rows[tool] = _cold_once(spec, env)
                    runs[tool].append(round(wall, 4))
            for tool in tools:
                out.append(Timing(f"cold: {shape}: {tool}", statistics.median(runs[tool]), runs[tool], rows[tool]))
    return out


def first_loads(parquet: Path, version: str, name: str, actor: str, env: dict[str, str], repeats: int) -> list[Timing]:
    """Cold loads of the shapes the columnar copy answers, each with no copy in the cache: the one-time cost
    (reading the Parquet file, writing, syncing and hashing the copy) a researcher pays on the first such load
    of a release. The copy made by the last run stays for the cold and warm runs that follow."""
    import shutil

    folder = Path(env["OPENCONFLICT_CACHE"]) / ".columnar"
    out: list[Timing] = []
    for shape in ("one event type, all countries", "one actor"):
        spec = {"tool": "openconflict (arrow)", "query": queries(name, actor)[shape], "path": str(parquet),
                "version": version, "output": "arrow"}
        runs, rows = [], 0
        for _ in range(repeats):
            shutil.rmtree(folder, ignore_errors=True)
            wall, rows = _cold_once(spec, env)
            runs.append(round(wall, 4))
        size = sum(p.stat().st_size for p in folder.glob("*.arrow"))
        out.append(Timing(f"first load: {shape}: openconflict (arrow), makes the columnar copy",
                          statistics.median(runs), runs, rows, note=f"copy {size / 1e6:.0f} MB"))
    return out


def warm(parquet: Path, version: str, name: str, actor: str, repeats: int) -> list[Timing]:
    """In-process medians after one untimed call, ours (its caches warm) and the peers (reopening the file)."""
    import openconflict

    ns: dict[str, Any] = {}
    exec(compile(_HELPERS, "<shapes>", "exec"), ns)  # the peers' helpers
    out: list[Timing] = []
    for shape, q in queries(name, actor).items():
        ns["q"], ns["path"] = q, str(parquet)
        for output, peers in PEERS.items():
            def ours(output: str = output, q: dict[str, Any] = q) -> Any:
                return openconflict.load_events(version, **q, output=output)

            med, runs, obj = measure(ours, repeats, warmup=1)
            out.append(Timing(f"warm: {shape}: openconflict ({output})", med, runs, len(obj)))
            for tool in peers:
                fn = _peer_fn(tool, ns)
                med, runs, obj = measure(fn, repeats, warmup=1)
                out.append(Timing(f"warm: {shape}: {tool}", med, runs, len(obj)))
    return out


def _peer_fn(tool: str, ns: dict[str, Any]) -> Any:
    path = ns["path"]
    if tool == "pandas.read_parquet(filters)":
        import pandas as pd

        return lambda: pd.read_parquet(path, filters=ns["expr_pa"]())
    if tool in ("polars collect", "polars + to_pandas"):
        import polars as pl

        def run() -> Any:
            lf = pl.scan_parquet(path)
            for p in ns["expr_pl"]():
                lf = lf.filter(p)
            df = lf.collect()
            return df.to_pandas() if tool == "polars + to_pandas" else df
        return run
    if tool == "pyarrow.dataset to_table":
        import pyarrow.dataset as ds

        return lambda: ds.dataset(path, format="parquet").to_table(filter=ns["expr_pa"]())
    import duckdb

    def run_duck() -> Any:
        text, params = ns["sql"]()
        rel = duckdb.sql(text, params=params)
        return rel.df() if tool == "duckdb .df()" else rel.to_arrow_table()
    return run_duck


def best_peer(timings: list[Timing], prefix: str, shape: str, output: str) -> tuple[Timing | None, Timing | None]:
    """(ours, the fastest peer with the same output) for one shape among ``timings`` with ``prefix``."""
    by = {t.case: t for t in timings}
    ours = by.get(f"{prefix}: {shape}: openconflict ({output})")
    peers = [by[c] for c in (f"{prefix}: {shape}: {p}" for p in PEERS[output]) if c in by]
    return ours, min(peers, key=lambda t: t.median_s) if peers else None
