"""Publish a release: the I/O around the plan (:mod:`openconflict.release.stream`, which plans it in
parts and writes its events into the temporary folder as it goes, or :func:`~.plan.plan_release`, the
whole plan, for anything the parts would refuse).

Why in this order (issue 9): under the one build lock, and only after every published release has been
checked against the ledger (:func:`~openconflict.release.guard.build_lock`), the latest release is read,
the release is planned, and every file is written into a temporary folder beside its final place. Every
step that can fail happens before the rename: the folder is checked (SHA256SUMS, descriptor), the archive
is written in full under a temporary name while the files are flushed, frictionless's verdict is awaited
(for a large release it is reached in a second process meanwhile, see
:mod:`openconflict.release.frictionless_check`), and the pending note is written. Then
the folder is renamed into place (the commit point), the ledger entry is appended, the note is dropped,
and the archive is renamed to its final name. A failure before the rename leaves no trace; a kill after
it is finished by the next command (see :mod:`openconflict.release.guard`). An archive that could not be
renamed is not a lost release: ``openconflict archive VERSION`` writes the same bytes again.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openconflict.errors import BuildError, LedgerError
from openconflict.files import fsync_dir
from openconflict.ledger import Entry, Ledger, Stamps, append_release, check_folder
from openconflict.release.agreement import SUMMARY, read_agreement
from openconflict.release.archive import archive_name, check_dist_dir, clean_dist, temp_zip, write_zip
from openconflict.release.diff import ReleaseDiff
from openconflict.release.guard import TMP_PREFIX, build_lock, clear_pending, fsync_tree, write_pending
from openconflict.release.plan import ReleasePlan, check_version, plan_release
from openconflict.release.previous import ReleasedColumns, read_latest
from openconflict.schema import Schema

__all__ = ["BuildResult", "ReleasedColumns", "build_release", "read_latest"]


@dataclass
class BuildResult:
    """What a build did: the version, where it is, its diff, and what it was compared against."""

    version: str
    path: Path
    events: int
    diff: ReleaseDiff
    previous: str | None
    zip_path: Path | None
    recovered: str | None = None  # a release left unrecorded by a killed build, recorded first
    note: str | None = None  # e.g. the archive could not be renamed into place (run `openconflict archive`)
    unchanged: str | None = None  # dry runs only: why a real build of this version would be refused


def _parse_date(date: str | dt.date | None, today: dt.date) -> dt.date:
    if date is None:
        return today
    if isinstance(date, dt.datetime):
        raise BuildError(f"a release date is a calendar date YYYY-MM-DD, not a timestamp: {date!r}")
    if isinstance(date, dt.date):
        return date
    try:
        if not isinstance(date, str) or len(date) != 10 or not date.isascii():
            raise ValueError
        return dt.date.fromisoformat(date)
    except ValueError:
        raise BuildError(f"not a date YYYY-MM-DD: {date!r}") from None


def _read_text(path: Path | None) -> str | None:
    """A curator's text file (CHANGELOG.md, CITATION.cff) if it exists; unreadable text is refused clearly."""
    if path is None or not path.is_file():
        return None
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BuildError(f"cannot read {path} as UTF-8 text: {exc}") from None


