"""The report's figures on uncertainty: fatality ranges and measured coder agreement.

Why apart from :mod:`figures`: both come from tables that only releases from 2.1.0 on carry (the
``fatalities_best``/``fatalities_high``/``fatalities_known`` columns and ``data/agreement``); older
releases render without them, saying so, instead of failing. Numbers are read from the release folder only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from openconflict.errors import ReportError

if TYPE_CHECKING:
    import pyarrow as pa

RANGE_COLUMNS = ("fatalities_best", "fatalities_high", "fatalities_known")


@dataclass(frozen=True)
class FatalityRange:
    """Sums over the release: the most credible and the highest figures, and events with no figure at all."""

    best: int
    high: int
    unknown: int  # events for which no report gave any death toll
    wider: int  # events whose highest figure exceeds the lowest


@dataclass(frozen=True)
class AgreementRow:
    sample: str
    measure: str
    agreements: int
    samples: int
    value: float


@dataclass
class Uncertainty:
    ranges: FatalityRange | None = None
    agreement: list[AgreementRow] = field(default_factory=list)
    has_agreement_table: bool = False


def read_uncertainty(folder: Path, tables: Mapping[str, pa.Table] | None = None) -> Uncertainty:
    """What ``folder``'s release says about fatality ranges and coder agreement (empty for older releases);
    ``tables`` may hold its ``events`` and ``agreement`` tables in memory."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    out = Uncertainty()
    tables = tables or {}
    events = folder / "data" / "events.parquet"
    try:
        names = tables["events"].column_names if "events" in tables else pq.ParquetFile(events).schema_arrow.names
        if all(c in names for c in RANGE_COLUMNS):
            t = (tables["events"].select(["fatalities", *RANGE_COLUMNS]) if "events" in tables
                 else pq.read_table(events, columns=["fatalities", *RANGE_COLUMNS]))
            known = pc.fill_null(t.column("fatalities_known"), False)
            out.ranges = FatalityRange(
                best=int(pc.sum(t.column("fatalities_best")).as_py() or 0),
                high=int(pc.sum(t.column("fatalities_high")).as_py() or 0),
                unknown=int(pc.sum(pc.invert(known)).as_py() or 0),
                wider=int(pc.sum(pc.greater(t.column("fatalities_high"), t.column("fatalities"))).as_py() or 0))
        path = folder / "data" / "agreement.parquet"
        if "agreement" in tables or path.is_file():
            out.has_agreement_table = True
            table = tables["agreement"] if "agreement" in tables else pq.read_table(path)
            out.agreement = [AgreementRow(r["sample"], r["measure"], r["agreements"], r["samples"], r["value"])
                             for r in table.to_pylist()]
    except (OSError, KeyError, TypeError, ValueError) as exc:
        raise ReportError(f"cannot make the report: the fatality ranges or agreement table of {folder} cannot "
                          f"be read ({exc})") from None
    return out
