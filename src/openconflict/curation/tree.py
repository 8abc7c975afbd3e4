"""Where the curator tools find things: the datasets tree, the release ledger, the gazetteer.

Why one place: every tool resolves the same three paths the same way, and each can be overridden on the
command line so tests and other checkouts never touch the real tree by accident.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from ..errors import CurationError

GAZETTEER_NAME = "syria-places-ucdp-ged.csv"


@dataclass(frozen=True)
class Tree:
    """A datasets tree (``root``), the releases folder beside it, and the repository holding both."""

    root: Path

    @property
    def repo(self) -> Path:
        return self.root.parent

    @property
    def releases(self) -> Path:
        return self.repo / "build" / "releases"

    def shown(self, path: Path) -> str:
        """A path as the validator names it in problems (relative to the repository)."""
        try:
            return path.resolve().relative_to(self.repo.resolve()).as_posix()
        except ValueError:
            return str(path)


def open_tree(datasets: Path | None) -> Tree:
    """The datasets tree at ``datasets`` (default ``./datasets``); it must hold the registries."""
    root = Path(datasets) if datasets is not None else Path("datasets")
    if not root.is_dir():
        raise CurationError(f"no datasets folder at {root}; run from the repository or pass --datasets PATH")
    if not (root / "actors.csv").is_file() and not (root / "events").is_dir():
        raise CurationError(f"{root} is not a datasets tree (no actors.csv, no events/ folder)")
    return Tree(root.resolve())


def default_gazetteer(tree: Tree) -> Path | None:
    """The shared gazetteer beside the repository if present, else the copy committed under schema/."""
    candidates = [tree.repo.parent / "shared" / "gazetteer" / GAZETTEER_NAME,
                  tree.repo / "schema" / "gazetteer" / GAZETTEER_NAME,
                  _package_schema() / "gazetteer" / GAZETTEER_NAME]
    return next((p for p in candidates if p.is_file()), None)


def _package_schema() -> Path:
    from ..schema import schema_dir

    return schema_dir()


def read_rows(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Header and (line, row) pairs of a CSV file; a missing or unreadable file is a clear error."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            rows = []
            for row in reader:
                rows.append((reader.line_num, {k: (v or "") for k, v in row.items() if k is not None}))
            return list(reader.fieldnames or []), rows
    except FileNotFoundError:
        raise CurationError(f"no such file: {path}") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise CurationError(f"cannot read {path}: {exc}") from None
