"""The loader against the releases the build actually committed (build/releases/), if any.

The synthetic fixtures go through the release writer; this checks the loader's column contract against the
real, committed output, so drift between the two (a renamed column, a changed type) fails here.
"""

from __future__ import annotations

import pandas as pd
import pytest

import openconflict.loader as L
from openconflict.loader.settings import bundled_releases_dir

pytestmark = pytest.mark.skipif(bundled_releases_dir() is None, reason="no committed build/releases/")


def test_committed_latest_loads_offline_and_typed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENCONFLICT_OFFLINE", "1")  # bundled data must need no network
    info = L.info()
    if not info["bundled"]:
        pytest.skip("the latest release is not bundled in this checkout")
    df = L.load_events()
    assert len(df) == info["events"]
    names = [name for name, _ in L.EVENT_COLUMNS]
    assert list(df.columns[:31]) == names[:31]  # ACLED's 31 columns in ACLED's order, then our extras
    assert list(df.columns) == [n for n in names if n in df.columns]  # extras of later releases may be absent
    assert str(df["event_date"].dtype) == "datetime64[ns]"
    assert not any(isinstance(t, pd.CategoricalDtype) for t in df.dtypes)  # text: no empty groups (issue 11)
    assert df["fatalities"].dtype == pd.Int32Dtype()
    csv = L.load_events(file_format="csv")
    pd.testing.assert_frame_equal(df, csv)
    assert set(L.verify()["status"]) == {"ok"}
    assert L.info()["ledger"]["source"] == "bundled"
