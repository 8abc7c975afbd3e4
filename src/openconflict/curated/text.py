"""One curated file as text: bytes read, encoding, byte-order marks, line endings, the header row.

Why before parsing: every later line number must be the one a text editor shows, whatever line endings a
curator's editor wrote (LF, CRLF, CR alone, a mix, doubled CRs). So each line break (CRLF, CR or LF) is
turned into one LF first; after that, line N of the text is line N in the editor. Files with old-Mac
line endings, a byte-order mark in the middle, or a repeated header column are named as such.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..problems import Problem

BOM = b"\xef\xbb\xbf"
#: Bytes allowed in a clean ASCII file (printable, tab, line breaks); anything else needs a closer look.
_PLAIN = bytes(range(0x20, 0x7F)) + b"\t\n\r"
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x80-\x9f]")


@dataclass
class FileText:
    """A readable file after the file-level checks."""

    body: bytes  # the rows after the header, LF line breaks, UTF-8
    header: list[str] | None  # None: the header is unusable (a column is missing)
    problems: list[Problem] = field(default_factory=list)
    suspect_controls: bool = False
    #: True when ``body`` differs from the file's bytes after the header (line endings, marks or bytes
    #: rewritten); False when it is exactly the end of the file (plus a final LF if the file lacked one)
    rewritten: bool = False


def editor_line(prefix: str) -> int:
    """The editor's line number of the character after ``prefix`` (any mix of line endings)."""
    return prefix.count("\n") + prefix.count("\r") - prefix.count("\r\n") + 1


def unreadable(shown: str, exc: OSError) -> Problem:
    return Problem(shown, 0, "", "file.unreadable", f"cannot read the file: {exc.strerror or exc}")


def load(path: Path, shown: str, columns: list[str]) -> tuple[FileText | None, list[Problem]]:
    """Read and check one file; None when nothing of it can be used."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, [unreadable(shown, exc)]
    return load_bytes(data, shown, columns)


def is_plain(data: bytes) -> bool:
    """Printable ASCII, tabs and LF line breaks only: the file needs no decoding or rewriting."""
    return not data.translate(None, _PLAIN) and b"\r" not in data


def load_bytes(data: bytes, shown: str, columns: list[str]) -> tuple[FileText | None, list[Problem]]:
    """Check the bytes of one file (see :func:`load`)."""
    problems: list[Problem] = []
    data = data.removeprefix(BOM)
    if not data or data.isspace():
        return None, [Problem(shown, 1, "", "file.empty", "the file is empty; it needs at least the header row")]
    rest = data.translate(None, _PLAIN)
    if not rest and b"\r" not in data:  # plain ASCII with LF line breaks: nothing to decode or rewrite
        end = data.find(b"\n")
        header, problems = check_header((data if end < 0 else data[:end]).decode("ascii"), shown, columns)
        body = b"" if end < 0 else data[end + 1:]
        if body and not body.endswith(b"\n"):
            body += b"\n"
        return FileText(body, header, problems, False), problems
    try:
        text = data.decode("ascii" if not rest else "utf-8")
    except UnicodeDecodeError as exc:
        line = editor_line(data[: exc.start].decode("utf-8", errors="replace"))
        bad = data[exc.start: exc.start + 4].hex(" ")
        problems.append(Problem(shown, line, "", "file.encoding", "the file is not valid UTF-8", f"bytes {bad}"))
        text = data.decode("utf-8", errors="replace")
    changed = bool(problems)
    if "\r" in text:
        lone = text.count("\r") - text.count("\r\n")
        if lone and not changed:  # in a file that is not text at all, its encoding is the one problem
            if "\n" not in text:
                problems.append(Problem(shown, 1, "", "file.line-endings", "the file has old Mac line endings "
                                        "(a carriage return alone ends each line); save it with LF or CRLF"))
            else:
                at = re.search("\r(?!\n)", text)
                assert at is not None
                problems.append(Problem(shown, editor_line(text[: at.start()]), "", "file.line-endings",
                                        f"mixed line endings: this line ends in a carriage return alone "
                                        f"({lone} such line(s) in the file); save it with LF or CRLF"))
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        changed = True
    if "\ufeff" in text:
        pos = text.index("\ufeff")
        problems.append(Problem(shown, editor_line(text[:pos]), "", "file.bom",
                                "a byte-order mark (\ufeff) that is not at the very start of the file; remove it"
                                + (f" ({text.count(chr(0xFEFF))} in the file)" if text.count("\ufeff") > 1 else "")))
        text = text.replace("\ufeff", "")
        changed = True
    # What translate() left of an ASCII file are control bytes; a UTF-8 file needs a look at its text.
    suspect = bool(rest) if rest.isascii() else CONTROL.search(text) is not None
    end = text.find("\n")
    first = text if end < 0 else text[:end]
    header, header_problems = check_header(first, shown, columns)
    problems += header_problems
    raw = text.encode("utf-8") if changed else data
    raw_end = raw.find(b"\n")
    body = b"" if raw_end < 0 else raw[raw_end + 1:]
    if body and not body.endswith(b"\n"):
        body += b"\n"
    return FileText(body, header, problems, suspect, rewritten=changed), problems


def check_header(first: str, shown: str, columns: list[str]) -> tuple[list[str] | None, list[Problem]]:
    """The header's column names, or None when a column is missing; problems with it."""
    try:
        header = next(csv.reader([first]))
    except (csv.Error, StopIteration):
        header = []
    header = [h.strip() for h in header]
    problems: list[Problem] = []
    repeated = sorted({h for h in header if header.count(h) > 1}) if len(set(header)) != len(header) else []
    if repeated:
        problems.append(Problem(shown, 1, "", "file.duplicate-column",
                                "the header names a column more than once: " + ", ".join(repeated), first))
    if header != columns:
        missing = [c for c in columns if c not in header]
        extra = [h for h in dict.fromkeys(header) if h not in columns]
        parts = []
        if missing:
            parts.append("missing " + ", ".join(missing))
        if extra:
            parts.append("unexpected " + ", ".join(extra))
        if not parts and not repeated:
            parts.append("columns out of order")
        if parts:
            problems.append(Problem(shown, 1, "", "file.header", "header must be exactly: " + ",".join(columns)
                                    + " (" + "; ".join(parts) + ")", first))
        if missing:
            return None, problems
    return header, problems
