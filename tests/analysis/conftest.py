"""pytest wiring for the analysis tests: the committed release and SYNTHETIC event frames."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from analysis_fixtures import RELEASE_EVENTS, synthetic_events  # noqa: E402


@pytest.fixture(scope="session")
def release_frame():
    """The committed release 1.0.1 read with plain pandas, as a researcher without our loader would."""
    import pandas as pd

    return pd.read_parquet(RELEASE_EVENTS)


@pytest.fixture(scope="session")
def release_table():
    import pyarrow.parquet as pq

    return pq.read_table(RELEASE_EVENTS)


@pytest.fixture(scope="session")
def synthetic():
    return synthetic_events(5_000, seed=3)
