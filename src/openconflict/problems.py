"""Problems found in curated tables, and the report that holds them all, at any size.

Why a separate module: the reader (file-level problems) and the rules (value-level problems) both produce
problems, and the CLI, the build and the tests all consume the same report. Why columnar: a broken
million-row tree can hold tens of millions of problems; a rule hands over a whole batch (row indices,
lines, values) at once, and :class:`Problem` objects are only made for what is shown. Why escaped: a cell
or a file name can hold anything, and nothing we print may move a terminal's cursor or hide a character.

Standard library only at import time (``import openconflict`` stays light); numpy and pyarrow are imported
by the methods that handle batches.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TextIO

if TYPE_CHECKING:
    import numpy as np

Severity = Literal["error", "warning"]
#: How many problems per rule the text report shows unless told otherwise.
DEFAULT_LIMIT = 20
_SURROGATE = re.compile("[\ud800-\udfff]")


def printable(text: str) -> str:
    """``text`` with every character a terminal would not show as itself written as an escape.

    Control characters, format characters (byte-order mark, bidirectional overrides, zero-width spaces),
    separators other than the space, and undecodable bytes of a file name all become ``\\xNN``,
    ``\\uNNNN`` or ``\\UNNNNNNNN``; everything else is kept, so non-Latin names stay readable.
    """
    if text.isprintable():
        return text
    out = []
    for ch in text:
        if ch.isprintable():
            out.append(ch)
        elif "\ud800" <= ch <= "\udfff":  # an undecodable byte of a file name (surrogateescape)
            out.append(f"\\x{ord(ch) - 0xDC00:02x}" if ord(ch) >= 0xDC80 else f"\\u{ord(ch):04x}")
        else:
            out.append(ch.encode("unicode_escape").decode("ascii"))
    return "".join(out)


def json_safe(text: str) -> str:
    """``text`` with lone surrogates (undecodable file-name bytes) escaped, so any JSON encoder takes it."""
    return _SURROGATE.sub(lambda m: printable(m.group()), text) if _SURROGATE.search(text) else text


def clip(value: str, limit: int = 80) -> str:
    value = printable(value)
    return value if len(value) <= limit else value[: limit - 1] + "…"


@dataclass(frozen=True, order=True)
class Problem:
    """One finding: where (file, line, column), which rule, and a message a curator can act on."""

    file: str
    line: int
    column: str
    rule: str
    message: str
    value: str = ""
    severity: Severity = "error"

    def format(self) -> str:
        """One line of text, every part escaped: ``file[:line]: column: rule: message[ (value)]``."""
        where = f"{printable(self.file)}:{self.line}" if self.line else printable(self.file)
        text = f"{where}: {printable(self.column) or '-'}: {self.rule}: {printable(self.message)}"
        if self.value != "":
            text += f" ({clip(self.value)})"
        if self.severity == "warning":
            text += " [warning]"
        return text


@dataclass
class Batch:
    """Many problems of one rule and column at once: rows given as file indices and line numbers.

    ``message`` and ``value`` are either one string for every row or an Arrow string array (``value``
    may also be None: no value shown).
    """

    files: list[str]
    file_idx: np.ndarray
    line: np.ndarray
    column: str
    rule: str
    severity: Severity
    message: Any
    value: Any = None

    def __len__(self) -> int:
        return len(self.line)

    def subset(self, keep: np.ndarray) -> Batch:
        """The rows where the boolean mask ``keep`` holds."""
        import numpy as np
        import pyarrow as pa

        def part(x: Any) -> Any:
            return x.filter(pa.array(keep)) if isinstance(x, pa.Array | pa.ChunkedArray) else x

        idx = np.flatnonzero(keep)
        return Batch(self.files, self.file_idx[idx], self.line[idx], self.column, self.rule, self.severity,
                     part(self.message), part(self.value))

    def rows(self, idx: Iterable[int]) -> Iterator[Problem]:
        """Problems for the given row positions of this batch."""
        for i in idx:
            yield Problem(self.files[int(self.file_idx[i])], int(self.line[i]), self.column, self.rule,
                          _at(self.message, i), _at(self.value, i), self.severity)


def _at(x: Any, i: int) -> str:
    if x is None:
        return ""
    if isinstance(x, str):
        return x
    v = x[int(i)].as_py()
    return "" if v is None else str(v)


@dataclass
class Report:
    """Every problem of one validation run: single problems plus columnar batches.

    ``problems`` lists them all, sorted by file and line (made on demand: for a huge report use the
    counts, :meth:`to_text` with a limit, or :meth:`write_json`, which never hold every problem as an
    object at once).
    """

    singles: list[Problem] = field(default_factory=list)
    batches: list[Batch] = field(default_factory=list)
    files_checked: int = 0
    rows_checked: dict[str, int] = field(default_factory=dict)
    _sorted: list[Problem] | None = field(default=None, repr=False)

    def add(self, problems: Iterable[Problem]) -> None:
        self.singles.extend(problems)
        self._sorted = None

    def add_batch(self, batch: Batch) -> None:
        if len(batch):
            self.batches.append(batch)
            self._sorted = None

    def finish(self) -> Report:
        # A file-level fallback may re-find a single problem; keep each once.
        self.singles = sorted(set(self.singles), key=_key)
        self._sorted = None
        return self

    def keep_files(self, wanted: Any) -> None:
        """Keep only problems whose file satisfies the predicate ``wanted(name)``."""
        import numpy as np

        self.singles = [p for p in self.singles if wanted(p.file)]
        kept = []
        for b in self.batches:
            ok = np.array([bool(wanted(f)) for f in b.files], dtype=bool)
            mask = ok[b.file_idx] if len(ok) else np.zeros(len(b), dtype=bool)
            if mask.all():
                kept.append(b)
            elif mask.any():
                kept.append(b.subset(mask))
        self.batches = kept
        self._sorted = None

    @property
    def problems(self) -> list[Problem]:
        if self._sorted is None:
            every = list(self.singles)
            for b in self.batches:
                every.extend(b.rows(range(len(b))))
            self._sorted = sorted(every, key=_key)
        return self._sorted

    @problems.setter
    def problems(self, value: list[Problem]) -> None:
        self.singles, self.batches, self._sorted = list(value), [], None

    def counts(self) -> dict[tuple[str, Severity], int]:
        """(rule, severity) -> number of problems."""
        out: dict[tuple[str, Severity], int] = {}
        for p in self.singles:
            out[(p.rule, p.severity)] = out.get((p.rule, p.severity), 0) + 1
        for b in self.batches:
            out[(b.rule, b.severity)] = out.get((b.rule, b.severity), 0) + len(b)
        return out

    @property
    def error_count(self) -> int:
        return sum(n for (_, sev), n in self.counts().items() if sev == "error")

    @property
    def warning_count(self) -> int:
        return sum(n for (_, sev), n in self.counts().items() if sev == "warning")

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def summary(self) -> str:
        rows = ", ".join(f"{n} {t}" for t, n in self.rows_checked.items())
        return (f"{self.error_count} error(s), {self.warning_count} warning(s) in {self.files_checked} file(s)"
                + (f" ({rows} rows)" if rows else ""))

    def first(self, limit: int | None) -> dict[str, list[Problem]]:
        """Per rule, its first ``limit`` problems in file and line order (all of them for None)."""
        import numpy as np

        names = sorted({p.file for p in self.singles} | {f for b in self.batches for f in b.files})
        rank = {name: k for k, name in enumerate(names)}
        out: dict[str, list[Problem]] = {}
        by_rule: dict[str, list[Batch]] = {}
        for b in self.batches:
            by_rule.setdefault(b.rule, []).append(b)
        for p in self.singles:
            out.setdefault(p.rule, []).append(p)
        for rule, batches in by_rule.items():
            chosen = out.setdefault(rule, [])
            for b in batches:
                key = np.array([rank[f] for f in b.files], dtype=np.int64)[b.file_idx] * (1 << 40) + b.line
                if limit is None or len(b) <= limit:
                    take = np.arange(len(b))
                else:
                    take = np.argpartition(key, limit - 1)[:limit] if limit else np.zeros(0, dtype=np.int64)
                chosen.extend(b.rows(take[np.argsort(key[take], kind="stable")]))
        for probs in out.values():
            probs.sort(key=_key)
            if limit is not None:
                del probs[limit:]
        return out

    def to_text(self, limit: int | None = DEFAULT_LIMIT) -> str:
        """A per-rule summary, then at most ``limit`` problems per rule (None: all), then the totals."""
        counts = self.counts()
        if not counts:
            return self.summary()
        lines = [f"{rule}: {n} {sev}(s)" for (rule, sev), n in sorted(counts.items())]
        shown = self.first(limit)
        listed = [p.format() for p in sorted((p for ps in shown.values() for p in ps), key=_key)]
        if listed:
            lines += ["", *listed]
        hidden = [(rule, n - len(shown.get(rule, []))) for (rule, _), n in sorted(counts.items())]
        hidden = [(r, k) for r, k in hidden if k > 0]
        if hidden:
            lines.append("")
            lines += [f"… {k} more {r} problem(s) not shown" for r, k in hidden]
            lines.append("(--all shows every problem; --format json lists them all)")
        lines.append(self.summary())
        return "\n".join(lines)

    def header(self) -> dict[str, Any]:
        return {"ok": self.ok, "errors": self.error_count, "warnings": self.warning_count,
                "files_checked": self.files_checked, "rows_checked": self.rows_checked,
                "rules": {f"{rule}": n for (rule, _), n in sorted(self.counts().items())}}

    def write_json(self, out: TextIO) -> None:
        """Write the whole report as one JSON object, problem by problem.

        Never holds every problem at once: the single problems come first (sorted), then each batch in
        its own order (file and line within one rule and column), written in slices.
        """
        head = json.dumps(self.header(), indent=2, ensure_ascii=False)
        out.write(head[:-2] + ',\n  "problems": [')
        first = True

        def chunks() -> Iterator[Iterable[Problem]]:
            yield self.singles
            for b in self.batches:
                for start in range(0, len(b), 10_000):
                    yield b.rows(range(start, min(start + 10_000, len(b))))

        for chunk in chunks():
            for p in chunk:
                item = {k: json_safe(v) if isinstance(v, str) else v for k, v in asdict(p).items()}
                out.write(("\n    " if first else ",\n    ") + json.dumps(item, ensure_ascii=False))
                first = False
        out.write("\n  ]\n}" if not first else "]\n}")

    def to_json(self) -> str:
        import io

        buf = io.StringIO()
        self.write_json(buf)
        return buf.getvalue()


def _key(p: Problem) -> tuple[str, int, str, str, str, str]:
    return (p.file, p.line, p.column, p.rule, p.value, p.message)
