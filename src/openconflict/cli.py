"""The ``openconflict`` command line: thin wrappers over the library, one verb per job.

Exit codes: 0 success, 1 the job found problems (validation errors, a refused build, a failed check),
2 usage problems (click's own convention).
"""

from __future__ import annotations

import sys
from pathlib import Path

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


def _default_version(releases: Path) -> str:
    """The next minor version after the latest release, for dry runs."""
    from .diff import parse_version
    from .release import release_versions

    versions = release_versions(releases)
    if not versions:
        return "0.1.0"
    major, minor, _ = parse_version(versions[-1])
    return f"{major}.{minor + 1}.0"


@main.command()
@click.option("--version", "version", help="Version to publish (X.Y.Z). Without it: a dry run.")
@click.option("--date", "date", help="Release date YYYY-MM-DD (default: today, UTC). Part of the output bytes.")
@click.option("--dry-run", is_flag=True, help="Build and check everything in a temporary folder, publish nothing.")
@click.option("--root", type=click.Path(path_type=Path), default=Path("datasets"), show_default=True,
              help="The curated datasets folder.")
@click.option("--releases", type=click.Path(path_type=Path), default=Path("build/releases"), show_default=True,
              help="Where releases and registry.json live.")
@click.option("--dist", type=click.Path(path_type=Path), default=Path("build/dist"), show_default=True,
              help="Where the downloadable zip archive goes.")
def build(version: str | None, date: str | None, dry_run: bool, root: Path, releases: Path, dist: Path) -> None:
    """Validate datasets/ and publish a versioned release under build/releases/<version>/.

    Refuses (writing nothing) on validation errors, an existing version, or a version number smaller than
    the change requires. Without --version it does a dry run of the next minor version.
    """
    from .release import BuildError, build_release

    if not root.is_dir():
        raise click.UsageError(f"no datasets folder at {root}")
    if version is None:
        dry_run = True
        version = _default_version(releases)
    try:
        result = build_release(root, version, date=date, releases_dir=releases, dist_dir=dist, dry_run=dry_run)
    except BuildError as exc:
        if exc.report is not None:
            click.echo(exc.report.to_text(), err=True)
        click.echo(f"build refused: {exc}", err=True)
        sys.exit(1)
    what = "dry run of" if dry_run else "published"
    click.echo(f"{what} {result.version}: {result.events} events; against {result.previous or 'nothing'}: "
               f"{result.diff.summary()}")
    if not dry_run:
        click.echo(f"release folder: {result.path}")
        if result.zip_path:
            click.echo(f"archive: {result.zip_path}")


@main.command()
@click.argument("version", required=False)
@click.option("--releases", type=click.Path(path_type=Path), default=Path("build/releases"), show_default=True,
              help="Committed releases to check (a source checkout).")
@click.option("--local", is_flag=True,
              help="Check the copies the loader serves on this machine (bundled and cached) instead.")
@click.option("--repair", is_flag=True, help="With --local: fetch corrupt cached files again from the mirror.")
def verify(version: str | None, releases: Path, local: bool, repair: bool) -> None:
    """Re-hash releases: committed ones (SHA256SUMS, datapackage.json, registry) or, with --local or
    outside a checkout, the loader's bundled and cached copies. VERSION may be 'all' with --local."""
    if local or not releases.is_dir():
        from .loader import verify as verify_local

        df = verify_local(version, repair=repair)
        bad = df[df["status"] != "ok"]
        for row in bad.itertuples():
            click.echo(f"{row.version} {row.file} [{row.location}]: {row.status} "
                       f"(expected {row.expected}, actual {row.actual})")
        click.echo(f"{len(df) - len(bad)} of {len(df)} local file(s) ok")
        sys.exit(1 if (bad["status"] == "corrupt").any() else 0)
    from .release import release_versions, verify_releases

    problems = verify_releases(releases, version)
    for p in problems:
        click.echo(p)
    checked = [version] if version else release_versions(releases)
    if problems:
        click.echo(f"{len(problems)} problem(s) in {len(checked)} release(s)", err=True)
        sys.exit(1)
    click.echo(f"{len(checked)} release(s) verified: {', '.join(checked) or 'none'}")


@main.command()
@click.argument("old")
@click.argument("new")
@click.option("--releases", type=click.Path(path_type=Path), default=None,
              help="A releases folder to read from (default: the loader's bundled/cached releases).")
@click.option("--limit", default=20, show_default=True, help="How many changed events to list.")
def diff(old: str, new: str, releases: Path | None, limit: int) -> None:
    """Summarise what changed between two releases OLD and NEW."""
    import os

    from .diff import bump_kind, diff_events, diff_schemas

    if releases is not None:
        os.environ["OPENCONFLICT_RELEASES"] = str(releases)
    from .loader import _datapackage, _release, load_events

    a = load_events(old, output="arrow")
    b = load_events(new, output="arrow")
    d = diff_events(a, b)
    fields = []
    for v in (old, new):
        dp = _datapackage(*_release(v)) or {"resources": []}
        fields.append(next((r["schema"]["fields"] for r in dp["resources"] if r["name"] == "events"), None))
    if fields[0] is not None and fields[1] is not None:
        d.schema_changes = diff_schemas(fields[0], fields[1])
    click.echo(f"{old} -> {new} ({bump_kind(old, new)} bump; the change needs at least: {d.required})")
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
def versions() -> None:
    """List every release: version, date, events, size, and whether it is bundled or cached here."""
    from .loader import versions as list_versions

    df = list_versions()
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
