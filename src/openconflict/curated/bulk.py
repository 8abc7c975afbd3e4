"""All files of one curated table read into one buffer, checked as text, and handed to pyarrow in place.

Why one buffer: a million-event tree is about 6,000 month files and 500 MB. Reading each file into its own
bytes, cutting off its header and joining the bodies copied every byte three times and held all copies at
once (issue 12: the copies cost about as much as parsing). Here each file is appended to one buffer as it
is read (and its own bytes freed at once), the common file (printable ASCII with LF line breaks and exactly the expected
header) is accepted by looking at its header only, and its header line is overwritten with line breaks,
which pyarrow skips as blank lines, so the buffer itself is the parser's input. Every other file (non-ASCII
or control bytes, CR line breaks, a byte-order mark, an odd header, an empty file) goes through
:func:`~openconflict.curated.text.load_bytes`, exactly as when it was read on its own; a file whose text had
to be rewritten (line endings, marks, bad bytes) makes the parser's input a joined copy instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..problems import Problem
from .text import FileText, check_header, is_plain, load_bytes, unreadable


@dataclass
class Loaded:
    """A readable file of the table: its header, and where its body is (in the buffer, or rewritten)."""

    index: int
    header: list[str] | None
    start: int  # the body in the buffer: [start, stop), LF-terminated
    stop: int
    #: the body as bytes of its own: the file's text was rewritten, or it is not parsed in place
    rewritten: bytes | None = None
    suspect_controls: bool = False

    @property
    def empty(self) -> bool:
        return (len(self.rewritten) if self.rewritten is not None else self.stop - self.start) == 0


@dataclass
class TableText:
    """Every file of one table: the buffer, the usable files, the problems and the unusable files."""

    buffer: bytearray
    #: where every LF of the buffer is, as read (numpy int64, ascending)
    newlines: Any
    loaded: list[Loaded] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    unusable: list[int] = field(default_factory=list)

    def body(self, item: Loaded) -> bytes:
        return item.rewritten if item.rewritten is not None else bytes(self.buffer[item.start:item.stop])

    def rows(self, items: list[Loaded]) -> Any:
        """The number of lines of each item's body (numpy int64); call before :meth:`parser_input`."""
        import numpy as np

        starts = np.array([item.start for item in items], dtype=np.int64)
        stops = np.array([item.stop for item in items], dtype=np.int64)
        counts = np.searchsorted(self.newlines, stops) - np.searchsorted(self.newlines, starts)
        for k, item in enumerate(items):
            if item.rewritten is not None:
                counts[k] = item.rewritten.count(b"\n")
        return counts

    def parser_input(self, items: list[Loaded]) -> bytes | bytearray:
        """The bodies of ``items`` (in file order) as one text: the buffer itself, with every byte outside
        those bodies (headers, other files) turned into line breaks, when all of them are in it."""
        if any(item.rewritten is not None for item in items):
            return b"".join(item.rewritten if item.rewritten is not None else memoryview(self.buffer)[item.start:item.stop]
                            for item in items)
        pos = 0
        for item in [*items, Loaded(-1, None, len(self.buffer), len(self.buffer))]:
            if item.start > pos:
                self.buffer[pos:item.start] = b"\n" * (item.start - pos)
            pos = item.stop
        return self.buffer


def _read_into(paths: list[Path]) -> tuple[bytearray, list[tuple[int, int, int] | OSError]]:
    """Every file's bytes, consecutive in one buffer, each followed by an LF when it lacks one.

    Per file: (start, end, stop) of its bytes in the buffer (``end`` before, ``stop`` after the added LF),
    or the error reading it. The buffer is sized from the files' sizes and each file is read straight into
    its slot (``readinto``), so a large file (a 670 MB ``sources.csv`` at 10M events) is never held twice;
    the slots are then closed up in place. A file that changed size since it was measured is still read whole.
    """
    sizes = []
    for path in paths:
        try:
            sizes.append(path.stat().st_size)
        except OSError:
            sizes.append(0)
    buffer = bytearray(sum(sizes) + len(paths))  # each slot: the file, then one byte for a missing LF
    read: list[tuple[int, int, bytes] | OSError] = []
    slot = 0
    with memoryview(buffer) as view:
        for path, size in zip(paths, sizes, strict=True):
            try:
                with path.open("rb") as f:
                    got = 0
                    while got < size and (n := f.readinto(view[slot + got:slot + size])):
                        got += n
                    more = f.read() if got == size else b""  # grown since it was measured
            except OSError as exc:
                read.append(exc)
            else:
                read.append((slot, got, more))
            slot += size + 1
    where: list[tuple[int, int, int] | OSError] = []
    pos = 0
    for item in read:
        if isinstance(item, OSError):
            where.append(item)
            continue
        at, got, more = item
        if at != pos:
            buffer[pos:pos + got] = buffer[at:at + got]
        if more:
            buffer[pos + got:pos + got] = more  # rare: shifts the rest, which is read already
            got += len(more)
            for k in range(len(read)):
                if not isinstance(read[k], OSError) and read[k][0] > at:  # type: ignore[index]
                    a, g, m = read[k]  # type: ignore[misc]
                    read[k] = (a + len(more), g, m)
        end = pos + got
        stop = end
        if got and buffer[end - 1] != 0x0A:
            buffer[end] = 0x0A
            stop = end + 1
        where.append((pos, end, stop))
        pos = stop
    del buffer[pos:]
    return buffer, where


