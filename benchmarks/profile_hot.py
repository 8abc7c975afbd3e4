"""Where the time goes: profile validate, build or load on a synthetic tree and print the hottest spots.

    python benchmarks/profile_hot.py validate [--n 1000000]
    python benchmarks/profile_hot.py build [--n 1000000]
    python benchmarks/profile_hot.py load [--n 1000000]

Why a tool of its own: cProfile alone says "pyarrow.compute wrapper: 4 s", which names no culprit, because
every kernel goes through the same wrapper. So for ``validate`` each ``pyarrow.compute`` function is wrapped
and its time charged to the calling function and line in our code; ``build`` and ``load`` get a plain
cProfile (cumulative). Uses the cached trees and releases of ``benchmarks/.work`` (made when missing).
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import functools
import io
import os
import pstats
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import WORK  # noqa: E402
from benchmarks.synth import ensure_tree  # noqa: E402


def kernel_times(fn: Callable[[], Any], package_dir: str = "openconflict") -> tuple[float, list[tuple[float, str]]]:
    """Run ``fn`` with every public pyarrow.compute function timed and charged to its caller in our code."""
    import pyarrow.compute as pc

    stats: dict[str, float] = collections.defaultdict(float)
    saved: dict[str, Any] = {}
    for name in dir(pc):
        obj = getattr(pc, name)
        if name.startswith("_") or not callable(obj) or isinstance(obj, type):
            continue
        saved[name] = obj

        def wrapped(*args: Any, _orig: Any = obj, _name: str = name, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return _orig(*args, **kwargs)
            finally:
                frame = sys._getframe(1)
                while frame is not None and package_dir not in frame.f_code.co_filename:
                    frame = frame.f_back  # type: ignore[assignment]
                where = (f"{Path(frame.f_code.co_filename).name}:{frame.f_lineno} {frame.f_code.co_name}"
                         if frame is not None else "?")
                stats[f"{_name:<28} {where}"] += time.perf_counter() - t0

        setattr(pc, name, functools.wraps(obj)(wrapped))
    try:
        t0 = time.perf_counter()
        fn()
        total = time.perf_counter() - t0
    finally:
        for name, obj in saved.items():
            setattr(pc, name, obj)
    return total, sorted(((v, k) for k, v in stats.items()), reverse=True)


def cprofile(fn: Callable[[], Any], limit: int = 40, sort: str = "cumulative") -> tuple[float, str]:
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    fn()
    prof.disable()
    total = time.perf_counter() - t0
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats(sort).print_stats(limit)
    return total, out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Profile one OpenConflict stage on a synthetic tree.")
    parser.add_argument("what", choices=["validate", "build", "load"])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args(argv)
    root = ensure_tree(WORK, args.n)
    if args.what == "validate":
        from openconflict.validate import validate

        validate([root])  # warm: imports, schema cache, page cache
        total, rows = kernel_times(lambda: validate([root]))
        print(f"validate {args.n:,} events: {total:.2f} s; pyarrow.compute time by caller:")
        for secs, where in rows[:args.top]:
            print(f"  {secs:7.3f} s  {where}")
        print(f"  {sum(s for s, _ in rows):7.3f} s  all kernels; the rest is reading files and Python")
        total, text = cprofile(lambda: validate([root]), args.top, "tottime")
        print(text)
    elif args.what == "build":
        from openconflict.release import build_release

        with tempfile.TemporaryDirectory(dir=WORK) as tmp:
            total, text = cprofile(lambda: build_release(root, "1.0.0", date="2026-02-01",
                                                         releases_dir=Path(tmp) / "rel",
                                                         dist_dir=Path(tmp) / "dist"), args.top)
        print(f"build {args.n:,} events: {total:.2f} s")
        print(text)
    else:
        from benchmarks.bench_build import VERSION, build_once, release_dirs

        releases, _ = release_dirs(WORK, args.n)
        if not (releases / VERSION / "data" / "events.parquet").exists():
            build_once(WORK, args.n)
        os.environ.update({"OPENCONFLICT_RELEASES": str(releases), "OPENCONFLICT_OFFLINE": "1",
                           "OPENCONFLICT_CACHE": str(WORK / "cache")})
        import openconflict

        def load() -> Any:
            return openconflict.load_events(VERSION, country="Syria", start="2020-01-01", end="2020-12-31")

        load()

        def many() -> None:
            for _ in range(20):
                load()

        total, text = cprofile(many, args.top)
        print(f"20 filtered loads: {total:.3f} s ({1000 * total / 20:.1f} ms each, under the profiler)")
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
