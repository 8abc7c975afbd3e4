"""Every figure and table of the report, checked against the release's own tables.

The expected values are computed here with pandas straight from the release's Parquet files, not with
the report's code, so a wrong kernel or a mislabelled table in the report cannot pass by agreeing with
itself. Runs on the committed latest release and on a SYNTHETIC release with additions, corrections and
a deletion.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from report_fixtures import ODD_ACTOR, RELEASES, Page, number

from openconflict.reporting import render_report


def _expected(folder: Path) -> dict:
    ev = pd.read_parquet(folder / "data" / "events.parquet")
    src = pd.read_parquet(folder / "data" / "sources.parquet")
    ch = pd.read_parquet(folder / "data" / "changes.parquet")
    dates = pd.to_datetime(ev["event_date"].astype(str))
    return {"ev": ev, "src": src, "ch": ch, "dates": dates}


def _ranked(series: pd.Series) -> list[list[str]]:
    counts = series.dropna().astype(str).value_counts()
    rows = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [[k, f"{v:,}"] for k, v in rows]


def _pct(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:.1f} %"


def check_report(folder: Path, previous: Path | None, out: Path) -> Page:
    page = Page(render_report(folder, out, previous).read_text(encoding="utf-8"))
    x = _expected(folder)
    ev, src, ch, dates = x["ev"], x["src"], x["ch"], x["dates"]
    t = page.text_by_id

    # Headline figures
    assert number(t["h-events"]) == len(ev)
    assert number(t["h-fatalities"]) == int(ev["fatalities"].sum())
    if "fatalities_best" in ev.columns:  # releases from 2.1.0 on: the fatality range
        assert number(t["h-fatalities-best"]) == int(ev["fatalities_best"].sum())
        assert number(t["h-fatalities-high"]) == int(ev["fatalities_high"].sum())
        assert number(t["h-fatalities-unknown"]) == int((~ev["fatalities_known"].astype(bool)).sum())
    else:
        assert "h-fatalities-best" not in t
    assert number(t["h-reports"]) == len(src)
    assert number(t["h-publishers"]) == src["publisher"].nunique()
    assert number(t["h-languages"]) == src["language"].nunique()
    assert t["h-period"] == f"{dates.min():%Y-%m-%d} to {dates.max():%Y-%m-%d}"
    names = sorted(ev["country"].dropna().unique())
    assert t["h-countries"] == (", ".join(names) if len(names) <= 6 else f"{len(names)} countries")
    assert ", ".join(names) in t["coverage"]
    assert number(t["h-governorates"]) == len(ev.dropna(subset=["admin1"])[["country", "admin1"]].drop_duplicates())

    # Events and fatalities per month, by event type (every month from the first to the last)
    rows = page.table("monthly")
    header = page.tables["monthly"][0]
    months = pd.period_range(dates.min(), dates.max(), freq="M")
    assert [r[0] for r in rows] == [str(m) for m in months]
    month = dates.dt.to_period("M")
    for r in rows:
        sel = ev[month == pd.Period(r[0])]
        for col, cell in zip(header[1:-1], r[1:-1], strict=True):
            assert number(cell) == int((sel["event_type"] == col).sum()), (r[0], col)
        assert number(r[-1]) == int(sel["fatalities"].sum())
    assert sum(number(c) for r in rows for c in r[1:-1]) == len(ev)

    # Sub-event types
    subs = ev.groupby(["event_type", "sub_event_type"]).size()
    got = {(a, b): number(n) for a, b, n in page.table("sub-event-types")}
    assert got == {k: int(v) for k, v in subs.items()}

    # Top ten actors as actor1 and as actor2
    assert page.table("top-actor1") == _ranked(ev["actor1"])[:10]
    assert page.table("top-actor2") == _ranked(ev["actor2"])[:10]

    # Data quality
    for table_id, col in (("time-precision", "time_precision"), ("geo-precision", "geo_precision")):
        for code, _, n, share in page.table(table_id):
            k = int((ev[col] == int(code)).sum())
            assert (number(n), share) == (k, _pct(k, len(ev))), (table_id, code)
        assert sum(number(r[2]) for r in page.table(table_id)) == len(ev)
    multi = int((ev["source_ids"].str.split("; ").str.len() >= 2).sum())
    assert number(t["q-multi"]) == multi
    assert t["q-multi-share"] == _pct(multi, len(ev))
    publishers = _ranked(src["publisher"])
    shown = page.table("publishers")
    assert [r[:2] for r in shown[:15]] == publishers[:15]
    if len(publishers) > 15:
        assert shown[15][0] == f"{len(publishers) - 15} other publishers"
        assert number(shown[15][1]) == sum(number(n) for _, n in publishers[15:])
    assert sum(number(r[1]) for r in shown) == len(src)
    assert [r[:2] for r in page.table("languages")] == _ranked(src["language"])

    # What changed
    counts = {k: ch.loc[ch["change"] == k, "event_id"].nunique() for k in ("added", "modified", "deleted")}
    assert {r[0]: number(r[1]) for r in page.table("changes")} == counts
    mod = ch[ch["change"] == "modified"].groupby("field")["event_id"].nunique()
    expected_fields = sorted(((f, int(n)) for f, n in mod.items()), key=lambda kv: (-kv[1], kv[0]))[:10]
    if expected_fields:
        assert [(f, number(n)) for f, n in page.table("changed-fields")] == expected_fields
    else:
        assert "changed-fields" not in page.tables

    # Map caption counts every event with coordinates
    with_coords = int(ev[["latitude", "longitude"]].notna().all(axis=1).sum())
    assert f"({with_coords:,} events with coordinates)" in t["map"]
    return page


def test_latest_committed_release(tmp_path: Path) -> None:
    page = check_report(RELEASES / "1.0.1", RELEASES / "1.0.0", tmp_path)
    rule = page.text_by_id["version-rule"]
    assert "1.0.0 → 1.0.1 is a patch bump" in rule and "at least a patch bump" in rule
    cff = page.text_by_id["citation"]
    assert "version 1.0.1" in cff and "2026-11-24" in cff and "CC-BY-4.0" in cff
    assert "not a complete record" in page.text_by_id["caveat"]
    assert any("Syria in 2015 and 2016" in line for line in [page.text_by_id["coverage"]])


def test_first_committed_release_has_no_previous(tmp_path: Path) -> None:
    page = check_report(RELEASES / "0.1.0", None, tmp_path)
    assert number(page.table("changes")[0][1]) == number(page.text_by_id["h-events"])  # every event is new
    assert "No previous release was given" in page.text_by_id["version-rule"]


def test_synthetic_release_with_every_kind_of_change(synthetic_releases: Path, tmp_path: Path) -> None:
    page = check_report(synthetic_releases / "1.1.0", synthetic_releases / "1.0.0", tmp_path)
    assert {r[0]: number(r[1]) for r in page.table("changes")} == {"added": 3, "modified": 2, "deleted": 1}
    assert dict((f, number(n)) for f, n in page.table("changed-fields")) == {"fatalities": 2, "fatalities_best": 2,
                                                                          "fatalities_high": 2, "geo_precision": 1}
    rule = page.text_by_id["version-rule"]
    assert "1.0.0 → 1.1.0 is a minor bump" in rule and "at least a minor bump" in rule
    # Release text is escaped, never markup, and shown as it is.
    assert ODD_ACTOR in [r[0] for r in page.table("top-actor1")]
    assert not [tag for tag, _ in page.tags if tag in ("allies", "script")]


def test_numbers_are_not_rounded_away(synthetic_releases: Path, tmp_path: Path) -> None:
    """Shares add up to 100 % within rounding, and every event is on the monthly chart's table."""
    page = check_report(synthetic_releases / "1.0.0", None, tmp_path)
    shares = [float(r[3].rstrip(" %")) for r in page.table("time-precision")]
    assert math.isclose(sum(shares), 100.0, abs_tol=0.05 * len(shares))


@pytest.mark.parametrize("version", ["1.0.0", "1.0.1"])
def test_other_committed_releases_render(version: str, tmp_path: Path) -> None:
    previous = {"1.0.0": "0.1.0", "1.0.1": "1.0.0"}[version]
    check_report(RELEASES / version, RELEASES / previous, tmp_path)


def test_many_countries_are_counted_in_the_headline_and_listed_in_the_coverage() -> None:
    from openconflict.reporting.page import countries_text

    assert countries_text([]) == "none"
    assert countries_text(["Iraq", "Syria"]) == "Iraq, Syria"
    assert countries_text([f"Country {i}" for i in range(50)]) == "50 countries"


def test_many_countries_and_row_groups(multi_country_release: Path, tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    assert pq.ParquetFile(multi_country_release / "data" / "events.parquet").metadata.num_row_groups > 1
    page = check_report(multi_country_release, None, tmp_path)
    assert page.text_by_id["h-countries"].endswith(" countries")
