"""What every verb shares: no tracebacks, quiet ends on closed pipes, fast exit, clear missing-extra errors.

Why here: these promises hold for every verb or for none. A user who pipes ``openconflict diff A B`` into
``head -1`` closed the pipe on purpose: the command stops quietly with exit 0 (not a traceback, not
"error: BrokenPipeError", not 141). A curator command run on a researcher's install (which lacks the
``curate`` extra) names the extra to install instead of failing on an import.
"""

from __future__ import annotations

import errno
import os
import sys
from importlib.util import find_spec
from typing import NoReturn

import click

__all__ = ["EXTRA_OF", "OpenConflictGroup", "echo_or_page", "exit_cleanly_on_sigterm", "fast_exit", "install_hint",
           "refused", "require_extra", "run_quietly_on_closed_pipe"]

#: Set by ``openconflict.cli.run`` (the console script); in-process uses of ``main`` keep normal exits.
FAST_EXIT = False

#: The optional dependency -> the extra that installs it (pyproject.toml's optional-dependencies).
EXTRA_OF: dict[str, str] = {
    "frictionless": "curate", "jsonschema": "curate", "krippendorff": "curate",
    "geopandas": "geo", "pyogrio": "geo", "shapely": "geo",
    "polars": "polars", "duckdb": "duckdb", "dask": "dask",
}

RELEASES_HELP = "Where releases and their ledger (registry.json) live."


class OpenConflictGroup(click.Group):
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
            if _is_closed_stdout(exc):
                _quiet_exit()
            module = _missing_module(exc)
            if module is not None:
                click.echo(f"error: {install_hint(module)}", err=True)
                sys.exit(1)
            click.echo(f"error: {type(exc).__name__}: {exc}", err=True)
            sys.exit(1)


def exit_cleanly_on_sigterm() -> None:
    """Turn SIGTERM (``kill``, a CI timeout, a container stop) into a normal exit with status 143, so every
    ``finally`` runs: a half-written export's temporary file is removed and the previous file stays."""
    import signal

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)


def run_quietly_on_closed_pipe(command: click.Command) -> None:
    """Run ``command`` as the console script; a pipe its reader closed (also during ``--help``) is exit 0.

    click itself answers a closed pipe outside a verb (its own help text, usage errors) with exit 1 after
    replacing the streams by wrappers that swallow the failed flush; that case is recognised here.
    """
    try:
        command.main(prog_name="openconflict")
    except SystemExit as exc:
        if type(sys.stdout).__name__ == "_PacifyFlushWrapper":
            _quiet_exit()
        raise exc from None


def fast_allocator() -> None:
    """In a one-shot CLI process, let Arrow allocate with jemalloc instead of its default (mimalloc).

    Why: validating a million events allocates about a GB of Arrow buffers in a fresh process; with
    jemalloc the same validation takes 0.5-0.8 s less and about 150 MB less memory, and a 1M first build
    12.0 s instead of 13.3 s (issue 12, measured side by side). Only the process's own CLI run switches: a
    program calling us keeps its allocator. The allocator never changes a file's bytes.
    """
    if not FAST_EXIT:
        return
    try:
        import pyarrow as pa

        pa.set_memory_pool(pa.jemalloc_memory_pool())
    except (ImportError, NotImplementedError):  # a pyarrow built without jemalloc: keep the default
        pass


def fast_exit(code: int) -> NoReturn:
    """Exit without tearing down a heap of Arrow buffers (a million-event validation holds over a GB).

    Everything is written and flushed first; the operating system reclaims the memory at once, where
    freeing it object by object takes a few hundred milliseconds.
    """
    if not FAST_EXIT:
        sys.exit(code)  # in-process callers (click's CliRunner, other programs) need a normal exit
    try:
        sys.stdout.flush()
    except OSError as exc:
        if not _is_closed_stdout(exc):
            raise
        _to_devnull()
    sys.stderr.flush()
    os._exit(code)


def refused(exc: Exception, what: str) -> NoReturn:
    """Print a refusal (and a validation report, if any) and exit 1: no traceback for a refused job."""
    report = getattr(exc, "report", None)
    if report is not None:
        click.echo(report.to_text(), err=True)
    click.echo(f"{what} refused: {exc}", err=True)
    sys.exit(1)


def install_hint(module: str) -> str:
    """One sentence naming the extra that provides ``module`` and how to install it."""
    extra = EXTRA_OF.get(module.split(".")[0])
    if extra is None:
        return f"this needs the Python package {module!r}, which is not installed"
    return (f"this needs {module!r}, from the '{extra}' extra: in a checkout run pip install -e \".[{extra}]\" "
            f"(or pip install \"openconflict-*.whl[{extra}]\" from a built wheel)")


def require_extra(*modules: str) -> None:
    """Stop with the install hint when one of ``modules`` cannot be imported (checked without importing)."""
    for module in modules:
        try:
            spec = find_spec(module)
        except (ImportError, ValueError):
            spec = None
        if spec is None:
            raise click.ClickException(install_hint(module))


def echo_or_page(text: str) -> None:
    """Print ``text``; through the user's pager only when standard output is a terminal."""
    from openconflict.progress import is_terminal

    if is_terminal(sys.stdout):
        click.echo_via_pager(text)
    else:
        click.echo(text, nl=not text.endswith("\n"))


def _missing_module(exc: BaseException) -> str | None:
    """The optional module whose absence caused ``exc`` (anywhere in its chain), if it is one we know."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ImportError) and current.name and current.name.split(".")[0] in EXTRA_OF:
            return current.name.split(".")[0]
        current = current.__cause__ or current.__context__
    return None


def _is_closed_stdout(exc: BaseException) -> bool:
    """True when ``exc`` is a write to a pipe whose reader has gone, and that pipe is standard output.

    A broken pipe elsewhere (a socket to a mirror) is a real error and is reported as one.
    """
    if not (isinstance(exc, BrokenPipeError) or (isinstance(exc, OSError) and exc.errno == errno.EPIPE)):
        return False
    try:
        fd = sys.__stdout__.fileno() if sys.__stdout__ is not None else -1
    except (AttributeError, ValueError, OSError):
        return True  # no real descriptor to ask (an embedding program): trust the error
    if fd < 0:
        return True
    import select

    poller = select.poll()
    poller.register(fd, select.POLLOUT)
    return any(events & (select.POLLERR | select.POLLHUP) for _, events in poller.poll(0))


def _to_devnull() -> None:
    """Point standard output at /dev/null, so the interpreter's last flush cannot fail again."""
    try:
        fd = sys.__stdout__.fileno() if sys.__stdout__ is not None else -1
    except (AttributeError, ValueError, OSError):
        return
    if fd >= 0:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, fd)
        os.close(devnull)


def _quiet_exit() -> NoReturn:
    """The reader stopped reading: nothing more to say, and not an error."""
    _to_devnull()
    if FAST_EXIT:
        try:
            sys.stderr.flush()
        finally:
            os._exit(0)
    sys.exit(0)

