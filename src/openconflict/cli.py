"""The ``openconflict`` command line: thin wrappers over the library, one verb per job.

Exit codes: 0 success, 1 the job found problems (validation errors, a refused build, a failed check),
2 usage problems (click's own convention).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from . import __version__


class _Group(click.Group):
    """Turns unexpected exceptions into a one-line error instead of a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort, SystemExit):
            raise
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)
        except Exception as exc:  # noqa: BLE001 - the CLI's promise is: no traceback, ever
            click.echo(f"error: {type(exc).__name__}: {exc}", err=True)
            sys.exit(1)


#: Set by :func:`run`, the console-script entry point; in-process uses of ``main`` keep normal exits.
_FAST_EXIT = False


def run() -> None:
    """Entry point of the ``openconflict`` command and ``python -m openconflict``."""
    global _FAST_EXIT
    _FAST_EXIT = True
    main()


def _fast_exit(code: int) -> None:
    """Exit without tearing down a heap of Arrow buffers (a million-event validation holds over a GB).

    Everything is written and flushed first; the operating system reclaims the memory at once, where
    freeing it object by object takes a few hundred milliseconds.
    """
    import os

    if not _FAST_EXIT:
        sys.exit(code)  # in-process callers (click's CliRunner, other programs) need a normal exit
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="openconflict")
def main() -> None:
    """Curate, validate, release and load the OpenConflict event dataset."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text: a per-rule summary, then problems; json: every problem, machine-readable.")
@click.option("--quiet", is_flag=True, help="Print only the summary line (text format).")
@click.option("--limit", type=click.IntRange(min=0), default=20, show_default=True,
              help="Problems shown per rule in the text format.")
@click.option("--all", "show_all", is_flag=True, help="Show every problem in the text format.")
@click.option("--explain", "explain_rule", metavar="RULE", help="Explain one rule id and exit (no validation).")
def validate(paths: tuple[Path, ...], fmt: str, quiet: bool, limit: int, show_all: bool,
             explain_rule: str | None) -> None:
    """Check the curated tables and report every problem at once.

    PATHS are the datasets folder (default: ./datasets) or files and folders inside it; all tables are
    read, and problems are shown for the named paths. Exit 0 when there is no error (warnings allowed),
    1 on errors, 2 on usage problems.
    """
    if explain_rule is not None:
        from .validate.rules import CATALOGUE, explain

        if explain_rule not in CATALOGUE:
            from .problems import printable

            near = [r for r in CATALOGUE if r.split(".")[-1] in explain_rule or explain_rule in r]
            raise click.UsageError(f"no rule {printable(explain_rule)!r}"
                                   + (f"; did you mean {', '.join(near)}?" if near else "")
                                   + " (the codebook lists every rule)")
        click.echo(explain(explain_rule))
        return
    from .validate import validate as run

    targets = list(paths) or [Path("datasets")]
    for p in targets:
        if not (p.exists() or p.is_symlink()):  # a broken link is there: validate reports what it is
            from .problems import printable

            raise click.UsageError(f"no such file or folder: {printable(str(p))}")
    try:
        report, _ = run(targets)
    except ValueError as exc:  # paths in several trees: a usage problem, not a data problem
        raise click.UsageError(str(exc)) from None
    if fmt == "json":
        report.write_json(sys.stdout)
        sys.stdout.write("\n")
    else:
        click.echo(report.summary() if quiet else report.to_text(None if show_all else limit))
    _fast_exit(0 if report.ok else 1)


@main.command()
@click.option("--check", is_flag=True, help="Only report stale generated files; exit 1 if any.")
def codebook(check: bool) -> None:
    """Regenerate schema enums, schema/event.schema.json and schema/codebook.md from the vocabularies."""
    from .codebook import stale_files, write_generated

    if check:
        stale = stale_files()
        for p in stale:
            click.echo(f"stale: {p}")
        sys.exit(1 if stale else 0)
    changed = write_generated()
    for p in changed:
        click.echo(f"wrote {p}")
    click.echo(f"{len(changed)} file(s) regenerated" if changed else "all generated files are up to date")


def _refused(exc: Exception, what: str) -> None:
    """Print a refusal (and a validation report, if any) and exit 1: no traceback for a refused job."""
    report = getattr(exc, "report", None)
    if report is not None:
        click.echo(report.to_text(), err=True)
    click.echo(f"{what} refused: {exc}", err=True)
    sys.exit(1)


_RELEASES_HELP = "Where releases and their ledger (registry.json) live."


@main.command()
@click.option("--version", "version", help="Version to publish (X.Y.Z). Without it: a dry run.")
@click.option("--date", "date", help="Release date YYYY-MM-DD (default: today, UTC). Part of the output bytes.")
@click.option("--dry-run", is_flag=True, help="Build and check everything in a temporary folder, publish nothing.")
@click.option("--root", type=click.Path(path_type=Path), default=Path("datasets"), show_default=True,
              help="The curated datasets folder.")
@click.option("--releases", type=click.Path(path_type=Path), default=Path("build/releases"), show_default=True,
              help=_RELEASES_HELP)
@click.option("--dist", type=click.Path(path_type=Path), default=Path("build/dist"), show_default=True,
              help="Where the downloadable zip archive goes.")
def build(version: str | None, date: str | None, dry_run: bool, root: Path, releases: Path, dist: Path) -> None:
    """Validate datasets/ and publish a versioned release under build/releases/<version>/.

    Under the build lock, every published release is first checked against the ledger; the build is
    refused (publishing nothing) on any difference there, on validation errors, an existing or lower
    version, a version number smaller than the change requires, nothing changed, a removed tombstone or a
    reused deleted id, or a date in the future or before the events it contains. Without --version it does
    a dry run of the smallest version the change allows (the version bump it needs).
    """
    from .errors import BuildError, OpenConflictError
    from .release import build_release

    if not root.is_dir():
        raise click.UsageError(f"no datasets folder at {root}")
    implicit = version is None
    try:
        if version is None:
            dry_run = True  # the build picks the smallest version the change allows
        result = build_release(root, version, date=date, releases_dir=releases, dist_dir=dist, dry_run=dry_run)
    except OpenConflictError as exc:
        _refused(exc, "build")
    if result.recovered:
        click.echo(result.recovered)
    if result.unchanged:
        if not implicit:  # an explicit version: say the truth about the real build
            _refused(BuildError(result.unchanged), "build")
        click.echo(f"dry run: the datasets build and validate, but {result.unchanged}")
        return
    what = "dry run of" if dry_run else "published"
    click.echo(f"{what} {result.version}: {result.events} events; against {result.previous or 'nothing'}: "
               f"{result.diff.summary()}")
    if not dry_run:
        click.echo(f"release folder: {result.path}")
        if result.zip_path:
            click.echo(f"archive: {result.zip_path}")
    if result.note:
        click.echo(f"note: {result.note}", err=True)


@main.command()
@click.argument("version", required=False)
@click.option("--releases", type=click.Path(path_type=Path), default=Path("build/releases"), show_default=True,
              help="Committed releases to check (a source checkout).")
@click.option("--local", is_flag=True,
              help="Check the copies the loader serves on this machine (bundled and cached) instead.")
@click.option("--repair", is_flag=True, help="With --local: fetch corrupt cached files again from the mirror.")
def verify(version: str | None, releases: Path, local: bool, repair: bool) -> None:
    """Check releases: committed ones (every file against the ledger and its chain, SHA256SUMS,
    datapackage.json) or, with --local or outside a checkout, the loader's bundled and cached copies.
    VERSION may be 'all' with --local."""
    if local or not releases.is_dir():
        from .loader import verify as verify_local

        df = verify_local(version, repair=repair)
        bad = df[df["status"] != "ok"]
        for row in bad.itertuples():
            click.echo(f"{row.version} {row.file} [{row.location}]: {row.status} "
                       f"(expected {row.expected}, actual {row.actual})")
        click.echo(f"{len(df) - len(bad)} of {len(df)} local file(s) ok")
        sys.exit(1 if (bad["status"] == "corrupt").any() else 0)
    from .errors import OpenConflictError
    from .release import release_versions, verify_releases

    problems = verify_releases(releases, version)
    for p in problems:
        click.echo(p)
    try:
        checked = [version] if version else release_versions(releases)
    except OpenConflictError:
        checked = []
    if problems:
        click.echo(f"{len(problems)} problem(s) in {len(checked)} release(s)", err=True)
        sys.exit(1)
    click.echo(f"{len(checked)} release(s) verified against the ledger: {', '.join(checked) or 'none'}")


def _events_and_fields(version: str, releases: Path | None) -> tuple[Any, Any]:
    """A release's events (Arrow) and its events Table Schema fields: from a releases folder (checked
    against its ledger) or, without one, through the loader's public API."""
    if releases is not None:
        import json

        import pyarrow.parquet as pq

        from .errors import BuildError
        from .ledger import check_published
        from .release.guard import read_releases_ledger

        ledger = read_releases_ledger(releases)
        ledger.get(version)
        problems = check_published(releases, ledger, [version])
        if problems:
            raise BuildError(f"release {version} does not match the ledger: " + "; ".join(problems))
        folder = releases / version
        desc = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
        fields = next((r["schema"]["fields"] for r in desc["resources"] if r["name"] == "events"), None)
        return pq.read_table(folder / "data" / "events.parquet"), fields
    from . import load_events

    return load_events(version, output="arrow"), None


