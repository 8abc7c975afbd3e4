"""The curator's verbs: validate, codebook, build, verify, archive, publish.

Why together: they act on a source checkout (``datasets/``, ``schema/``, ``build/releases/``) and share its
defaults. ``build`` needs the ``curate`` extra (frictionless checks every release before it is published);
on a researcher's install it says so instead of failing on an import.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from openconflict.cli.common import (
    RELEASES_HELP,
    echo_or_page,
    fast_allocator,
    fast_exit,
    refused,
    require_extra,
)

#: Builds of more than this many curated events print staged status lines on a terminal.
BIG_BUILD = 100_000


@click.command()
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
    from openconflict.problems import printable

    if explain_rule is not None:
        from openconflict.validate.rules import CATALOGUE, explain

        if explain_rule not in CATALOGUE:
            near = [r for r in CATALOGUE if r.split(".")[-1] in explain_rule or explain_rule in r]
            raise click.UsageError(f"no rule {printable(explain_rule)!r}"
                                   + (f"; did you mean {', '.join(near)}?" if near else "")
                                   + " (the codebook lists every rule)")
        click.echo(explain(explain_rule))
        return
    from openconflict.validate import validate as run

    fast_allocator()
    targets = list(paths) or [Path("datasets")]
    for p in targets:
        if not (p.exists() or p.is_symlink()):  # a broken link is there: validate reports what it is
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
    fast_exit(0 if report.ok else 1)


@click.command()
@click.option("--check", is_flag=True, help="Only report stale generated files; exit 1 if any.")
@click.option("--show", is_flag=True,
              help="Print the installed codebook (through your pager on a terminal) and change nothing.")
def codebook(check: bool, show: bool) -> None:
    """Regenerate schema enums, schema/event.schema.json and schema/codebook.md from the vocabularies."""
    if show:
        from openconflict.schema import schema_dir

        path = schema_dir() / "codebook.md"
        if not path.is_file():
            raise click.ClickException(f"no codebook at {path}; is the package installed completely?")
        echo_or_page(path.read_text(encoding="utf-8"))
        return
    from openconflict.codebook import stale_files, write_generated

    if check:
        stale = stale_files()
        for p in stale:
            click.echo(f"stale: {p}")
        sys.exit(1 if stale else 0)
    changed = write_generated()
    for p in changed:
        click.echo(f"wrote {p}")
    click.echo(f"{len(changed)} file(s) regenerated" if changed else "all generated files are up to date")


def curated_events(root: Path) -> int:
    """How many curated event rows ``root/events`` holds (lines after each file's header; cheap)."""
    total = 0
    for path in sorted((root / "events").glob("*/*.csv")):
        with path.open("rb") as fh:
            data = fh.read()
        if data:
            total += max(0, data.count(b"\n") + (not data.endswith(b"\n")) - 1)
    return total


@click.command()
@click.option("--version", "version", help="Version to publish (X.Y.Z). Without it: a dry run.")
@click.option("--date", "date", help="Release date YYYY-MM-DD (default: today, UTC). Part of the output bytes.")
@click.option("--dry-run", is_flag=True, help="Build and check everything in a temporary folder, publish nothing.")
@click.option("--root", type=click.Path(path_type=Path), default=Path("datasets"), show_default=True,
              help="The curated datasets folder.")
@click.option("--releases", type=click.Path(path_type=Path), default=Path("build/releases"), show_default=True,
              help=RELEASES_HELP)
@click.option("--dist", type=click.Path(path_type=Path), default=Path("build/dist"), show_default=True,
              help="Where the downloadable zip archive goes.")
@click.option("--quiet", is_flag=True, help="No status lines while a large build runs.")
def build(version: str | None, date: str | None, dry_run: bool, root: Path, releases: Path, dist: Path,
          quiet: bool) -> None:
    """Validate datasets/ and publish a versioned release under build/releases/<version>/.

    Under the build lock, every published release is first checked against the ledger; the build is
    refused (publishing nothing) on any difference there, on validation errors, an existing or lower
    version, a version number smaller than the change requires, nothing changed, a removed tombstone or a
    reused deleted id, or a date in the future or before the events it contains. Without --version it does
    a dry run of the smallest version the change allows (the version bump it needs). Needs the 'curate' extra.
    """
    from openconflict.errors import BuildError, OpenConflictError
    from openconflict.progress import is_terminal

    if not root.is_dir():
        raise click.UsageError(f"no datasets folder at {root}")
    require_extra("frictionless")
    from openconflict.release import build_release

    fast_allocator()  # jemalloc: a 1M first build took 12.0 s against 13.3 s (medians of 3, alternated)

    implicit = version is None
    count = curated_events(root) if not quiet and is_terminal(sys.stderr) else 0  # only a person sees status
    status = count > BIG_BUILD
    started = time.monotonic()
    try:
        if version is None:
            dry_run = True  # the build picks the smallest version the change allows
        if status:
            click.echo(f"build {version or '(dry run)'}: {count:,} curated events; checking the published "
                       "releases, validating, deriving and writing (this takes a while)...", err=True)
        result = build_release(root, version, date=date, releases_dir=releases, dist_dir=dist, dry_run=dry_run)
    except OpenConflictError as exc:
        refused(exc, "build")
    if status:
        click.echo(f"build {result.version}: finished in {time.monotonic() - started:.1f} s", err=True)
    if result.recovered:
        click.echo(result.recovered)
    if result.unchanged:
        if not implicit:  # an explicit version: say the truth about the real build
            refused(BuildError(result.unchanged), "build")
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


@click.command()
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
        from openconflict.loader import verify as verify_local

        df = verify_local(version, repair=repair)
        bad = df[df["status"] != "ok"]
        for row in bad.itertuples():
            click.echo(f"{row.version} {row.file} [{row.location}]: {row.status} "
                       f"(expected {row.expected}, actual {row.actual})")
        click.echo(f"{len(df) - len(bad)} of {len(df)} local file(s) ok")
        sys.exit(1 if (bad["status"] == "corrupt").any() else 0)
    from openconflict.errors import OpenConflictError
    from openconflict.release import release_versions, verify_releases

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


@click.command()
@click.argument("version")
@click.option("--releases", type=click.Path(path_type=Path), default=Path("build/releases"), show_default=True,
              help=RELEASES_HELP)
@click.option("--dist", type=click.Path(path_type=Path), default=Path("build/dist"), show_default=True,
              help="Where the zip archive goes.")
def archive(version: str, releases: Path, dist: Path) -> None:
    """Write the byte-identical zip archive of a published release again, checked against the ledger."""
    from openconflict.errors import OpenConflictError
    from openconflict.release import archive_release

    try:
        path = archive_release(version, releases_dir=releases, dist_dir=dist)
    except OpenConflictError as exc:
        refused(exc, "archive")
    click.echo(f"archive: {path} (every member matches the ledger)")


@click.command()
@click.argument("version")
@click.option("--to", "to", type=click.Path(path_type=Path), required=True,
              help="The mirror folder to lay the release into (laid out like build/releases/).")
@click.option("--releases", type=click.Path(path_type=Path), default=Path("build/releases"), show_default=True,
              help=RELEASES_HELP)
def publish(version: str, to: Path, releases: Path) -> None:
    """Lay a published release into a static mirror folder: files first, ledger last.

    Earlier releases the mirror lacks are laid too; the mirror's ledger must be a prefix of ours and only
    ever grows. Serve the folder from any static host and point OPENCONFLICT_URL at it.
    """
    from openconflict.errors import OpenConflictError
    from openconflict.release import publish_to_mirror

    try:
        copied = publish_to_mirror(version, to, releases_dir=releases)
    except OpenConflictError as exc:
        refused(exc, "publish")
    click.echo(f"mirror {to}: ledger up to {version}; copied {', '.join(copied) or 'nothing (already there)'}")


COMMANDS = (validate, codebook, build, verify, archive, publish)
