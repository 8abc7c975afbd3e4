"""The release report: one self-contained HTML page that shows what a release holds and what changed.

Why a package of its own: the report sits on top of a finished release folder and reads nothing else
(its ``data/*.parquet`` tables, ``datapackage.json``, ``CITATION.cff`` and ``codebook.md``), so it can
render any release, old or new, without the build, the curated tree or the network. The stages are split
by concern: :mod:`.figures` computes every number, :mod:`.charts` and :mod:`.mapping` draw static images,
:mod:`.page` writes the HTML, and :mod:`.cli` is the ``openconflict report`` command.

``import openconflict.reporting`` stays light; pyarrow and matplotlib load when a report is rendered.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["REPORT_FILE", "SOURCE_COLUMNS", "preload", "render_report"]

#: The columns of the sources table the report counts (a caller handing the table over may keep only these).
SOURCE_COLUMNS = ["publisher", "language"]

#: The one file a report consists of (images are embedded in it).
REPORT_FILE = "index.html"
#: matplotlib's settings are process-wide, so renders in one process take turns (processes need not).
_RENDER_LOCK = threading.Lock()


def preload() -> threading.Thread:
    """Import the drawing stack (matplotlib, the chart and page modules) in a background thread.

    Why: the release step renders the report at its very end, and the first import of matplotlib costs about
    half a second; started at the beginning of a build it overlaps with the build's own work (Arrow and zlib
    release the GIL), so the report adds less to the build. Safe to call more than once; an import error is
    left for the render to report.
    """
    def run() -> None:
        try:
            import matplotlib.backends.backend_agg  # noqa: F401
            import matplotlib.collections  # noqa: F401
            import matplotlib.figure  # noqa: F401

            from . import charts, figures, mapping, page  # noqa: F401
        except ImportError:
            pass

    thread = threading.Thread(target=run, name="openconflict-report-preload", daemon=True)
    thread.start()
    return thread


def render_report(release_folder: Path, out_dir: Path, previous_folder: Path | None = None,
                  tables: Mapping[str, pa.Table] | None = None) -> Path:
    """Write ``out_dir/index.html`` describing the release in ``release_folder`` and return its path.

    ``previous_folder`` is the release published just before it, used for the version rule of the
    "what changed" section; the change counts themselves come from the release's own ``changes`` table.
    The same release folder always gives the same bytes. ``tables`` may hold the release's ``events`` and
    ``sources`` tables already in memory (the build passes the ones it just wrote), so they are not read
    back from Parquet; the page is the same either way.
    """
    from openconflict.errors import ReportError
    from openconflict.files import atomic_write

    with _RENDER_LOCK:
        html = _render(Path(release_folder), None if previous_folder is None else Path(previous_folder),
                       tables or {})
    out = Path(out_dir)
    target = out / REPORT_FILE
    try:
        out.mkdir(parents=True, exist_ok=True)
        atomic_write(target, html.encode("utf-8"))
    except OSError as exc:
        raise ReportError(f"cannot write the report to {target}: {exc}") from None
    return target


def _render(release_folder: Path, previous_folder: Path | None, tables: Mapping[str, pa.Table]) -> str:
    from .figures import compute_figures
    from .page import render_html

    # Drawing creates tens of thousands of short-lived matplotlib objects, and each burst can trigger a full
    # collection of the caller's whole heap (large inside a build); collection resumes as it was afterwards.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return render_html(compute_figures(release_folder, previous_folder, tables))
    finally:
        if enabled:
            gc.enable()
