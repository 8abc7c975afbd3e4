"""The report's figures on uncertainty: fatality ranges and measured coder agreement.

Why apart from :mod:`figures`: both come from tables that only releases from 2.1.0 on carry (the
``fatalities_best``/``fatalities_high``/``fatalities_known`` columns and ``data/agreement``); older
releases render without them, saying so, instead of failing. The ranges are summed with the events'
other counts (:mod:`.tally`); the agreement table comes from the release folder (or the build's copy).
"""

from __future__ import annotations

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


def read_uncertainty(folder: Path, ranges: FatalityRange | None, agreement: pa.Table | None = None) -> Uncertainty:
    """The fatality ranges summed over the events (None where the release has no range columns) and
    ``folder``'s agreement table (``agreement`` when the caller holds it already)."""
    import pyarrow.parquet as pq

    out = Uncertainty(ranges=ranges)
    try:
        path = folder / "data" / "agreement.parquet"
        if agreement is not None or path.is_file():
            out.has_agreement_table = True
            table = agreement if agreement is not None else pq.read_table(path)
            out.agreement = [AgreementRow(r["sample"], r["measure"], r["agreements"], r["samples"], r["value"])
                             for r in table.to_pylist()]
    except (OSError, KeyError, TypeError, ValueError) as exc:
        raise ReportError(f"cannot make the report: the fatality ranges or agreement table of {folder} cannot "
                          f"be read ({exc})") from None
    return out