@main.command()
@click.argument("old")
@click.argument("new")
@click.option("--releases", type=click.Path(path_type=Path), default=None,
              help="A releases folder to read from (default: build/releases in a checkout, else the loader's "
                   "bundled or cached releases).")
@click.option("--limit", default=20, show_default=True, help="How many changed events to list.")
def diff(old: str, new: str, releases: Path | None, limit: int) -> None:
    """Summarise what changed between two releases OLD and NEW."""
    from .errors import OpenConflictError
    from .release.diff import diff_events, diff_schemas
    from .versions import bump_kind

    if releases is None and (Path("build/releases") / "registry.json").is_file():
        releases = Path("build/releases")
    try:
        (a, fa), (b, fb) = _events_and_fields(old, releases), _events_and_fields(new, releases)
        bump = bump_kind(old, new)
    except (OpenConflictError, ValueError) as exc:
        _refused(exc, "diff")
    d = diff_events(a, b)
    if fa is not None and fb is not None:
        d.schema_changes = diff_schemas(fa, fb)
    click.echo(f"{old} -> {new} ({bump} bump; the change needs at least: {d.required})")
    click.echo(d.summary())
    rows = d.changes.to_pylist()
    by_field: dict[str, int] = {}
    for r in rows:
        if r["change"] == "modified":
            by_field[r["field"]] = by_field.get(r["field"], 0) + 1
    if by_field:
        click.echo("modified fields: " + ", ".join(f"{k} ({v})" for k, v in sorted(by_field.items())))
    for r in rows[:limit]:
        if r["change"] == "modified":
            click.echo(f"  {r['event_id']}: {r['field']}: {r['old_value']!r} -> {r['new_value']!r}")
        else:
            click.echo(f"  {r['event_id']}: {r['change']}")
    if len(rows) > limit:
        click.echo(f"  … and {len(rows) - limit} more change(s); see data/changes.csv")


