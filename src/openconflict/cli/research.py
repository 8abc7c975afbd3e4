"""The researcher's verbs about releases: versions, info, download, update.

Why together: each asks the loader (the trusted ledger, the bundled and cached copies, the mirror) and
prints what a person wants to know; none needs a source checkout.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import click

from openconflict.cli.common import echo_or_page

#: Downloads smaller than this show no progress.
BIG_DOWNLOAD = 4 << 20


@click.command()
@click.option("--refresh", is_flag=True, help="Ask the mirror for newer releases first (as `openconflict update`).")
def versions(refresh: bool) -> None:
    """List every release: version, date, events, size, and whether it is bundled or cached here."""
    from openconflict.loader import versions as list_versions

    df = list_versions(refresh=refresh)
    click.echo(f"{'version':<10} {'date':<10} {'events':>8} {'size':>12}  here")
    for row in df.itertuples():
        here = ", ".join(w for w, flag in (("bundled", row.bundled), ("cached", row.cached)) if flag) or "-"
        click.echo(f"{row.version:<10} {row.date:%Y-%m-%d} {row.events:>8} {row.size:>12}  {here}")


@click.command()
@click.argument("version", required=False)
@click.option("--json", "as_json", is_flag=True,
              help="The machine form: the ledger's facts, where the files are, and the summary's figures.")
def info(version: str | None, as_json: bool) -> None:
    """What one release (default: latest) holds: its period and places, counts by event type, reports and
    publishers, licence, how to cite it and where its codebook is.

    A release that is not on this machine yet shows the ledger's facts only; `openconflict download
    VERSION` fetches it.
    """
    from openconflict.loader import download
    from openconflict.loader import info as release_info
    from openconflict.summary import summary, summary_data

    facts = release_info(version)
    folder = download(facts["version"]) if facts["bundled"] or facts["cached"] else None  # local: no network
    if as_json:
        facts["summary"] = summary_data(folder) if folder is not None else None
        click.echo(json.dumps(facts, indent=2, ensure_ascii=False))
        return
    if folder is not None:
        echo_or_page(summary(folder) + f"  Files:       {folder}\n")
        return
    click.echo(f"OpenConflict {facts['version']} (released {facts['date']}): {facts['events']:,} events, "
               f"{_size(facts['size'])} in {len(facts['files'])} files; not on this machine yet.\n"
               f"  `openconflict download {facts['version']}` fetches and verifies it; then this command shows "
               "its coverage, counts, licence and citation.")


def _size(n: int | None) -> str:
    if n is None:
        return "unknown size"
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:,} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return f"{n} bytes"


@click.command()
@click.argument("version", required=False)
@click.option("--force", is_flag=True, help="Fetch again even when a verified copy exists.")
@click.option("--quiet", is_flag=True, help="No progress on the terminal; print only the folders.")
def download(version: str | None, force: bool, quiet: bool) -> None:
    """Fetch and verify a release (default: latest; 'all' for every release) for offline use.

    Prints the folder holding each complete, verified release. On a terminal, a download of more than a few
    megabytes shows a progress bar (none with --quiet or when the output is not a terminal).
    """
    from openconflict.loader import download as fetch
    from openconflict.loader import info as release_info
    from openconflict.loader import versions as list_versions
    from openconflict.progress import progress

    known = list_versions()
    target = None if version == "all" else release_info(version)["version"]
    wanted = [row for row in known.itertuples() if target is None or row.version == target]
    todo = {r.version: int(r.size) for r in wanted if (force or not (r.bundled or r.cached)) and _known(r.size)}
    with progress(total=sum(todo.values()), desc="download", unit="B", quiet=quiet,
                  min_total=BIG_DOWNLOAD) as bar:
        done = 0
        for row in wanted:
            size = todo.get(row.version, 0)
            if size and not bar.disable:
                bar.set_description(f"download {row.version}")
                with watching(Path(release_info(row.version)["cache_dir"]), bar, done, size):
                    path = fetch(row.version, force=force)
            else:
                path = fetch(row.version, force=force)
            done += size
            bar.update(done - bar.n)
            click.echo(str(path))


@contextmanager
def watching(folder: Path, bar: Any, start: int, size: int, every: float = 0.2) -> Iterator[None]:
    """Move ``bar`` as bytes arrive in ``folder`` (a release's cache folder, its partial files included).

    The loader offers no progress callback, so the bar watches the download from outside: every ``every``
    seconds it counts the bytes under the folder, at most ``size``. Display only; nothing is read or changed.
    """
    stop = threading.Event()
    before = _bytes_under(folder)

    def poll() -> None:
        while not stop.wait(every):
            seen = min(size, max(0, _bytes_under(folder) - before))
            bar.update(start + seen - bar.n)

    watcher = threading.Thread(target=poll, name="download-progress", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        stop.set()
        watcher.join()


def _bytes_under(folder: Path) -> int:
    total = 0
    for path in folder.rglob("*") if folder.is_dir() else ():
        with suppress(OSError):  # a partial file renamed or removed while counting
            if path.is_file() and not path.is_symlink():
                total += path.stat().st_size
    return total


def _known(value: Any) -> bool:
    try:
        return value is not None and int(value) >= 0
    except (TypeError, ValueError):
        return False


@click.command()
@click.option("--mirror", help="Mirror base URL for this run (default: OPENCONFLICT_URL).")
def update(mirror: str | None) -> None:
    """Learn about releases published since this package was built, from the mirror's ledger.

    The mirror's registry.json is accepted only if it extends the ledger this machine already trusts, entry
    for entry (a mirror that rewrites, drops or reorders a known release is refused); it is then kept in the
    cache, so the new versions load, verified file by file, and work offline afterwards.
    """
    from openconflict.loader import update as fetch_ledger
    from openconflict.loader import using
    from openconflict.loader import versions as list_versions

    with using(mirror=mirror):
        added = fetch_ledger()
        known = list_versions()["version"].tolist()
    if added:
        click.echo(f"{len(added)} new release(s): {', '.join(added)}")
    else:
        click.echo("no new releases: the mirror lists nothing this machine does not already know")
    click.echo(f"known releases: {', '.join(known)} (latest {known[-1] if known else 'none'})")


COMMANDS = (versions, info, download, update)