#: Bytes per step of the scan: small enough that each step's temporary masks stay in the CPU cache.
SCAN_STEP = 1 << 20


def _scan(buffer: bytearray) -> tuple[bool, Any]:
    """(whether the whole buffer is plain text, see :func:`is_plain`; the positions of its LFs).

    One pass in cache-sized steps: a step whose only bytes below a space are LFs, and none at or above
    DEL, is plain; any other (a tab is plain too, but rare) leaves the answer to :func:`is_plain`.
    """
    import numpy as np

    data = np.frombuffer(buffer, dtype=np.uint8)
    plain = True
    parts = []
    for at in range(0, len(data), SCAN_STEP):
        step = data[at:at + SCAN_STEP]
        found = np.flatnonzero(step == 0x0A)
        parts.append(found + at)
        if plain and (int(step.max()) >= 0x7F or int(np.count_nonzero(step < 0x20)) != len(found)):
            plain = False
    del data
    newlines = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    return plain or is_plain(buffer), newlines


def read_text(paths: list[Path], shown: list[str], columns: list[str], name: str) -> TableText:
    """Read and check every file of one table (problems in file order, as :func:`load` gives them)."""
    buffer, where = _read_into(paths)
    all_plain, newlines = _scan(buffer)
    out = TableText(buffer, newlines)
    expected = ",".join(columns).encode()
    for i, span in enumerate(where):
        if isinstance(span, OSError):
            out.problems.append(unreadable(shown[i], span))
            out.unusable.append(i)
            continue
        start, end, stop = span
        eol = buffer.find(b"\n", start, end)
        if eol > start and (all_plain or is_plain(bytes(buffer[start:end]))):
            first = bytes(buffer[start:eol])
            if first == expected:  # what check_header accepts without a word, spelled the plain way
                out.loaded.append(Loaded(i, columns, eol + 1, stop))
                continue
            if first.strip():  # a blank first line: the full checks say what is wrong
                header, problems = check_header(first.decode("ascii"), shown[i], columns)
                if header == columns and not problems:
                    out.loaded.append(Loaded(i, header, eol + 1, stop))
                    continue
        _slow(out, i, bytes(buffer[start:end]), shown[i], columns, name, stop)
    return out


def _slow(out: TableText, i: int, data: bytes, shown: str, columns: list[str], name: str,
          stop: int) -> None:
    """A file that needs the full text checks (see :func:`load_bytes`); ``stop``: its end in the buffer."""
    ft, problems = load_bytes(data, shown, columns)
    out.problems.extend(problems)
    if ft is None or ft.header is None:
        if not (ft is None and any(p.rule == "file.empty" for p in problems) and name == "deletions"):
            out.unusable.append(i)  # an empty deletions file lists no tombstones; its problem says it is empty
        return
    out.loaded.append(_placed(i, ft, stop, columns))


def _placed(i: int, ft: FileText, stop: int, columns: list[str]) -> Loaded:
    """Where the body of a fully checked file is: the end of its bytes in the buffer, unless it was rewritten
    or its header differs (such a file is read row by row, from bytes of its own)."""
    if ft.rewritten or ft.header != columns:
        return Loaded(i, ft.header, 0, 0, ft.body, ft.suspect_controls)
    return Loaded(i, ft.header, stop - len(ft.body), stop, None, ft.suspect_controls)