@main.command()
@click.argument("version")
@click.option("--releases", type=click.Path(path_type=Path), default=Path("build/releases"), show_default=True,
              help=_RELEASES_HELP)
@click.option("--dist", type=click.Path(path_type=Path), default=Path("build/dist"), show_default=True,
              help="Where the zip archive goes.")
def archive(version: str, releases: Path, dist: Path) -> None:
    """Write the byte-identical zip archive of a published release again, checked against the ledger."""
    from .errors import OpenConflictError
    from .release import archive_release

    try:
        path = archive_release(version, releases_dir=releases, dist_dir=dist)
    except OpenConflictError as exc:
        _refused(exc, "archive")
    click.echo(f"archive: {path} (every member matches the ledger)")


@main.command()
@click.argument("version")
@click.option("--to", "to", type=click.Path(path_type=Path), required=True,
              help="The mirror folder to lay the release into (laid out like build/releases/).")
@click.option("--releases", type=click.Path(path_type=Path), default=Path("build/releases"), show_default=True,
              help=_RELEASES_HELP)
def publish(version: str, to: Path, releases: Path) -> None:
    """Lay a published release into a static mirror folder: files first, ledger last.

    Earlier releases the mirror lacks are laid too; the mirror's ledger must be a prefix of ours and only
    ever grows. Serve the folder from any static host and point OPENCONFLICT_URL at it.
    """
    from .errors import OpenConflictError
    from .release import publish_to_mirror

    try:
        copied = publish_to_mirror(version, to, releases_dir=releases)
    except OpenConflictError as exc:
        _refused(exc, "publish")
    click.echo(f"mirror {to}: ledger up to {version}; copied {', '.join(copied) or 'nothing (already there)'}")


