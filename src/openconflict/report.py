"""Problems found in curated tables, and the report that lists them all at once.

Why a separate module: the reader (file-level problems) and the rules (value-level problems) both produce
problems, and the CLI, the build and the tests all consume the same report.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning"]


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
        where = f"{self.file}:{self.line}" if self.line else self.file
        column = self.column or "-"
        text = f"{where}: {column}: {self.rule}: {self.message}"
        if self.value != "":
            text += f" ({_clip(self.value)})"
        if self.severity == "warning":
            text += " [warning]"
        return text


def _clip(value: str, limit: int = 80) -> str:
    value = value.replace("\n", "\\n").replace("\r", "\\r")
    return value if len(value) <= limit else value[: limit - 1] + "…"


@dataclass
class Report:
    """Every problem of one validation run, sorted by file and line."""

    problems: list[Problem] = field(default_factory=list)
    files_checked: int = 0
    rows_checked: dict[str, int] = field(default_factory=dict)

    def add(self, problems: list[Problem]) -> None:
        self.problems.extend(problems)

    def finish(self) -> Report:
        # Deduplicate: a file-level fallback may re-find a problem; keep each once.
        self.problems = sorted(set(self.problems), key=lambda p: (p.file, p.line, p.column, p.rule, p.value))
        return self

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        rows = ", ".join(f"{n} {t}" for t, n in self.rows_checked.items())
        return (
            f"{len(self.errors)} error(s), {len(self.warnings)} warning(s) in {self.files_checked} file(s)"
            + (f" ({rows} rows)" if rows else "")
        )

    def to_text(self) -> str:
        lines = [p.format() for p in self.problems]
        lines.append(self.summary())
        return "\n".join(lines)

    def to_json(self) -> str:
        payload: dict[str, Any] = {
            "ok": self.ok,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "files_checked": self.files_checked,
            "rows_checked": self.rows_checked,
            "problems": [asdict(p) for p in self.problems],
        }
        return json.dumps(payload, indent=2, ensure_ascii=False)
