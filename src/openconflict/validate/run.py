"""Orchestration: read the tree, run every rule group over every table, narrow to the named paths.

Why apart from the rules: the build calls :func:`validate_curated` on tables it has already read, the CLI
calls :func:`validate` on paths; both must run the same rules in the same order.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Collection, Iterable
from functools import partial
from pathlib import Path
from typing import Any

from ..curated import Curated, find_root, read_curated
from ..problems import Report
from ..schema import Schema, load_schema
from .emit import Checker, checked, single
from .events import event_steps
from .fields import check_controls, check_formulas
from .history import check_history
from .registries import CHECKS

#: Threads for the rule groups: the machine's cores, at most this many (more only adds contention).
WORKERS = 4


def validate_curated(curated: Curated, schema: Schema, today: dt.date | None = None,
                     only: Collection[str] | None = None) -> Report:
    """Run every rule over already-read curated tables (with ``only``: the rules of those tables only).

    The rule groups only read the tables, so they run on a few threads (the Arrow kernels they are made
    of release the GIL); each group collects its problems in a checker of its own, and these are put
    back in the order the groups are listed, so the report is the same however the threads interleave.
    """
    today = today or dt.datetime.now(dt.UTC).date()
    report = Report(files_checked=curated.files_read)
    report.add(checked(p) for p in curated.problems)
    checkers = {name: Checker(ct, today) for name, ct in curated.tables.items() if only is None or name in only}
    steps: list[tuple[str, Callable[[Checker], Any]]] = []
    for name in checkers:  # (with ``only``, as a build in parts checks the registries once: release.stream)
        fields = schema.curated[name]["fields"]
        if name == "events":
            steps += [(name, step) for step in event_steps(schema, curated.tables)]
            steps.append((name, lambda ch: ch.singles.extend(check_history(curated, ch))))
        else:
            steps.append((name, partial(CHECKS[name], schema=schema)))
        steps.append((name, partial(check_controls, fields=fields)))
        steps.append((name, partial(check_formulas, fields=fields)))
    forks = [checkers[name].fork() for name, _ in steps]
    _run_all([partial(step, fork) for (_, step), fork in zip(steps, forks, strict=True)])
    for (name, _), fork in zip(steps, forks, strict=True):
        checkers[name].absorb(fork)
    for name, ch in checkers.items():
        ct = curated.tables[name]
        report.add(ch.singles)
        for batch in ch.batches:
            report.add_batch(batch)
        report.rows_checked[name] = ct.num_rows
    return report.finish()


def _run_all(calls: list[Callable[[], Any]]) -> list[Any]:
    """The results of ``calls``, in order, computed on up to ``WORKERS`` threads; the first error raised
    by a call is raised here, as if they had run one after another."""
    workers = min(WORKERS, os.cpu_count() or 1)
    if workers <= 1:
        return [call() for call in calls]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="openconflict-validate") as pool:
        futures = [pool.submit(call) for call in calls]
        return [f.result() for f in futures]


def validate(paths: Iterable[str | Path] | None = None, *, schema: Schema | None = None,
             today: dt.date | None = None) -> tuple[Report, Curated]:
    """Validate the datasets tree holding ``paths`` (default ``./datasets``).

    A path may be the datasets root or any file or folder inside it; all tables are read (references
    need the registries), and problems are reported for the named paths only.
    """
    schema = schema or load_schema()
    targets = [Path(p) for p in (paths or ["datasets"])]
    roots = {find_root(p) for p in targets}
    if len(roots) != 1:
        raise ValueError("all paths must lie in one datasets tree: " + ", ".join(sorted(map(str, roots))))
    root = roots.pop()
    if not root.is_dir():
        raise FileNotFoundError(f"no datasets folder at {root}")
    curated = read_curated(root, schema)
    report = validate_curated(curated, schema, today)
    narrowed = [p.absolute() for p in targets if p.resolve() != root]
    if narrowed:
        prefixes = [_shown(p, root) for p in narrowed]
        report.keep_files(lambda f: any(f == pre or f.startswith(pre + "/") for pre in prefixes))
        # A named file that is no curated table was never checked: say so instead of passing silently.
        known = {f for ct in curated.tables.values() for f in ct.files} | {p.file for p in report.singles}
        for path, shown in zip(narrowed, prefixes, strict=True):
            if path.is_file() and shown not in known:
                report.add([single(shown, 0, "", "file.unexpected", "not a curated table: expected "
                                   "events/<ISO3>/<YYYY>-<MM>.csv, locations/<ISO3>.csv or a registry "
                                   "(actors.csv, sources.csv, deletions.csv)", path.name)])
        report.finish()
    return report, curated


def _shown(path: Path, root: Path) -> str:
    """``path`` as the report names it (relative to the folder holding the datasets root)."""
    for candidate in (path, path.resolve()):
        try:
            parent = candidate.parent.resolve() / candidate.name
            return str(parent.relative_to(root.parent))
        except ValueError:
            continue
    return str(path)
