"""``new source`` and ``new location``: readable ids, no report or place entered twice, cited coordinates."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from curation_fixtures import GAZETTEER, drop_locations_citing, invoke, tree_digest

from openconflict.curation.gazetteer import four_decimals, plain_admin
from openconflict.validate import validate


def last_row(path: Path) -> dict[str, str]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))[-1]


def source_args(root: Path, **over: str) -> list[str]:
    fields = {"publisher": "ARA News", "title": "SYNTHETIC: Rebels repel an attack on a village",
              "url": "https://example.invalid/2015/10/synthetic-rebels-repel", "published": "2015-10-15",
              "language": "en", "scale": "Subnational", **over}
    args = ["new", "source", "--datasets", str(root)]
    for k, v in fields.items():
        args += [f"--{k}", v]
    return args


def test_a_source_gets_its_publisher_prefix_date_and_title_slug(real_copy: Path) -> None:
    result = invoke(*source_args(real_copy))
    assert result.exit_code == 0, result.output
    row = last_row(real_copy / "sources.csv")
    assert row["source_id"] == "aranews-20151015-synthetic-rebels-repel-attack"
    assert row["url"] == "https://example.invalid/2015/10/synthetic-rebels-repel"
    report, _ = validate([real_copy])
    assert report.ok, report.to_text()


def test_a_new_publisher_and_a_repeated_title_get_unique_ids(real_copy: Path) -> None:
    a = invoke(*source_args(real_copy, publisher="Synthetic Daily Courier", url="https://example.invalid/a"))
    b = invoke(*source_args(real_copy, publisher="Synthetic Daily Courier", url="https://example.invalid/b"))
    assert a.exit_code == 0 and b.exit_code == 0, a.output + b.output
    assert "syntheticdailycourier-20151015-synthetic-rebels-repel-attack " in a.output
    assert "syntheticdailycourier-20151015-synthetic-rebels-repel-attack-2 " in b.output
    own = invoke(*source_args(real_copy, url="https://example.invalid/c"), "--id", "synthetic-own-id")
    assert own.exit_code == 0 and last_row(real_copy / "sources.csv")["source_id"] == "synthetic-own-id"
    taken = invoke(*source_args(real_copy, url="https://example.invalid/d"), "--id", "synthetic-own-id")
    assert taken.exit_code == 1 and "is taken" in taken.output


@pytest.mark.parametrize("variant", [
    "https://aranews.net/files/2015/10/aleppo-in-turmoil-as-clashes-intensify-between-isis-syrian-rebels-and-pro-assad-forces",
    "http://www.aranews.net/files/2015/10/aleppo-in-turmoil-as-clashes-intensify-between-isis-syrian-rebels-and-pro-assad-forces/amp/?utm_medium=x#c",
])
def test_a_report_already_registered_is_refused(real_copy: Path, variant: str) -> None:
    before = tree_digest(real_copy)
    result = invoke(*source_args(real_copy, url=variant))
    assert result.exit_code == 1 and "already in the registry as aranews-20151014-aleppo-in-turmoil" in result.output
    assert "Traceback" not in result.output and tree_digest(real_copy) == before


def test_a_source_with_an_invalid_field_is_kept_and_reported(real_copy: Path) -> None:
    result = invoke(*source_args(real_copy, language="english"))
    assert result.exit_code == 1 and "language" in result.output and "the row was kept" in result.output
    assert last_row(real_copy / "sources.csv")["language"] == "english"


def test_a_source_needs_a_real_publication_date(real_copy: Path) -> None:
    before = tree_digest(real_copy)
    result = invoke(*source_args(real_copy, published="2015-10"))
    assert result.exit_code == 1 and "--published must be a real date" in result.output
    assert tree_digest(real_copy) == before


# ----------------------------------------------------------------------------------------------- locations


def test_a_gazetteer_place_brings_rounded_coordinates_our_admin_names_and_its_citation(real_copy: Path) -> None:
    drop_locations_citing(real_copy, "UCDP GED gazetteer: Kafr Hamrah village")
    result = invoke("new", "location", "--datasets", real_copy, "--gazetteer", GAZETTEER, "--from-gazetteer", "Kafr Hamra")
    assert result.exit_code == 0, result.output
    row = last_row(real_copy / "locations" / "SYR.csv")
    assert row == {"location_id": "SYR-kafr-hamrah", "location": "Kafr Hamrah", "admin1": "Aleppo",
                   "admin2": "Jebel Saman", "admin3": "", "latitude": "36.2526", "longitude": "37.0791",
                   "coordinate_source": "UCDP GED gazetteer: Kafr Hamrah village",
                   "admin1_pcode": "SY02", "admin2_pcode": "SY0200", "admin3_pcode": ""}
    gaz = next(r for r in csv.DictReader(GAZETTEER.open(encoding="utf-8")) if r["ucdp_place"] == "Kafr Hamrah village")
    assert (four_decimals(gaz["latitude"]), four_decimals(gaz["longitude"])) == (row["latitude"], row["longitude"])
    report, _ = validate([real_copy])
    assert report.ok, report.to_text()


def test_two_places_of_one_name_must_be_told_apart(real_copy: Path) -> None:
    before = tree_digest(real_copy)
    both = invoke("new", "location", "--datasets", real_copy, "--gazetteer", GAZETTEER, "--from-gazetteer", "Ahras")
    assert both.exit_code == 1 and "2 different places are named 'Ahras'" in both.output and "--admin1" in both.output
    known = invoke("new", "location", "--datasets", real_copy, "--gazetteer", GAZETTEER, "--from-gazetteer", "Ahras",
                   "--admin1", "Aleppo")
    assert known.exit_code == 1 and "already the location SYR-ahras" in known.output
    clash = invoke("new", "location", "--datasets", real_copy, "--gazetteer", GAZETTEER, "--from-gazetteer", "Ahras",
                   "--admin1", "Al Hasakah")
    assert clash.exit_code == 1 and "the location id SYR-ahras is taken" in clash.output
    assert tree_digest(real_copy) == before
    other = invoke("new", "location", "--datasets", real_copy, "--gazetteer", GAZETTEER, "--from-gazetteer", "Ahras",
                   "--admin1", "Al Hasakah", "--id", "SYR-ahras-ras-al-ayn")
    assert other.exit_code == 0, other.output
    row = last_row(real_copy / "locations" / "SYR.csv")
    assert (row["location_id"], row["admin1"], row["admin2"], row["admin2_pcode"], row["latitude"]) == (
        "SYR-ahras-ras-al-ayn", "Al Hasakeh", "Ras Al Ain", "SY0804", "36.6686")


def test_a_report_spelling_finds_its_gazetteer_row(real_copy: Path) -> None:
    result = invoke("new", "location", "--datasets", real_copy, "--gazetteer", GAZETTEER, "--from-gazetteer", "Tel Jabin",
                    "--admin1", "aleppo governorate")
    assert result.exit_code == 1 and "Tall Jibbin town is already the location SYR-tall-jibbin" in result.output


def test_an_unknown_gazetteer_name_points_to_lookup(real_copy: Path) -> None:
    result = invoke("new", "location", "--datasets", real_copy, "--gazetteer", GAZETTEER, "--from-gazetteer", "Xqzw")
    assert result.exit_code == 1 and "openconflict lookup place 'Xqzw'" in result.output


def test_explicit_coordinates_need_their_source(real_copy: Path) -> None:
    before = tree_digest(real_copy)
    base = ["new", "location", "--datasets", real_copy, "--name", "Synthetic Place", "--admin1", "Aleppo",
            "--latitude", "36.21", "--longitude", "37.123456"]
    missing = invoke(*base)
    assert missing.exit_code == 1 and "missing --coordinate-source" in missing.output
    mixed = invoke(*base, "--from-gazetteer", "Kafr Hamrah", "--gazetteer", GAZETTEER)
    assert mixed.exit_code == 1 and "not both" in mixed.output
    junk = invoke(*base[:-1], "37.1.2", "--coordinate-source", "SYNTHETIC page")
    assert junk.exit_code == 1 and "not a coordinate" in junk.output
    assert tree_digest(real_copy) == before
    ok = invoke(*base, "--coordinate-source", "SYNTHETIC test page https://example.invalid/place")
    assert ok.exit_code == 0, ok.output
    row = last_row(real_copy / "locations" / "SYR.csv")
    assert (row["location_id"], row["latitude"], row["longitude"]) == ("SYR-synthetic-place", "36.2100", "37.1235")


def test_a_location_in_a_new_country_file(real_copy: Path) -> None:
    result = invoke("new", "location", "--datasets", real_copy, "--iso3", "IRQ", "--name", "Synthetic Town",
                    "--admin1", "Baghdad", "--latitude", "33.3", "--longitude", "44.4",
                    "--coordinate-source", "SYNTHETIC test page")
    assert result.exit_code == 0, result.output
    assert (real_copy / "locations" / "IRQ.csv").read_text(encoding="utf-8").startswith("location_id,location,")
    assert "IRQ-synthetic-town" in result.output and "(new file)" in result.output


@pytest.mark.parametrize(("ucdp", "ours"), [("Aleppo Governorate", "Aleppo"), ("Mintaqat Azaz district", "Azaz"),
                                            ("Mintaqat Markaz Hamah district", "Hamah"),
                                            ("Markaz Idlib district", "Idlib"), ("Hamah governorate", "Hamah"),
                                            ("Ras al Ayn district", "Ras al Ayn")])
def test_plain_admin_rule(ucdp: str, ours: str) -> None:
    assert plain_admin(ucdp) == ours


def test_an_admin_name_given_to_pick_the_row_takes_our_spelling(real_copy: Path) -> None:
    drop_locations_citing(real_copy, "UCDP GED gazetteer: Kafr Hamrah village")
    result = invoke("new", "location", "--datasets", real_copy, "--gazetteer", GAZETTEER, "--from-gazetteer",
                    "Kafr Hamrah village", "--admin1", "ALEPPO GOVERNORATE", "--admin2", "Jabal Saman district")
    assert result.exit_code == 0, result.output
    row = last_row(real_copy / "locations" / "SYR.csv")
    assert (row["admin1"], row["admin2"], row["admin2_pcode"]) == ("Aleppo", "Jebel Saman", "SY0200")
