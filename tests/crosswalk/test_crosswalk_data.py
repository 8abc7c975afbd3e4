"""The Syria crosswalk tables are data the release trusts: check they hold together.

They are hand-transcribed from cited sources, so the checks target transcription slips: a P-code whose
parent is missing or does not prefix it, a duplicate code, a row without its source, a location that
names a unit the crosswalk does not have, or an actor rename that would map one name two ways on the
same date.
"""

import csv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CROSSWALK = ROOT / "schema" / "crosswalk"


def _rows(name: str) -> list[dict[str, str]]:
    with open(CROSSWALK / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_admin_units_form_a_tree_of_prefixed_pcodes():
    units = _rows("syria_admin_units.csv")
    by_code = {u["pcode"]: u for u in units}
    assert len(by_code) == len(units), "duplicate P-code"
    counts = {level: sum(u["level"] == level for u in units) for level in ("1", "2", "3")}
    assert counts == {"1": 14, "2": 60, "3": 271}
    for unit in units:
        width = {"1": 4, "2": 6, "3": 8}[unit["level"]]
        assert len(unit["pcode"]) == width and unit["pcode"].startswith("SY"), unit
        assert unit["name_en"] and unit["name_ar"] and unit["source"], unit
        if unit["level"] == "1":
            assert unit["parent_pcode"] == "" and unit["iso_3166_2"].startswith("SY-"), unit
        else:
            parent = by_code[unit["parent_pcode"]]
            assert int(parent["level"]) == int(unit["level"]) - 1, unit
            assert unit["pcode"].startswith(parent["pcode"]), unit
            assert unit["iso_3166_2"] == "", unit


def test_iso_codes_and_acled_names_are_unique_per_governorate():
    governorates = [u for u in _rows("syria_admin_units.csv") if u["level"] == "1"]
    assert len({g["iso_3166_2"] for g in governorates}) == 14
    assert len({g["name_acled"] for g in governorates}) == 14
    for name in ("Idleb", "Hama", "Lattakia", "Al Hasakeh", "Deir ez Zor", "Ar Raqqa", "Dara",
                 "As Sweida", "Rural Damascus"):
        assert name in {g["name_acled"] for g in governorates}


def test_every_curated_location_has_a_row_whose_units_exist_and_nest():
    units = {u["pcode"]: u for u in _rows("syria_admin_units.csv")}
    with open(ROOT / "datasets" / "locations" / "SYR.csv", encoding="utf-8", newline="") as handle:
        curated = {r["location_id"]: r for r in csv.DictReader(handle)}
    rows = _rows("syria_locations.csv")
    assert sorted(r["location_id"] for r in rows) == sorted(curated)
    for row in rows:  # the curated locations carry exactly the P-codes this evidence table established
        assert [curated[row["location_id"]][f"admin{n}_pcode"] for n in (1, 2, 3)] == \
            [row["admin1_pcode"], row["admin2_pcode"], row["admin3_pcode"]], row
    for row in rows:
        chain = [row["admin1_pcode"], row["admin2_pcode"], row["admin3_pcode"]]
        for depth, code in enumerate(chain):
            if not code:
                assert not any(chain[depth:]), row
                break
            assert units[code]["level"] == str(depth + 1), row
            assert row[f"admin{depth + 1}"] == units[code]["name_en"], row
            if depth:
                assert units[code]["parent_pcode"] == chain[depth - 1], row
        if row["admin3_pcode"]:
            assert row["evidence"], row
        else:
            assert row["note"], row


def test_actor_renames_never_give_one_name_two_targets_on_a_date():
    renames = _rows("actor_renames.csv")
    by_old: dict[str, list[tuple[str, str]]] = {}
    for rename in renames:
        assert rename["source"] and rename["evidence"], rename
        assert bool(rename["new_name"]) == (rename["evidence"] != "not established"), rename
        span = (rename["applies_from"] or "0000-00-00", rename["applies_to"] or "9999-99-99")
        assert span[0] <= span[1], rename
        for other in by_old.get(rename["old_name"], []):
            assert span[1] < other[0] or other[1] < span[0], rename
        by_old.setdefault(rename["old_name"], []).append(span)