def build_release(root: Path, version: str | None, *, date: str | dt.date | None = None,
                  releases_dir: Path = Path("build/releases"), dist_dir: Path | None = Path("build/dist"),
                  dry_run: bool = False, changelog: Path | None = None, citation: Path | None = None,
                  schema: Schema | None = None, lock_wait: float | None = None, agreement: Path | None = None,
                  today: dt.date | None = None) -> BuildResult:
    """Validate ``root`` (a datasets folder), plan release ``version`` and publish it.

    ``changelog`` and ``citation`` default to CHANGELOG.md and CITATION.cff beside ``root``, ``agreement``
    to curation/agreement/summary.csv there (the coder-agreement table, empty when absent); ``today`` (UTC
    by default) bounds the release date; ``lock_wait`` defaults to OPENCONFLICT_LOCK_WAIT. With ``dry_run``
    everything is built and checked in a temporary folder that is then removed, and nothing is published.
    Raises :class:`BuildError` (having published nothing) when any rule refuses the release.
    """
    from openconflict.schema import load_schema

    root, releases_dir = Path(root), Path(releases_dir)
    today = today or dt.datetime.now(dt.UTC).date()
    release_date = _parse_date(date, today)
    if dist_dir is not None:
        dist_dir = Path(dist_dir)
        check_dist_dir(dist_dir, releases_dir)
    if not root.is_dir():
        raise BuildError(f"no datasets folder at {root}")
    schema = schema or load_schema()
    from openconflict.reporting import preload

    preload()  # matplotlib's first import overlaps with the build instead of adding to it (issue 14)
    repo = root.resolve().parent
    changelog_text = _read_text(changelog if changelog is not None else repo / "CHANGELOG.md")
    citation_text = _read_text(citation if citation is not None else repo / "CITATION.cff")
    agreement_table = read_agreement(agreement if agreement is not None else repo / SUMMARY, schema)

    with build_lock(releases_dir, lock_wait=lock_wait, stamp=not dry_run) as state:
        if version is not None:
            check_version(version, state.ledger)  # cheap refusals before reading anything
        tmp = Path(tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{version}-", dir=releases_dir))
        try:
            plan = _plan(root, schema, version, release_date, today, state.ledger, releases_dir, tmp,
                         changelog_text, citation_text, agreement_table, dry_run)
            result = _publish(plan, schema, state.ledger, releases_dir, dist_dir, dry_run, tmp)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
        result.recovered = state.recovered
        return result


def _plan(root: Path, schema: Schema, version: str | None, release_date: dt.date, today: dt.date, ledger: Ledger,
          releases_dir: Path, tmp: Path, changelog: str | None, citation: str | None, agreement: Any,
          dry_run: bool) -> ReleasePlan:
    """Plan the release in parts, its events written into ``tmp`` as they are derived (bounded memory, see
    :mod:`openconflict.release.stream`); when the parts find something to refuse, plan it whole, which
    refuses it with the same message and report as ever (and plans it, should the parts have been wrong)."""
    from openconflict.curated import read_curated
    from openconflict.release.stream import Whole, plan_in_parts
    from openconflict.release.write import seal_and_hash

    data = tmp / "data"
    data.mkdir()
    # the parts read the previous events country by country and its sources batch by batch
    latest = read_latest(releases_dir, ledger, registries=("actors", "locations", "deletions"))
    try:
        try:
            return plan_in_parts(root, schema, version, date=release_date, today=today, ledger=ledger,
                                 latest=latest, data=data, changelog=changelog, citation_template=citation,
                                 agreement=agreement, allow_unchanged=dry_run, finish=seal_and_hash)
        except OSError as exc:
            raise BuildError(f"could not write release {version}: {exc}") from None
        except Whole:
            pass
        shutil.rmtree(data)  # whatever the parts wrote: the whole plan is written from scratch
        if latest is not None:
            latest.events.close()
            latest = read_latest(releases_dir, ledger)
        curated = read_curated(root, schema)
        plan = plan_release(curated, schema, version, date=release_date, today=today, ledger=ledger,
                            latest=latest, changelog=changelog, citation_template=citation,
                            agreement=agreement, allow_unchanged=dry_run)
        del curated
        return plan
    finally:
        if latest is not None and isinstance(latest.events, ReleasedColumns):
            latest.events.close()


def _publish(plan: ReleasePlan, schema: Schema, ledger: Ledger, releases_dir: Path, dist_dir: Path | None,
             dry_run: bool, tmp: Path) -> BuildResult:
    """Write, check, rename, record: see the module docstring for why in this order."""
    from openconflict.release.verify import verify_folder
    from openconflict.release.write import Verdict, write_release_folder

    version = plan.version
    final = releases_dir / version
    tmp_zip: Path | None = None
    renamed = False
    verdict: Verdict | None = None
    try:
        try:
            previous = releases_dir / plan.previous if plan.previous else None
            files, verdict = write_release_folder(tmp, schema, plan, previous)
        except OSError as exc:
            raise BuildError(f"could not write release {version}: {exc}") from None
        entry = Entry(version, plan.date.isoformat(), plan.events.num_rows, files, ledger.head)
        problems = verify_folder(tmp, entry)
        if problems:
            raise BuildError(f"the build produced an inconsistent release {version}: " + "; ".join(problems))
        if dry_run:
            verdict.wait()
            return BuildResult(version, tmp, plan.events.num_rows, plan.diff, plan.previous, None,
                               unchanged=plan.unchanged)
        # The release's files are flushed to disk while the archive is written (fsync waits on the disk,
        # the archive on the CPU); both are done before the rename below.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="fsync") as flusher:
            flushed = flusher.submit(fsync_tree, tmp)
            if dist_dir is not None:
                try:
                    dist_dir.mkdir(parents=True, exist_ok=True)
                    clean_dist(dist_dir)
                    tmp_zip = temp_zip(dist_dir, version)
                    write_zip(tmp, tmp_zip, version, plan.date)
                except OSError as exc:
                    raise BuildError(f"could not write the archive of {version} in {dist_dir}: {exc}; nothing "
                                     "was published") from None
            try:
                flushed.result()
            except OSError as exc:
                raise BuildError(f"could not flush release {version} to disk: {exc}; nothing was published") from None
        verdict.wait()  # frictionless's verdict on a large release, reached meanwhile in a second process
        try:
            write_pending(releases_dir, entry)
            os.rename(tmp, final)  # the commit point: the release appears whole or not at all
        except OSError as exc:
            raise BuildError(f"could not move release {version} into place: {exc}; nothing was published") from None
        renamed = True
        fsync_dir(releases_dir)
        try:
            append_release(releases_dir, version, entry.date, entry.events, entry.files)
        except (OSError, LedgerError) as exc:
            raise BuildError(f"release {version} is in place but could not be recorded in the ledger ({exc}); "
                             "the next build or `openconflict archive` records it") from None
        clear_pending(releases_dir)
        check_folder(final, entry, Stamps(releases_dir))  # stamps it (memo hits: no file is read again)
        zip_path, note = _finish_zip(tmp_zip, dist_dir, version)
        tmp_zip = None
        return BuildResult(version, final, plan.events.num_rows, plan.diff, plan.previous, zip_path, note=note)
    finally:
        if verdict is not None:
            verdict.close()
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
        if tmp_zip is not None:
            with contextlib.suppress(FileNotFoundError):
                tmp_zip.unlink()
        if not renamed:
            clear_pending(releases_dir)


def _finish_zip(tmp_zip: Path | None, dist_dir: Path | None, version: str) -> tuple[Path | None, str | None]:
    """Rename the archive into place; the release is already published, so a failure is only a note."""
    if tmp_zip is None or dist_dir is None:
        return None, None
    final = dist_dir / archive_name(version)
    try:
        os.replace(tmp_zip, final)
    except OSError as exc:
        with contextlib.suppress(FileNotFoundError):
            tmp_zip.unlink()
        return None, (f"the archive could not be put in place ({exc}); the release is published: run "
                      f"`openconflict archive {version}` to write it again")
    return final, None
