"""Write a planned release into a (temporary) folder: tables, descriptor, texts and SHA256SUMS.

Why separate from publishing: writing the files is the same for a real build and a dry run, and it never
decides anything; :mod:`openconflict.release.publish` decides where the folder lives and when it becomes a
release. Every byte written depends only on the plan (no clock, sorted rows), so builds are reproducible.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openconflict.files import DIR_MODE, FILE_MODE, sha256_file
from openconflict.ledger import FileEntry, folder_files
from openconflict.release.descriptor import descriptor, descriptor_bytes
from openconflict.release.frictionless_check import SECOND_PROCESS_ROWS, DataCheck, check_with_frictionless
from openconflict.release.plan import Written

if TYPE_CHECKING:
    from concurrent.futures import Future

    import pyarrow as pa

    from openconflict.release.plan import ReleasePlan
    from openconflict.schema import Schema

__all__ = ["CSV_BATCH", "ROW_GROUP", "PartsWriter", "Verdict", "write_parquet", "write_release_folder",
           "write_table", "write_tables"]

ROW_GROUP = 4_096  # at most 65,536 (DESIGN); small groups let a country-year read a few thousand rows
CSV_BATCH = 65_536


_PARQUET_OPTIONS: dict[str, Any] = {"compression": "zstd", "write_statistics": True, "use_dictionary": True,
                                    "version": "2.6"}


def write_parquet(table: pa.Table, path: Path, row_group: int = ROW_GROUP) -> None:
    """The one Parquet writer of releases (``row_group`` other than ROW_GROUP only for layout measurements;
    :class:`PartsWriter` writes the same bytes from a table in parts)."""
    import pyarrow.parquet as pq

    pq.write_table(table, path, row_group_size=row_group, **_PARQUET_OPTIONS)


def _csv_options() -> Any:
    import pyarrow.csv as pacsv

    return pacsv.WriteOptions(include_header=True, quoting_style="needed", batch_size=CSV_BATCH)


def _write_csv(table: pa.Table, path: Path) -> None:
    import pyarrow.csv as pacsv

    pacsv.write_csv(table, path, write_options=_csv_options())


def write_tables(tables: dict[str, pa.Table], folder: Path, workers: int = 2,
                 finish: Callable[[Path], object] | None = None) -> None:
    """Write the Parquet and CSV twins of every table on ``workers`` threads (both writers release the GIL).

    Why one pool for all tables: the events' two files take most of the time, and a thread that finishes
    its events file goes on with the registries instead of waiting for the other one; the largest tables
    go first. Each file is written by one thread from start to end, so its bytes do not depend on the
    schedule. ``finish(path)`` runs on the same thread right after a file is written (the release step
    seals and hashes each file there, while the other thread is still writing).
    """
    from concurrent.futures import ThreadPoolExecutor

    def job(write: Callable[[pa.Table, Path], None], table: pa.Table, path: Path) -> None:
        write(table, path)
        if finish is not None:
            finish(path)

    jobs = sorted(((t.nbytes, name, t) for name, t in tables.items()), key=lambda j: -j[0])
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(job, write, table, folder / f"{name}.{ext}") for _, name, table in jobs
                   for write, ext in ((_write_csv, "csv"), (write_parquet, "parquet"))]
        for future in futures:
            future.result()


class PartsWriter:
    """The Parquet and CSV twins of one table handed over in parts, byte for byte the files of the whole.

    Why: a build derives its events a part at a time (:mod:`openconflict.release.stream`) and must not
    hold them whole to write them (nor its sources and aggregate tables, written the same way). Parquet
    row groups are cut at ``ROW_GROUP`` rows across parts (the rows short of a full group wait for the next
    part), which is how the one-call writer cuts the whole table; CSV rows do not depend on their
    neighbours. Each file is written on a thread of its own, a part while the next one is derived; ``add``
    waits for the part before the last, so at most two parts are held. ``finish(path)`` runs on the
    writer's thread after a file is closed.
    """

    def __init__(self, folder: Path, name: str, schema: pa.Schema,
                 finish: Callable[[Path], object] | None = None) -> None:
        from concurrent.futures import ThreadPoolExecutor

        import pyarrow.csv as pacsv
        import pyarrow.parquet as pq

        self.paths = (folder / f"{name}.parquet", folder / f"{name}.csv")
        self.schema = schema
        self.num_rows = 0
        self._finish = finish
        self._carry: pa.Table | None = None
        self._parquet = pq.ParquetWriter(self.paths[0], schema, **_PARQUET_OPTIONS)
        self._csv = pacsv.CSVWriter(self.paths[1], schema, write_options=_csv_options())
        self._threads = [ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"write-{name}") for _ in range(2)]
        self._pending: list[Future[None]] = []
        self._closed = False  # close_soon ran: nothing more may be added
        self._ended = False  # both files closed (by their end jobs, or by abort)

    def _wait(self) -> None:
        pending, self._pending = self._pending, []
        for future in pending:
            future.result()

    def add(self, part: pa.Table) -> None:
        """Write ``part`` (rows in the order of the whole table) after the parts before it."""
        import pyarrow as pa

        if self._closed:
            raise RuntimeError(f"{self.paths[0].name}: a part added after the writer was closed")
        self._wait()
        self.num_rows += part.num_rows
        rows = pa.concat_tables([self._carry, part]) if self._carry is not None else part
        whole = rows.num_rows // ROW_GROUP * ROW_GROUP
        self._carry = rows.slice(whole)
        self._pending = [self._threads[1].submit(self._csv.write_table, part)]
        if whole:  # (an empty table would be written as an empty row group)
            self._pending.append(self._threads[0].submit(self._parquet.write_table, rows.slice(0, whole),
                                                         row_group_size=ROW_GROUP))

    def close_soon(self) -> None:
        """Hand the rest to the writer threads and return: the files are finished while the caller goes on
        (a large build writes its sources and aggregates meanwhile); :meth:`close` waits for them."""
        if self._closed:
            return
        rest, self._carry = self._carry, None
        if (rest is not None and rest.num_rows) or self.num_rows == 0:
            # (the one-call writer writes an empty table as one empty row group: so does this; it follows
            # the parts already submitted to the same thread)
            self._pending.append(self._threads[0].submit(
                self._parquet.write_table, rest if rest is not None else self.schema.empty_table(),
                row_group_size=ROW_GROUP))
        self._pending += [self._threads[0].submit(self._end, self._parquet, self.paths[0]),
                          self._threads[1].submit(self._end, self._csv, self.paths[1])]
        self._closed = True

    def close(self) -> None:
        """Write what is left, close both files and run ``finish`` on each."""
        self.close_soon()
        try:
            self._wait()
            self._ended = True
        finally:
            self.abort()

    def _end(self, writer: Any, path: Path) -> None:
        writer.close()
        if self._finish is not None:
            self._finish(path)

    def abort(self) -> None:
        """Stop the writer threads (the files are left to the caller's temporary folder)."""
        for pool in self._threads:
            pool.shutdown(wait=True, cancel_futures=True)
        if not self._ended:
            self._closed = self._ended = True
            for writer in (self._parquet, self._csv):
                with contextlib.suppress(Exception):
                    writer.close()


def write_table(table: pa.Table, folder: Path, name: str) -> None:
    """Write the Parquet and CSV twins of one table (see :func:`write_tables`)."""
    write_tables({name: table}, folder)


def _seal(*paths: Path) -> None:
    """Give files their published mode *before* hashing them: a chmod changes a file's ctime, and the hash
    memo (keyed on ctime too) would otherwise hash every file a second time."""
    for p in paths:
        os.chmod(p, DIR_MODE if p.is_dir() else FILE_MODE)


def seal_and_hash(path: Path) -> None:
    """Seal a finished file, then hash it (on the writer's thread): the hash memo keeps the digest for
    SHA256SUMS, the descriptor and the verify step (a later chmod would change the ctime and force a
    second read)."""
    _seal(path)
    sha256_file(path)


def _render_report(folder: Path, previous: Path | None, tables: dict[str, pa.Table]) -> FileEntry:
    """The release's report (issue 14) in ``report/``; its size and sha256.

    ``tables`` (the plan's sources and agreement, and its events unless a large build wrote them in parts)
    are handed over in memory (the same rows as the files just written), so the report does not read them
    back; everything else comes from the folder's files."""
    from openconflict.errors import BuildError, ReportError

    try:
        from openconflict.reporting import render_report
    except ImportError as exc:  # matplotlib is in the curate extra
        raise BuildError(f"the release report needs matplotlib ({exc}); install the curator extra: "
                         'pip install -e ".[curate]"') from None
    try:
        page = render_report(folder, folder / "report", previous if previous and previous.is_dir() else None,
                             tables=tables)
    except ReportError as exc:
        raise BuildError(f"the release report could not be rendered: {exc}") from None
    _seal(folder / "report", page)
    rel = page.relative_to(folder).as_posix()
    return FileEntry(rel, page.stat().st_size, sha256_file(page))


class Verdict:
    """Frictionless's verdict on a written release folder, possibly still being reached in a child process.

    ``wait()`` raises :class:`~openconflict.errors.BuildError` if frictionless refuses the release;
    ``close()`` stops a check still running. Nothing may be published before ``wait()`` returned.
    """

    def __init__(self, check: DataCheck | None = None) -> None:
        self._check = check

    def wait(self) -> None:
        if self._check is not None:
            self._check.wait()
            self._check = None

    def close(self) -> None:
        if self._check is not None:
            self._check.close()
            self._check = None


def write_release_folder(folder: Path, schema: Schema, plan: ReleasePlan,
                         previous: Path | None = None) -> tuple[dict[str, FileEntry], Verdict]:
    """Write every file of ``plan`` into the empty ``folder``; return each file's size and sha256, and the
    frictionless verdict to wait for before publishing.

    ``previous`` is the folder of the release published before it (for the report's "what changed").
    The report is rendered from the finished tables and texts, then declared in the descriptor; the
    descriptor is checked by frictionless (:mod:`.frictionless_check`): a small release in process before
    SHA256SUMS seals the folder; a large one's data resources in a second process, started before the tables
    are written and checking while the report renders, whose verdict the caller waits for (the report's own
    resource is checked here). On any error the check is stopped and nothing is left running.
    """
    data = folder / "data"
    data.mkdir(exist_ok=isinstance(plan.events, Written))

    rows = max(t.num_rows for t in (plan.events, *plan.registries.values()))
    data_check = DataCheck(folder, rows) if rows > SECOND_PROCESS_ROWS else None
    verdict = Verdict(data_check)
    try:
        tables = {n: t for n, t in {**plan.registries, "changes": plan.diff.changes}.items()
                  if not isinstance(t, Written)}  # (written already, as the parts went by)
        report_tables = {n: plan.registries[n] for n in ("sources", "agreement") if n in plan.registries}
        if plan.report_sources is not None:  # the sources were written in parts: the columns the report counts
            report_tables["sources"] = plan.report_sources
        if not isinstance(plan.events, Written):  # else written already (release.stream)
            tables["events"] = report_tables["events"] = plan.events
        else:
            plan.registries = {}  # a large build lets its written registries go before the report
        write_tables(tables, data, finish=seal_and_hash)
        del tables
        _seal(folder, data)
        csvs = {f"data/{p.name}": FileEntry(f"data/{p.name}", p.stat().st_size, sha256_file(p))
                for p in sorted(data.glob("*.csv"))}
        first = descriptor(schema, plan, csvs)
        if data_check is not None:
            data_check.send(first)
        (folder / "datapackage.json").write_bytes(descriptor_bytes(first))
        shutil.copyfile(schema.root / "codebook.md", folder / "codebook.md")
        (folder / "CHANGELOG.md").write_text(plan.changelog, encoding="utf-8")
        (folder / "CITATION.cff").write_text(plan.citation, encoding="utf-8")
        _seal(*(folder / n for n in ("datapackage.json", "codebook.md", "CHANGELOG.md", "CITATION.cff")))
        page = _render_report(folder, previous, report_tables)
        final = descriptor(schema, plan, csvs, report=page)
        (folder / "datapackage.json").write_bytes(descriptor_bytes(final))
        _seal(folder / "datapackage.json")
        if data_check is None:
            check_with_frictionless(folder, rows)
        else:
            data_check.check_rest(final)
        sums = [f"{sha256_file(p)}  {p.relative_to(folder).as_posix()}"
                for p in sorted(folder.rglob("*")) if p.is_file()]
        (folder / "SHA256SUMS").write_text("\n".join(sums) + "\n", encoding="utf-8")
        _seal(folder / "SHA256SUMS")
        return folder_files(folder), verdict
    except BaseException:
        verdict.close()
        raise
