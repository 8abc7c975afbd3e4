"""Every exception OpenConflict raises, all under :class:`OpenConflictError`.

Why one module: a researcher's script and a curator's CI job should be able to catch one type and print
its message; no message of ours is meant to end in a traceback. Standard library only (a leaf).
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ArgumentError",
    "ArgumentTypeError",
    "BuildError",
    "ChecksumError",
    "ConfigError",
    "CurationError",
    "DownloadError",
    "ExportError",
    "LedgerError",
    "LockTimeoutError",
    "MirrorNotConfiguredError",
    "OfflineError",
    "OpenConflictError",
    "RegistryError",
    "ReportError",
    "VersionNotFoundError",
]


class OpenConflictError(Exception):
    """Base class of every error OpenConflict raises, so callers can catch one type."""


class ConfigError(OpenConflictError, ValueError):
    """An ``OPENCONFLICT_*`` variable (or the option that stands for it) has a value we cannot use."""


class ArgumentError(OpenConflictError, ValueError):
    """An argument of a public call cannot be answered as given: a filter value the release does not hold, a
    date window outside its coverage, a frame that is not the version it is said to be. The message says
    what would work (the closest values, the coverage), so an analysis never continues on an empty answer."""


class ArgumentTypeError(OpenConflictError, TypeError):
    """An argument of a public call has the wrong type (``iso3=760``, ``year="x"``)."""


class LedgerError(OpenConflictError):
    """The release ledger is missing, malformed, broken, or does not match the files it describes."""


# The name used before the ledger existed; kept so that ``except RegistryError`` in user code still works.
RegistryError = LedgerError


class VersionNotFoundError(OpenConflictError, LookupError):
    """The requested version is not in the ledger; we never silently serve another one."""


class ChecksumError(OpenConflictError):
    """Bytes did not match the ledger's sha256 or size; they were not used or kept."""


class DownloadError(OpenConflictError):
    """The mirror could not deliver a file (HTTP error, refused connection, timeout, deadline)."""


class OfflineError(OpenConflictError):
    """A file is needed that is neither bundled nor cached, and OPENCONFLICT_OFFLINE forbids the network."""


class MirrorNotConfiguredError(OpenConflictError):
    """A file must be downloaded but no mirror (OPENCONFLICT_URL) is named."""


class LockTimeoutError(OpenConflictError, TimeoutError):
    """Another process held a lock for longer than we are willing to wait; the message names the holder."""


class BuildError(OpenConflictError):
    """A release step was refused; nothing was published.

    ``report`` carries the validation report when validation was the reason, so the CLI can print it.
    """

    def __init__(self, message: str, report: Any = None) -> None:
        super().__init__(message)
        self.report = report


class CurationError(OpenConflictError):
    """A curator tool was refused: nothing was written (a duplicate report, an unknown place, a used id)."""
class ReportError(OpenConflictError):
    """A release report could not be made: the release folder lacks a file or column the report reads."""


class ExportError(OpenConflictError, ValueError):
    """An export cannot be written as asked (a missing output folder, a filter or format the table lacks);
    nothing was written."""
