"""Progress bars for long work (downloads, builds, exports), shown only to a person at a terminal.

Why a helper: every long-running command needs the same three rules, and getting one wrong spoils logs
and pipes: draw on a terminal; draw nothing when the stream is a file, a pipe or CI's log, or when the
user asked for ``--quiet``; draw nothing for work too small to be worth a bar. The drawing itself is
tqdm's (a small, well-kept library), never hand-written escape codes.

Use it like tqdm::

    for batch in progress(batches, total=n, desc="export", unit="row", quiet=quiet):
        ...
    with progress(total=size, desc="download 1.2.0", unit="B", min_total=4 << 20) as bar:
        bar.update(len(chunk))
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import IO, Any

__all__ = ["is_terminal", "progress"]


def is_terminal(stream: IO[str] | None) -> bool:
    """True when ``stream`` is an open terminal (not a file, pipe, closed stream or missing)."""
    if stream is None:
        return False
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):  # no isatty, or a closed stream
        return False


def progress(iterable: Iterable[Any] | None = None, *, total: float | None = None, desc: str | None = None,
             unit: str = "it", quiet: bool = False, stream: IO[str] | None = None, min_total: float = 0) -> Any:
    """A tqdm bar on ``stream`` (default stderr), disabled unless it is a terminal, not ``quiet``, and the
    work (``total``, or ``len(iterable)``) is at least ``min_total``. Disabled bars cost nothing and
    accept the same calls (``update``, ``close``, ``with``), so callers never branch.

    ``unit="B"`` shows sizes in KiB/MiB and rates per second.
    """
    from tqdm import tqdm

    stream = sys.stderr if stream is None else stream
    if total is None and iterable is not None and hasattr(iterable, "__len__"):
        total = len(iterable)  # type: ignore[arg-type]
    big_enough = total is None or total >= min_total
    show = not quiet and big_enough and is_terminal(stream)
    scale = unit == "B"
    return tqdm(iterable, total=total, desc=desc, unit=unit, unit_scale=scale, unit_divisor=1024 if scale else 1000,
                file=stream, disable=not show, dynamic_ncols=True, leave=False)
