"""The coder-agreement table a release ships (``data/agreement``): how often a blind second coder agreed with
the first, per field, from ``curation/agreement/summary.csv``.

Why shipped with the data: a researcher judging whether a coded field can bear an analysis should see the
measured agreement next to it, for that version, and the release report shows it. The figures are computed
by the curators' tools (``curation/tools/agreement_summary.py``) from the committed blind samples; the build
only checks and copies them, so a release stays a function of committed files. A missing file gives an
empty table (no sample measured yet); a malformed one refuses the build with the line that is wrong.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import TYPE_CHECKING

from openconflict.errors import BuildError
from openconflict.schema import Schema

if TYPE_CHECKING:
    import pyarrow as pa

#: Where the build finds the table, relative to the folder that holds ``datasets/``.
SUMMARY = Path("curation") / "agreement" / "summary.csv"


def _number(text: str, kind: str) -> int | float:
    if kind == "integer":
        if not (text.isascii() and text.isdigit()):
            raise ValueError(f"{text!r} is not a whole number")
        return int(text)
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text!r} is not a finite number")
    return value


def read_agreement(path: Path, schema: Schema) -> pa.Table:
    """The agreement table from ``path`` (empty when the file does not exist), typed by its Table Schema."""
    from openconflict.release.derive import release_arrow_schema

    target = release_arrow_schema(schema, "agreement")
    if not path.is_file():
        return target.empty_table()
    import pyarrow as pa

    fields = schema.release["agreement"]["fields"]
    names = [f["name"] for f in fields]
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BuildError(f"cannot read {path} as UTF-8 text: {exc}") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, [])
    if header != names:
        raise BuildError(f"{path}: the header must be exactly {','.join(names)}")
    columns: dict[str, list[object]] = {n: [] for n in names}
    seen: set[tuple[str, str]] = set()
    for line, row in enumerate(reader, start=2):
        try:
            if len(row) != len(names):
                raise ValueError(f"{len(row)} cells where the header has {len(names)}")
            for f, cell in zip(fields, row, strict=True):
                cons = f.get("constraints", {})
                if cell == "":
                    if cons.get("required"):
                        raise ValueError(f"{f['name']} is required")
                    columns[f["name"]].append(None)
                    continue
                value: object = cell if f["type"] == "string" else _number(cell, f["type"])
                if isinstance(value, int | float) and not (cons.get("minimum", -math.inf) <= value
                                                           <= cons.get("maximum", math.inf)):
                    raise ValueError(f"{f['name']} {cell} is out of range")
                columns[f["name"]].append(value)
            key = (row[0], row[1])
            if key in seen:
                raise ValueError(f"sample {row[0]!r} lists measure {row[1]!r} twice")
            seen.add(key)
        except ValueError as exc:
            raise BuildError(f"{path}:{line}: {exc}") from None
    return pa.table({f.name: pa.array(columns[f.name], f.type) for f in target}, schema=target)
