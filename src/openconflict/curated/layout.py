"""The datasets layout: every path under ``datasets/`` is either a table file, or reported.

Why so strict: a month file that is a folder, a broken link or a link loop used to be skipped without a
word, and the build published without that month. Here each entry is stat'ed (never opened: a named pipe
would block), named by what it is, and anything the layout does not know is reported, not ignored.
File names match whole and in ASCII only (``re.fullmatch`` with ``re.ASCII``).
"""

from __future__ import annotations

import errno
import os
import re
import stat
from pathlib import Path

from ..problems import Problem
from ..schema import CURATED_TABLES

EVENT_FILE = re.compile(r"([0-9]{4})-([0-9]{2})\.csv", re.ASCII)
ISO3_NAME = re.compile(r"[A-Z]{3}", re.ASCII)
LOCATION_FILE = re.compile(r"([A-Z]{3})\.csv", re.ASCII)
REGISTRIES = ("actors", "sources", "deletions")

#: The lock file `openconflict new` holds while it appends a row (ignored by git); not a stray file.
TOOL_LOCK = ".curation.lock"


def display(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root.parent))
    except ValueError:
        return str(path)


def display_all(paths: list[Path], root: Path) -> list[str]:
    """:func:`display` of each path; a path spelled under the root's parent is cut as a string (6,000
    ``relative_to`` calls cost about 0.1 s), any other goes through :func:`display`."""
    parent = str(root.parent)
    prefix = parent + os.sep
    if parent in (".", os.sep) or not os.path.isabs(parent):
        return [display(p, root) for p in paths]
    cut = len(prefix)
    return [s[cut:] if (s := str(p)).startswith(prefix) else display(p, root) for p in paths]


def kind(path: Path) -> str:
    """'file', 'dir', or a description of what else sits at ``path``."""
    try:
        st = os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "a symbolic link loop"
        if path.is_symlink():
            return "a broken symbolic link"
        return f"unreadable ({exc.strerror})"
    if stat.S_ISREG(st.st_mode):
        return "file"
    if stat.S_ISDIR(st.st_mode):
        return "dir"
    if stat.S_ISFIFO(st.st_mode):
        return "a named pipe"
    if stat.S_ISSOCK(st.st_mode):
        return "a socket"
    return "a device"


class _Walk:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.problems: list[Problem] = []
        self.files: dict[str, list[Path]] = {t: [] for t in CURATED_TABLES}
        #: table files the layout expects that are not readable regular files (reported already)
        self.broken: dict[str, list[Path]] = {t: [] for t in CURATED_TABLES}

    def add(self, path: Path, rule: str, message: str, value: str = "") -> None:
        self.problems.append(Problem(display(path, self.root), 0, "", rule, message, value))

    def entries(self, folder: Path) -> list[Path]:
        """The entries of ``folder`` (hidden ones reported as warnings and left out, except the curator
        tools' own lock file at the top of the tree, which is expected there and never read)."""
        try:
            names = sorted(os.listdir(folder))
        except OSError as exc:
            self.add(folder, "file.unreadable", f"cannot list the folder: {exc.strerror}")
            return []
        out = []
        for name in names:
            if name == TOOL_LOCK and folder == self.root:
                continue
            if name.startswith("."):
                self.add(folder / name, "warn.hidden-file", "a hidden file in the datasets tree; it is not read")
            else:
                out.append(folder / name)
        return out

    def expect(self, path: Path, want: str) -> bool:
        """True when ``path`` is a ``want`` ('file' or 'dir'); otherwise report what it is instead."""
        what = kind(path)
        if what == want:
            return True
        if what.startswith("unreadable"):
            self.add(path, "file.unreadable", f"cannot read it: {what}")
        else:
            shown = {"file": "a folder", "dir": "a file"}.get(what, what)
            expected = "a regular file" if want == "file" else "a folder"
            self.add(path, "file.not-regular", f"expected {expected}, found {shown}")
        return False

    def table_file(self, path: Path, table: str, pattern: re.Pattern[str], naming: str) -> None:
        m = pattern.fullmatch(path.name)
        if m and (table != "events" or 1 <= int(m.group(2)) <= 12):
            if self.expect(path, "file"):
                self.files[table].append(path)
            else:
                self.broken[table].append(path)
        elif kind(path) == "file" and ".csv" in path.name.lower():
            self.add(path, "file.name", f"{naming}", path.name)
        else:
            self.add(path, "file.unexpected", f"not part of the datasets layout ({naming})", path.name)


def list_files(root: Path) -> tuple[dict[str, list[Path]], list[Problem]]:
    """The files of each curated table, and a problem for every other path under ``root``."""
    files, problems, _ = walk_layout(root)
    return files, problems


def walk_layout(root: Path) -> tuple[dict[str, list[Path]], list[Problem], dict[str, list[Path]]]:
    """Like :func:`list_files`, plus the expected table files that could not be used, per table."""
    walk = _Walk(root)
    top = {p.name: p for p in walk.entries(root)}
    for name in REGISTRIES:
        path = root / f"{name}.csv"
        if name + ".csv" not in top and not path.is_symlink():
            walk.add(path, "file.missing", f"the {name} registry is missing")
        elif walk.expect(path, "file"):
            walk.files[name].append(path)
        else:
            walk.broken[name].append(path)
    for folder, table in (("events", "events"), ("locations", "locations")):
        path = root / folder
        if folder not in top and not path.is_symlink():
            walk.add(path, "file.missing", f"the {folder} folder is missing")
        elif walk.expect(path, "dir"):
            if table == "events":
                _events(walk, path)
            else:
                for entry in walk.entries(path):
                    walk.table_file(entry, "locations", LOCATION_FILE, "location files are named <ISO3>.csv")
    known = {f"{n}.csv" for n in REGISTRIES} | {"events", "locations"}
    for name, path in top.items():
        if name not in known:
            walk.add(path, "file.unexpected", "not part of the datasets layout (actors.csv, sources.csv, "
                     "deletions.csv, events/, locations/)", name)
    return walk.files, walk.problems, walk.broken


def _events(walk: _Walk, events_dir: Path) -> None:
    for country_dir in walk.entries(events_dir):
        what = kind(country_dir)
        if not ISO3_NAME.fullmatch(country_dir.name):
            rule = "file.name" if what == "dir" else "file.unexpected"
            walk.add(country_dir, rule, "events/ holds one folder per country, named by ISO 3166-1 alpha-3 code",
                     country_dir.name)
            continue
        if not walk.expect(country_dir, "dir"):
            continue
        for path in walk.entries(country_dir):
            walk.table_file(path, "events", EVENT_FILE, "event files are named YYYY-MM.csv")
