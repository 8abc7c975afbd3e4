"""Stata files: written with pandas, read back with pandas and pyreadstat; labels checked against the schema."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from openconflict.schema import load_schema
from openconflict.stata import (
    LABEL_LIMIT,
    data_label,
    inter_labels,
    interaction_labels,
    shorten,
    write_dta,
)

REPO = Path(__file__).resolve().parents[2]
RELEASE_EVENTS = REPO / "build" / "releases" / "1.0.1" / "data" / "events.parquet"


@pytest.fixture(scope="module")
def events() -> pd.DataFrame:
    return pd.read_parquet(RELEASE_EVENTS)


@pytest.fixture(scope="module")
def dta(tmp_path_factory, events) -> Path:
    path = tmp_path_factory.mktemp("stata") / "events.dta"
    assert write_dta(events, path, version="1.0.1", licence="CC-BY-4.0") == len(events)
    return path


def _is_word_prefix(label: str, text: str) -> bool:
    """``label`` is ``text``, or its start ending at a word boundary (with ... when cut inside a sentence)."""
    text = " ".join(text.split())
    if label == text:
        return True
    head = label.removesuffix("...")
    return text.startswith(head) and (len(head) == len(text) or not text[len(head)].isalnum())


def test_labels_read_back_with_pandas(dta, events) -> None:
    descriptions = {f["name"]: f["description"] for f in load_schema().release["events"]["fields"]}
    with pd.io.stata.StataReader(dta) as reader:
        assert reader.data_label == "OpenConflict events 1.0.1, licence CC-BY-4.0"
        labels = reader.variable_labels()
        values = reader.value_labels()
    assert set(labels) == set(events.columns)
    for col, label in labels.items():
        assert 0 < len(label) <= LABEL_LIMIT and _is_word_prefix(label, descriptions[col]), (col, label)
    assert any(label.endswith("...") for label in labels.values())  # the release has long descriptions
    assert values["inter1"][1] == "State forces" and values["inter2"][0] == "No actor"
    assert values["interaction"][12] == "State forces-Rebel group"
    assert values["interaction"][20] == "Rebel group only"
    assert values["interaction"][78] == "External/Other forces-Civilians"
    assert 31 not in values["interaction"] and len(values["interaction"]) == 8 + 36


def test_values_read_back(dta, events) -> None:
    raw = pd.read_stata(dta, convert_categoricals=False)
    assert list(raw.columns) == list(events.columns)
    assert [d.date() for d in raw["event_date"]] == list(events["event_date"])
    for col in ("inter1", "inter2", "interaction", "fatalities", "timestamp", "iso"):
        assert list(raw[col]) == list(events[col]), col
    for col in ("event_id_cnty", "notes", "assoc_actor_1", "admin3"):
        assert list(raw[col]) == events[col].fillna("").tolist(), col  # Stata strings: missing is ""
    assert list(raw["latitude"]) == list(events["latitude"])
    labelled = pd.read_stata(dta)
    expected = events["interaction"].map(interaction_labels())
    assert list(labelled["interaction"].astype(str)) == list(expected)


def test_pyreadstat_sees_the_same_labels(dta, events) -> None:
    pyreadstat = pytest.importorskip("pyreadstat")
    df, meta = pyreadstat.read_dta(str(dta))
    assert meta.file_label == "OpenConflict events 1.0.1, licence CC-BY-4.0"
    assert meta.variable_value_labels["interaction"][78] == "External/Other forces-Civilians"
    assert meta.variable_value_labels["inter1"] == inter_labels()
    assert dict(zip(meta.column_names, meta.column_labels, strict=True))["event_id_cnty"].startswith("Permanent")
    assert len(df) == len(events)


def test_typed_frame_long_text_and_missing_codes(tmp_path) -> None:
    frame = pd.DataFrame({
        "event_id_cnty": pd.array(["SYN1", "SYN2"], dtype="string"),
        "event_date": pd.to_datetime(["2020-01-02", "2020-02-03"]),
        "event_type": pd.Categorical(["Battles", None]),
        "inter2": pd.array([3, None], dtype="Int32"),
        "interaction": pd.array([13, 30], dtype="Int32"),
        "notes": ["SYNTHETIC " + "word " * 600, "SYNTHETIC \u00e9t\u00e9 \u062d\u0644\u0628"],
    })
    path = tmp_path / "typed.dta"
    write_dta(frame, path, version=None, licence=None)
    back = pd.read_stata(path, convert_categoricals=False)
    assert back["notes"].tolist() == frame["notes"].tolist()  # 3,000+ bytes: stored as strL, not cut
    assert back["event_type"].tolist() == ["Battles", ""]
    assert back["inter2"].iloc[0] == 3 and pd.isna(back["inter2"].iloc[1])  # Stata's missing '.'
    assert back["event_date"].dt.date.tolist() == [dt.date(2020, 1, 2), dt.date(2020, 2, 3)]
    with pd.io.stata.StataReader(path) as reader:
        assert reader.data_label == "OpenConflict events"
        assert reader.value_labels()["interaction"][30] == "Political militia only"


def test_non_integer_codes_are_refused_and_nothing_is_written(tmp_path) -> None:
    path = tmp_path / "events.dta"
    path.write_bytes(b"previous export")
    with pytest.raises(ValueError, match="whole codes"):
        write_dta(pd.DataFrame({"interaction": [12.5]}), path)
    assert path.read_bytes() == b"previous export"
    write_dta(pd.DataFrame({"interaction": [12]}), path)  # replaced whole, through a temporary sibling
    assert pd.read_stata(path, convert_categoricals=False)["interaction"].tolist() == [12]
    assert [p.name for p in tmp_path.iterdir()] == ["events.dta"]
    with pytest.raises(FileNotFoundError, match="does not exist"):
        write_dta(pd.DataFrame({"interaction": [12]}), tmp_path / "missing" / "x.dta")


@pytest.mark.parametrize(("text", "expected"), [
    ("Short label.", "Short label."),
    ("First sentence fits. " + "x " * 60, "First sentence fits."),
    ("word " * 30, " ".join(["word"] * 15) + "..."),
    ("a" * 100, "a" * 77 + "..."),  # one word longer than the limit: nothing else to cut at
    ("  spaced\n\tout   text ", "spaced out text"),
])
def test_shorten(text, expected) -> None:
    got = shorten(text)
    assert got == expected.strip() and len(got) <= LABEL_LIMIT


def test_data_label_stays_within_the_limit() -> None:
    label = data_label("1.0.1", "CC-BY-4.0 AND an unusually long licence expression " * 3)
    assert len(label) <= LABEL_LIMIT and label.startswith("OpenConflict events 1.0.1") and label.endswith("...")