@main.command()
@click.option("--refresh", is_flag=True, help="Ask the mirror for newer releases first (as `openconflict update`).")
def versions(refresh: bool) -> None:
    """List every release: version, date, events, size, and whether it is bundled or cached here."""
    from .loader import versions as list_versions

    df = list_versions(refresh=refresh)
    click.echo(f"{'version':<10} {'date':<10} {'events':>8} {'size':>12}  here")
    for row in df.itertuples():
        here = ", ".join(w for w, flag in (("bundled", row.bundled), ("cached", row.cached)) if flag) or "-"
        click.echo(f"{row.version:<10} {row.date:%Y-%m-%d} {row.events:>8} {row.size:>12}  {here}")


@main.command()
@click.argument("version", required=False)
def info(version: str | None) -> None:
    """Show one release (default: latest): date, events, files and where they are on this machine."""
    import json

    from .loader import info as release_info

    click.echo(json.dumps(release_info(version), indent=2))


@main.command()
@click.argument("version", required=False)
@click.option("--force", is_flag=True, help="Fetch again even when a verified copy exists.")
def download(version: str | None, force: bool) -> None:
    """Fetch and verify a release (default: latest; 'all' for every release) for offline use."""
    from .loader import download as fetch

    result = fetch(version, force=force)
    for path in result if isinstance(result, list) else [result]:
        click.echo(str(path))


@main.command()
@click.option("--mirror", help="Mirror base URL for this run (default: OPENCONFLICT_URL).")
def update(mirror: str | None) -> None:
    """Learn about releases published since this package was built, from the mirror's ledger.

    The mirror's registry.json is accepted only if it extends the ledger this machine already trusts, entry
    for entry (a mirror that rewrites, drops or reorders a known release is refused); it is then kept in the
    cache, so the new versions load, verified file by file, and work offline afterwards.
    """
    from .loader import update as fetch_ledger
    from .loader import using
    from .loader import versions as list_versions

    with using(mirror=mirror):
        added = fetch_ledger()
        known = list_versions()["version"].tolist()
    if added:
        click.echo(f"{len(added)} new release(s): {', '.join(added)}")
    else:
        click.echo("no new releases: the mirror lists nothing this machine does not already know")
    click.echo(f"known releases: {', '.join(known)} (latest {known[-1] if known else 'none'})")


@main.command()
@click.argument("version", required=False)
@click.option("--output", "-o", type=click.Path(path_type=Path), required=True, help="File to write.")
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet", "jsonl", "dta"]), default=None,
              help="Output format (default: from the file extension).")
@click.option("--country", multiple=True, help="Country name (repeatable).")
@click.option("--start", help="First event date (YYYY-MM-DD, YYYY-MM or YYYY).")
@click.option("--end", help="Last event date.")
@click.option("--event-type", "event_type", multiple=True, help="Event type (repeatable).")
def export(version: str | None, output: Path, fmt: str | None, country: tuple[str, ...], start: str | None,
           end: str | None, event_type: tuple[str, ...]) -> None:
    """Write (a filtered part of) a release's events to CSV, Parquet, JSON lines or Stata .dta."""
    from .export import export_events

    fmt = fmt or output.suffix.lstrip(".").lower()
    if fmt not in ("csv", "parquet", "jsonl", "dta"):
        raise click.UsageError("give --format csv|parquet|jsonl|dta or an output file with that extension")
    n = export_events(output, fmt, version, country=list(country) or None, start=start, end=end,
                      event_type=list(event_type) or None)
    click.echo(f"wrote {n} events to {output}")


from .cite import cite_command  # noqa: E402  (click command objects; light imports only)
from .curation.cli import lookup_command, new_command  # noqa: E402

main.add_command(cite_command)  # openconflict cite
main.add_command(lookup_command)  # openconflict lookup place|actor|source
main.add_command(new_command)  # openconflict new event|source|location
