"""Every release is checked by frictionless before it is sealed; a large one in a second process.

Frictionless is the reference implementation researchers' tools share: the descriptor, each CSV's Table
Schema, types, constraints, primary and foreign keys (and, in full mode, its size and hash) are checked
before anything is published. The Parquet twins are left out: frictionless reads Parquet through pandas one
row at a time (minutes for a large release), they hold the same table as the CSVs, and the committed
releases' tests validate the whole descriptor, Parquet included, with the frictionless command.

Why a second process (issue 12): frictionless is pure Python and takes about 1.3 s on a 1M release, and the
report, rendered between the tables and the final descriptor, about 1 s. Both hold the GIL, so a thread
would not overlap them; a child process, started before the tables are written so that its imports are
done by then, checks the data resources (the CSVs, declared identically before and after the report is
added) on the other core while the report renders, and the report's own resource is checked in process
once it exists. Small releases (the committed ones, the tests' builds) are
checked in process in one call: for them a second interpreter would cost more than it saves.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from openconflict.errors import BuildError

__all__ = ["FRICTIONLESS_FULL_ROWS", "SECOND_PROCESS_ROWS", "DataCheck", "check_with_frictionless",
           "frictionless_errors"]

#: Up to this many rows in its largest table, a release is validated by frictionless row by row in full;
#: above it, frictionless checks the descriptor and the first rows of every resource (its schema, types
#: and constraints), because its row validation (about 23,000 rows a second here) would make a
#: million-event build take minutes. Sizes and sha256 of every file are checked by our own verify step
#: (SHA256SUMS, descriptor, ledger) in every case.
FRICTIONLESS_FULL_ROWS = 10_000
#: Above this many rows in its largest table, the data resources are checked in a second process.
SECOND_PROCESS_ROWS = FRICTIONLESS_FULL_ROWS
_SHOWN = 10


def checked(descriptor: dict[str, Any]) -> list[dict[str, Any]]:
    """The resources frictionless checks: all but the Parquet twins."""
    return [r for r in descriptor["resources"] if r.get("format") != "parquet"]


def frictionless_errors(folder: Path, descriptor: dict[str, Any], resources: list[dict[str, Any]],
                        rows: int) -> list[str]:
    """Frictionless's errors for ``resources`` of ``descriptor`` (files under ``folder``); [] when valid."""
    try:
        from frictionless import Package
    except ImportError:
        raise BuildError('the release step checks every release with frictionless; install the curator extra: '
                         'pip install -e ".[curate]"') from None
    limit = None if rows <= FRICTIONLESS_FULL_ROWS else FRICTIONLESS_FULL_ROWS
    report = Package({**descriptor, "resources": resources}, basepath=str(folder)).validate(limit_rows=limit)
    if report.valid:
        return []
    errors = [f"{e.type}: {e.message}" for task in report.tasks for e in task.errors][:_SHOWN]
    return errors + [f"{e.type}: {e.message}" for e in report.errors][:_SHOWN]


def _refuse(errors: list[str]) -> None:
    if errors:
        raise BuildError("frictionless refuses the release: " + "; ".join(errors[:_SHOWN]))


def check_with_frictionless(folder: Path, rows: int) -> None:
    """Refuse the release in ``folder`` unless frictionless finds its data package valid (in process).

    ``rows`` is the row count of the largest table (it picks full or sampled row checks)."""
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    _refuse(frictionless_errors(folder, descriptor, checked(descriptor), rows))


class DataCheck:
    """Frictionless on a release's data resources in a child process.

    The child is started before the tables are written (``DataCheck(folder, rows)``), so its interpreter
    and imports are ready when the data are: ``send(descriptor)`` hands it the descriptor as soon as the CSVs
    are written and hashed, and it checks them while the report renders. ``finish(descriptor)`` takes the
    final descriptor: it checks that its data resources are exactly the ones the child was given (else the
    child's verdict would be about something else), checks the rest (the report) in process, waits for the
    child and refuses the release on any error of either. ``close()`` stops a child that is still running (a
    build that fails elsewhere leaves no process behind).
    """

    def __init__(self, folder: Path, rows: int) -> None:
        self.folder, self.rows = folder, rows
        self.data: list[dict[str, Any]] | None = None
        self._local: list[str] = []
        try:
            self._proc: subprocess.Popen[str] | None = subprocess.Popen(
                [sys.executable, "-m", "openconflict.release.frictionless_check"], stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8")
        except OSError as exc:
            raise BuildError(f"could not start the frictionless check of the release's data: {exc}") from None

    def send(self, descriptor: dict[str, Any]) -> None:
        """Give the child the data resources of ``descriptor`` (their files are written): it starts checking."""
        proc = self._proc
        assert proc is not None and proc.stdin is not None and self.data is None
        self.data = [r for r in checked(descriptor) if r.get("type") == "table"]
        payload = json.dumps({"folder": str(self.folder), "descriptor": {**descriptor, "resources": self.data},
                              "rows": self.rows})
        try:
            proc.stdin.write(payload)  # the child is blocked reading it, so this never waits long
            proc.stdin.close()
        except OSError as exc:
            self.close()
            raise BuildError(f"could not start the frictionless check of the release's data: {exc}") from None
        proc.stdin = None  # sent in full: communicate() now only collects the answer

    def finish(self, descriptor: dict[str, Any]) -> None:
        """:meth:`check_rest` then :meth:`wait`."""
        self.check_rest(descriptor)
        self.wait()

    def check_rest(self, descriptor: dict[str, Any]) -> None:
        """Check the final ``descriptor``'s other resources (the report) in process, having made sure its data
        resources are the ones the child checks; their errors are kept for :meth:`wait`."""
        if self.data is None:
            self.send(descriptor)
        final = checked(descriptor)
        if [r for r in final if r.get("type") == "table"] != self.data:
            self.close()
            raise BuildError("internal: the descriptor's data resources changed after their frictionless check "
                             "started")
        rest = [r for r in final if r.get("type") != "table"]
        self._local = frictionless_errors(self.folder, descriptor, rest, self.rows) if rest else []

    def wait(self) -> None:
        """The child's verdict with the in-process one: refuse the release on any error of either."""
        proc, self._proc = self._proc, None
        if proc is None:
            raise BuildError("internal: the frictionless check of the release's data is no longer running")
        out, err = proc.communicate()
        if proc.returncode != 0:  # a crash (a kill by close() never gets here)
            raise BuildError(f"the frictionless check of the release's data failed to run (exit {proc.returncode}): "
                             f"{err.strip()[-800:] or 'no message'}")
        try:
            remote = json.loads(out)
        except json.JSONDecodeError:
            raise BuildError(f"the frictionless check of the release's data gave no verdict: {out[-300:]!r}") from None
        _refuse([*remote, *self._local])

    def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            if proc.poll() is None:
                proc.kill()
            if proc.stdin is not None:
                with contextlib.suppress(OSError):
                    proc.stdin.close()
                proc.stdin = None
            proc.communicate()


def _child() -> int:
    """The child's side: a JSON request on stdin, the JSON list of errors on stdout."""
    request = json.loads(sys.stdin.read())
    folder = Path(request["folder"])
    descriptor = request["descriptor"]
    try:
        errors = frictionless_errors(folder, descriptor, descriptor["resources"], int(request["rows"]))
    except BuildError as exc:
        errors = [str(exc)]
    sys.stdout.write(json.dumps(errors))
    return 0


if __name__ == "__main__":
    sys.exit(_child())
