"""Benchmark 1, validate: ``openconflict validate`` against the checkers a user would reach for.

Why these baselines: frictionless-py is the reference implementation of the Table Schemas we publish, and
jsonschema is what a JSON consumer would run against ``schema/event.schema.json``. Both check one row at a
time in Python, so they run on a slice and are scaled linearly to N (the table says so). Speed is half of
the story: the other half is which of the injected mistakes each one reports, so the benchmark also
validates a tree with a known manifest of planted errors.

How the baselines see the data:
- frictionless: the curated events as one CSV (all event files joined, header once) in a Data Package with
  the curated locations, so its foreign-key check on ``location_id`` runs; registries are validated file by
  file with their own curated Table Schemas. A planted error counts as caught when frictionless reports any
  error on that row.
- jsonschema: each curated event becomes a released record (joined with the registries in plain Python,
  as a user would) and is checked with ``Draft202012Validator`` and a format checker. Only events can be
  expressed this way; a planted error counts as caught when its event's record is invalid.
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from benchmarks.common import REPO, BenchResult, Timing, measure, openconflict_cmd, run_measured, target
from benchmarks.synth import EVENT_COLUMNS, ensure_tree
from benchmarks.synth_hostile import SHAPES
from benchmarks.validate_peers import floor_once, jsonschema_rs_time, parse_floor

JSONSCHEMA_SLICE = 20_000
JSONSCHEMA_RS_SLICE = 200_000


def _event_files(root: Path) -> list[Path]:
    return sorted((root / "events").glob("*/*.csv"))


def _join_csv(files: Iterable[Path], out: Path, limit: int | None = None) -> list[tuple[str, int]]:
    """Concatenate CSV files (header once) into ``out``; returns, per data row, its (file, line) origin."""
    origin: list[tuple[str, int]] = []
    header_written = False
    with out.open("w", encoding="utf-8", newline="") as fh:
        for path in files:
            if not path.is_file():  # a planted folder where a month file belongs
                continue
            # Planted file-level mistakes (bad bytes, CR line endings) are read as leniently as possible.
            lines = path.read_bytes().decode("utf-8", errors="replace").splitlines(keepends=True)
            if not lines:
                continue
            if not header_written:
                fh.write(lines[0])
                header_written = True
            shown = f"{path.parents[2].name}/{path.relative_to(path.parents[2])}"
            for k, line in enumerate(lines[1:], start=2):
                if not line.endswith("\n"):
                    line += "\n"
                fh.write(line)
                origin.append((shown, k))
                if limit is not None and len(origin) >= limit:
                    return origin
    return origin


def _curated_schema(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((REPO / "schema" / "curated" / f"{name}.json").read_text(encoding="utf-8"))
    return schema


def _frictionless_package(folder: Path, events_csv: Path, locations_csv: Path) -> Path:
    """A Data Package descriptor for the joined events and locations (relative paths: frictionless insists)."""
    desc = {"name": "openconflict-benchmark", "resources": [
        {"name": "events", "path": events_csv.name, "format": "csv", "schema": _curated_schema("events")},
        {"name": "locations", "path": locations_csv.name, "format": "csv", "schema": _curated_schema("locations")},
    ]}
    path = folder / "datapackage.json"
    path.write_text(json.dumps(desc), encoding="utf-8")
    return path


def _frictionless_rows(report: Any, task_name: str) -> set[int]:
    rows: set[int] = set()
    for task in report.tasks:
        if task.name != task_name:
            continue
        for err in task.errors:
            row = getattr(err, "row_number", None)
            if row is not None:
                rows.add(int(row))
    return rows


def frictionless_prepare(root: Path, folder: Path, slice_n: int) -> tuple[Path, int]:
    """The Data Package (events joined into one CSV, with the locations) frictionless validates."""
    folder.mkdir(parents=True, exist_ok=True)
    events_csv, locations_csv = folder / "events.csv", folder / "locations.csv"
    origin = _join_csv(_event_files(root), events_csv, limit=slice_n)
    _join_csv(sorted((root / "locations").glob("*.csv")), locations_csv)
    return _frictionless_package(folder, events_csv, locations_csv), len(origin)


def frictionless_once(descriptor: Path) -> tuple[float, dict[str, float], int]:
    """One frictionless validation of the package: (wall s, seconds per task, errors)."""
    from frictionless import Package

    t0 = time.perf_counter()
    report = Package(str(descriptor)).validate()
    wall = time.perf_counter() - t0
    tasks = {t.name: float(t.stats.get("seconds") or 0.0) for t in report.tasks}
    return wall, tasks, int(report.stats.get("errors", 0))


# -- jsonschema: curated rows -> released records, the way a user without our build would do it --------

class RecordBuilder:
    """Builds released-event dicts from curated rows with plain-Python joins against the registries."""

    def __init__(self, curated: Any) -> None:
        from openconflict.schema import load_schema

        schema = load_schema()
        self.schema = schema
        t = curated.tables
        actors = t["actors"].table.select(["actor", "actor_type"]).to_pylist()
        self.actor_type = {a["actor"]: a["actor_type"] for a in actors}
        self.locations = {r["location_id"]: r for r in t["locations"].table.drop(["_file", "_line"]).to_pylist()}
        self.sources = {r["source_id"]: r for r in t["sources"].table.drop(["_file", "_line"]).to_pylist()}
        self.disorder = {e.sub_event_type: e.disorder_type for e in schema.event_types}

    @staticmethod
    def _int(v: str) -> Any:
        try:
            return int(v)
        except (TypeError, ValueError):
            return v

    @staticmethod
    def _num(v: Any) -> Any:
        try:
            return float(v)
        except (TypeError, ValueError):
            return v

    def record(self, row: dict[str, str]) -> dict[str, Any]:
        iso3 = row["event_id"][:3]
        country = self.schema.countries.get(iso3)
        loc = self.locations.get(row["location_id"], {})
        srcs = [self.sources.get(s, {}) for s in row["source_ids"].split("; ") if s]
        t1 = self._int(self.actor_type.get(row["actor1"], ""))
        t2 = self._int(self.actor_type.get(row["actor2"], "0")) if row["actor2"] else 0
        if isinstance(t1, int) and isinstance(t2, int):
            interaction: Any = t1 * 10 if t2 == 0 else min(t1, t2) * 10 + max(t1, t2)
        else:
            interaction = None
        try:
            ts: Any = int(dt.datetime.strptime(row["updated"], "%Y-%m-%dT%H:%M:%SZ")
                          .replace(tzinfo=dt.UTC).timestamp())
        except ValueError:
            ts = row["updated"]

        def opt(v: str | None) -> str | None:
            return v or None

        return {
            "event_id_cnty": row["event_id"], "event_date": row["event_date"],
            "year": self._int(row["event_date"][:4]), "time_precision": self._int(row["time_precision"]),
            "disorder_type": self.disorder.get(row["sub_event_type"], ""),
            "event_type": row["event_type"], "sub_event_type": row["sub_event_type"],
            "actor1": row["actor1"], "assoc_actor_1": opt(row["assoc_actor_1"]), "inter1": t1,
            "actor2": opt(row["actor2"]), "assoc_actor_2": opt(row["assoc_actor_2"]), "inter2": t2,
            "interaction": interaction, "civilian_targeting": opt(row["civilian_targeting"]),
            "iso": country.iso_numeric if country else None, "region": country.region if country else None,
            "country": country.name if country else None,
            "admin1": loc.get("admin1"), "admin2": opt(loc.get("admin2")), "admin3": opt(loc.get("admin3")),
            "location": loc.get("location"), "latitude": self._num(loc.get("latitude")),
            "longitude": self._num(loc.get("longitude")), "geo_precision": self._int(row["geo_precision"]),
            "source": "; ".join(dict.fromkeys(s.get("publisher", "") for s in srcs)),
            "source_scale": "-".join(dict.fromkeys(s.get("source_scale", "") for s in srcs)),
            "notes": row["notes"], "fatalities": self._int(row["fatalities"]), "tags": opt(row["tags"]),
            "timestamp": ts, "iso3": iso3, "location_id": row["location_id"], "source_ids": row["source_ids"],
            "source_urls": "; ".join(s.get("url", "") for s in srcs),
            "admin1_pcode": opt(loc.get("admin1_pcode")), "admin2_pcode": opt(loc.get("admin2_pcode")),
            "admin3_pcode": opt(loc.get("admin3_pcode")), "dataset": "OpenConflict",
            "fatalities_best": self._int(row["fatalities_best"]), "fatalities_high": self._int(row["fatalities_high"]),
            "fatalities_known": {"true": True, "false": False}.get(row["fatalities_known"], row["fatalities_known"]),
        }


def _json_validator() -> Any:
    import jsonschema

    schema = json.loads((REPO / "schema" / "event.schema.json").read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def build_records(curated: Any, slice_n: int) -> tuple[float, list[dict[str, Any]]]:
    """(seconds, the released records of the first ``slice_n`` curated events), built in plain Python."""
    rows = curated.tables["events"].table.select(EVENT_COLUMNS).slice(0, slice_n).to_pylist()
    t0 = time.perf_counter()
    builder = RecordBuilder(curated)
    records = [builder.record(r) for r in rows]
    return time.perf_counter() - t0, records


def jsonschema_time(records: list[dict[str, Any]]) -> tuple[float, int]:
    """(seconds to validate ``records`` with the pure-Python jsonschema, invalid records)."""
    validator = _json_validator()
    t0 = time.perf_counter()
    invalid = sum(1 for r in records if not validator.is_valid(r))
    return time.perf_counter() - t0, invalid


# -- detection --------------------------------------------------------------------------------------

def detection(err_root: Path, work: Path) -> dict[str, Any]:
    """Which injected errors each checker reports: ours by (file, line, rule), baselines by row."""
    from openconflict.validate import validate

    manifest = json.loads((err_root.parent / "manifest.json").read_text(encoding="utf-8"))
    injected = manifest["injected"]
    report, curated = validate([err_root])
    ours = {(p.file, p.line, p.rule) for p in report.problems}
    ours_caught = [(i["file"], i["line"], i["rule"]) in ours for i in injected]

    # frictionless: events of the affected files joined, in a package with all locations; registries alone.
    from frictionless import Package, Resource, Schema

    folder = work / "frictionless-errors"
    folder.mkdir(parents=True, exist_ok=True)
    root_name = err_root.name
    ev_files = sorted({i["file"] for i in injected if i["file"].startswith(f"{root_name}/events/")})
    ev_paths = [err_root.parent / f for f in ev_files if (err_root.parent / f).exists()]
    origin = _join_csv(ev_paths, folder / "events.csv")
    _join_csv(sorted((err_root / "locations").glob("*.csv")), folder / "locations.csv")
    fl_report = Package(str(_frictionless_package(folder, folder / "events.csv", folder / "locations.csv"))).validate()
    flagged: set[tuple[str, int]] = {origin[r - 2] for r in _frictionless_rows(fl_report, "events") if r - 2 < len(origin)}
    registry_files = {f"{root_name}/actors.csv": "actors", f"{root_name}/sources.csv": "sources",
                      f"{root_name}/deletions.csv": "deletions"}
    registry_files.update({f"{root_name}/locations/{p.name}": "locations" for p in (err_root / "locations").glob("*.csv")})
    for shown, table in registry_files.items():
        if not any(i["file"] == shown for i in injected):
            continue
        path = err_root.parent / shown
        res = Resource(path=path.name, basepath=str(path.parent), schema=Schema.from_descriptor(_curated_schema(table)))
        rep = res.validate()
        for task in rep.tasks:
            for err in task.errors:
                row = getattr(err, "row_number", None)
                if row is not None:
                    flagged.add((shown, int(row)))
    fl_caught = [(i["file"], i["line"]) in flagged for i in injected]

    # jsonschema: the record of each injected event row.
    ev = curated.tables["events"]
    files = ev.table.column("_file").to_pylist()
    lines = ev.table.column("_line").to_pylist()
    where = {(ev.files[f], ln): k for k, (f, ln) in enumerate(zip(files, lines, strict=True))}
    builder = RecordBuilder(curated)
    validator = _json_validator()
    js_caught = []
    for i in injected:
        k = where.get((i["file"], i["line"]))
        if k is None:
            js_caught.append(False)
            continue
        row = ev.table.select(EVENT_COLUMNS).slice(k, 1).to_pylist()[0]
        js_caught.append(not validator.is_valid(builder.record(row)))

    rows = []
    for i, a, b, c in zip(injected, ours_caught, fl_caught, js_caught, strict=True):
        rows.append({**i, "openconflict": a, "frictionless": b, "jsonschema": c})
    by_rule: dict[str, dict[str, int]] = {}
    for r in rows:
        d = by_rule.setdefault(r["rule"], {"injected": 0, "openconflict": 0, "frictionless": 0, "jsonschema": 0})
        d["injected"] += 1
        for tool in ("openconflict", "frictionless", "jsonschema"):
            d[tool] += int(r[tool])
    return {
        "injected": len(rows),
        "caught": {t: sum(int(r[t]) for r in rows) for t in ("openconflict", "frictionless", "jsonschema")},
        "by_rule": by_rule,
        "missed_by_openconflict": [r for r in rows if not r["openconflict"]],
        "errors_reported": len(report.errors),
        "warnings_reported": len(report.warnings),
    }


def adversarial(n: int, work: Path, seed: int, result: BenchResult, clean_s: float, cli_repeats: int) -> None:
    """The adversarial shapes next to the clean case: each must validate within 2x the clean time.

    One id on every row (the "also at" lists), every row a probable duplicate, every cell an error (a
    distinct wrong actor, location and source per row, so "did you mean" has the most to do). Timed end
    to end through the CLI with --quiet; the default text report's size is recorded too.
    """
    for shape in SHAPES:
        root = ensure_tree(work, n, seed, shape=shape)
        walls, peaks, summary = [], [], ""
        for _ in range(cli_repeats):
            out = run_measured([*openconflict_cmd(), "validate", str(root), "--quiet"])
            if out.rc not in (0, 1) or "Traceback" in out.stderr:
                raise RuntimeError(f"validate CLI failed on shape {shape}: rc {out.rc} {out.stderr[-500:]}")
            walls.append(round(out.wall, 4))
            peaks.append(out.peak_mb)
            summary = out.stdout.strip().split(" in ")[0]
        text = run_measured([*openconflict_cmd(), "validate", str(root)])
        med = statistics.median(walls)
        result.timings.append(Timing(f"openconflict validate, adversarial: {shape} (CLI)", med, walls, n,
                                     peak_mb=round(max(peaks), 1),
                                     note=f"{summary}; default text report {len(text.stdout.encode()):,} bytes"))
        result.targets.append(target(f"validate {n:,} events, {shape}, vs clean", med / clean_s, 2.0, "x",
                                     note="end to end, the same machine and run"))


def run(n: int, work: Path, *, repeats: int = 3, seed: int = 0, fl_slice: int | None = None,
        js_slice: int = JSONSCHEMA_SLICE, rs_slice: int = JSONSCHEMA_RS_SLICE, fl_runs: int = 5,
        adversarial_shapes: bool = True) -> BenchResult:
    """Time our validator (in process and CLI) against the parse floor and the peers on N events.

    frictionless runs on the full file (``fl_slice=None``) ``fl_runs`` times, each run right after one of
    our CLI runs, so the "10x in every run" target compares runs made under the same machine load.
    """
    from openconflict.validate import validate

    result = BenchResult("validate", n)
    t0 = time.perf_counter()
    root = ensure_tree(work, n, seed)
    err_root = ensure_tree(work, n, seed, inject_errors=True)
    result.extra["generate_s"] = round(time.perf_counter() - t0, 2)

    med, runs, (report, curated) = measure(lambda: validate([root]), repeats)
    result.timings.append(Timing("openconflict validate (in process)", med, runs, n))
    result.extra["clean_tree"] = {"errors": len(report.errors), "warnings": len(report.warnings)}
    cli = [*openconflict_cmd(), "validate", str(root), "--quiet"]

    fl_n = min(fl_slice or n, n)
    descriptor, fl_rows = frictionless_prepare(root, work / f"frictionless-{n}-{fl_n}", fl_n)
    # Timed from outside a fresh process (the wrapper's own start-up excluded), which also gives peak memory.
    # Each of our runs is paired with a parse-floor run and a frictionless run made right after it.
    walls, peaks, fl_walls, fl_tasks, summary = [], [], [], [], ""
    floor_walls: list[float] = []
    floor_rows = 0
    for i in range(max(repeats, fl_runs)):
        out = run_measured(cli)
        if out.rc != 0:
            raise RuntimeError(f"validate CLI failed on the clean tree: {out.stdout[-500:]} {out.stderr[-500:]}")
        walls.append(round(out.wall, 4))
        peaks.append(out.peak_mb)
        summary = out.stdout.strip()
        wall, floor_rows = floor_once(root, "strings")
        floor_walls.append(wall)
        if i < fl_runs:
            wall, tasks, _ = frictionless_once(descriptor)
            fl_walls.append(round(wall, 4))
            fl_tasks.append(tasks)
    med_cli = statistics.median(walls)
    result.timings.append(Timing("openconflict validate (CLI, end to end)", med_cli, walls, n,
                                 peak_mb=round(max(peaks), 1), note=summary))

    floor = parse_floor(root, repeats, modes=("infer",))
    floor["strings"] = {"median": statistics.median(floor_walls), "runs": floor_walls, "rows": floor_rows}
    best_mode = min(floor, key=lambda m: floor[m]["median"])
    floor_ratios = [ours / f for ours, f in zip(walls, floor_walls, strict=True)]
    for mode, label in (("infer", "types inferred"), ("strings", "every column as strings")):
        f = floor[mode]
        result.timings.append(Timing(f"pyarrow.csv.read_csv of every file, {label} (fresh process: parse floor)",
                                     f["median"], f["runs"], f["rows"]))
    floor_s = floor[best_mode]["median"]

    # frictionless: the full file unless a slice was asked for (then scaled, and the table says so).
    scale = n / fl_n
    fl_scaled = [w + fl_tasks[k].get("events", w) * (scale - 1) for k, w in enumerate(fl_walls)]
    result.extra["frictionless"] = {"rows": fl_rows, "walls": fl_walls, "task_seconds": fl_tasks}
    result.timings.append(Timing("frictionless validate (package: events + locations)", statistics.median(fl_scaled),
                                 [round(w, 4) for w in fl_scaled], n, scaled_from=fl_n if fl_n < n else None,
                                 note="the full file" if fl_n >= n else "events task scaled linearly"))
    per_run = [fl / ours for fl, ours in zip(fl_scaled, walls, strict=False)]

    records_s, records = build_records(curated, min(max(js_slice, rs_slice), n))
    js_n = min(js_slice, n)
    js_s, invalid = jsonschema_time(records[:js_n])
    result.timings.append(Timing("jsonschema (pure Python) Draft202012 per record", js_s * n / js_n, [round(js_s, 4)], n,
                                 scaled_from=js_n, note=f"{invalid} invalid"))
    rs_n = min(rs_slice, n)
    rs = jsonschema_rs_time(records[:rs_n], json.loads((REPO / "schema" / "event.schema.json").read_text(encoding="utf-8")))
    rs_scaled = None
    if rs is not None:
        rs_scaled = rs[0] * n / rs_n
        result.timings.append(Timing("jsonschema-rs Draft202012 per record", rs_scaled, [round(rs[0], 4)], n,
                                     scaled_from=rs_n if rs_n < n else None,
                                     note=f"{rs[1]} invalid; building the records from the curated rows in "
                                          f"plain Python takes another {records_s * n / len(records):.1f} s at N "
                                          "(not counted, for either jsonschema)"))
    if adversarial_shapes:
        adversarial(n, work, seed, result, med_cli, cli_repeats=max(1, min(repeats, 2)))
    det = detection(err_root, work)
    result.extra["detection"] = det
    ratio = statistics.median(fl_scaled) / med_cli
    result.extra["ratios"] = {"frictionless / openconflict CLI (median)": round(ratio, 1),
                              "frictionless / openconflict CLI, per run": [round(r, 1) for r in per_run],
                              "openconflict CLI / parse floor": round(med_cli / floor_s, 2),
                              "openconflict CLI / parse floor (strings), per paired run": [round(r, 2) for r in floor_ratios],
                              "openconflict in process / parse floor": round(med / floor_s, 2)}
    if rs_scaled:
        result.extra["ratios"]["jsonschema-rs / openconflict CLI"] = round(rs_scaled / med_cli, 1)
    result.targets += [
        target("validate end to end / pyarrow parse floor (both fresh processes; medians)", med_cli / floor_s, 2.0,
               "x", note=f"floor: {best_mode}, {floor_s:.2f} s"),
        target(f"validate end to end / parse floor (strings), worst of {len(floor_ratios)} paired runs",
               max(floor_ratios), 2.0, "x"),
        target(f"speed-up over frictionless, worst of {len(per_run)} paired runs"
               + ("" if fl_n >= n else " (frictionless scaled from a slice)"), min(per_run), 10.0, "x",
               higher_is_better=True),
        target("speed-up over the best per-record peer (jsonschema-rs)", rs_scaled / med_cli if rs_scaled else None,
               1.0, "x", higher_is_better=True, note="records prebuilt for the peer (not counted)"),
        target("injected errors caught by openconflict", det["caught"]["openconflict"], det["injected"], "errors",
               higher_is_better=True),
        target("clean synthetic tree: errors + warnings", len(report.problems), 0, "problems"),
    ]
    return result
