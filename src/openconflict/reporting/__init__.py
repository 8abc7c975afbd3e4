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
from pathlib import Path

__all__ = ["REPORT_FILE", "render_report"]

#: The one file a report consists of (images are embedded in it).
REPORT_FILE = "index.html"
#: matplotlib's settings are process-wide, so renders in one process take turns (processes need not).
_RENDER_LOCK = threading.Lock()


def render_report(release_folder: Path, out_dir: Path, previous_folder: Path | None = None) -> Path:
    """Write ``out_dir/index.html`` describing the release in ``release_folder`` and return its path.

    ``previous_folder`` is the release published just before it, used for the version rule of the
    "what changed" section; the change counts themselves come from the release's own ``changes`` table.
    The same release folder always gives the same bytes.
    """
    from openconflict.errors import ReportError
    from openconflict.files import atomic_write

    with _RENDER_LOCK:
        html = _render(Path(release_folder), None if previous_folder is None else Path(previous_folder))
    out = Path(out_dir)
    target = out / REPORT_FILE
    try:
        out.mkdir(parents=True, exist_ok=True)
        atomic_write(target, html.encode("utf-8"))
    except OSError as exc:
        raise ReportError(f"cannot write the report to {target}: {exc}") from None
    return target


def _render(release_folder: Path, previous_folder: Path | None) -> str:
    from .figures import compute_figures
    from .page import render_html

    # Drawing creates tens of thousands of short-lived matplotlib objects, and each burst can trigger a full
    # collection of the caller's whole heap (large inside a build); collection resumes as it was afterwards.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return render_html(compute_figures(release_folder, previous_folder))
    finally:
        if enabled:
            gc.enable()
