"""``lookup place``: the seed report's spellings find their places; output, exit codes, gazetteer choice."""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import pytest
from curation_fixtures import DATASETS, GAZETTEER, RELEASES, SEED_REPORT, drop_locations_citing, invoke

from openconflict.curation.places import load_places, search
from openconflict.curation.tree import GAZETTEER_NAME, default_gazetteer, open_tree

SHARED = Path(__file__).resolve().parents[3] / "shared" / "gazetteer"


def seed_events() -> list[dict[str, str]]:
    """The first release's events: the two events coded from the seed report."""
    with (RELEASES / "0.1.0" / "data" / "events.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_the_seed_report_is_the_source_of_the_first_release() -> None:
    report = SEED_REPORT.read_text(encoding="utf-8")
    url = re.search(r"^URL: (\S+)", report, re.MULTILINE).group(1)
    events = seed_events()
    assert len(events) == 2 and {e["source_urls"] for e in events} == {url}


# The place names of the two seed events as the report spells them, and the admin1 both lie in.
SPELLINGS = {"SYR-ahras": "Ahras", "SYR-tall-jibbin": "Tel Jabin"}


@pytest.mark.parametrize("gazetteer", [GAZETTEER, None], ids=["committed-gazetteer", "no-gazetteer"])
def test_every_place_of_the_seed_events_is_found_from_the_report_spelling(gazetteer: Path | None) -> None:
    report = SEED_REPORT.read_text(encoding="utf-8")
    places = load_places(open_tree(DATASETS), gazetteer)
    events = seed_events()
    assert {e["location_id"] for e in events} == set(SPELLINGS)
    for event in events:
        spelling = SPELLINGS[event["location_id"]]
        assert spelling in report  # the spelling really is the report's
        best = search(spelling, places)[0]
        assert best.place.kind == "location" and best.place.id == event["location_id"]
        assert float(best.place.latitude) == float(event["latitude"])
        assert float(best.place.longitude) == float(event["longitude"])
        assert best.place.name == event["location"]
        # the governorate named in the report ("north of Aleppo") is found too
        assert "Aleppo" in report and search("Aleppo", places)[0].place.id == "SYR-aleppo"
        assert event["admin1"] == "Aleppo"


def test_tel_jabin_finds_the_gazetteer_row_with_its_citation() -> None:
    result = invoke("lookup", "place", "Tel Jabin", "--datasets", DATASETS, "--gazetteer", GAZETTEER, "--json")
    assert result.exit_code == 0, result.output
    matches = json.loads(result.output)
    scores = [m["score"] for m in matches]
    assert scores == sorted(scores, reverse=True)
    first_two = {(m["kind"], m["id"] or m["curated_as"]) for m in matches[:2]}
    assert first_two == {("location", "SYR-tall-jibbin"), ("gazetteer", "SYR-tall-jibbin")}
    gaz = next(m for m in matches if m["kind"] == "gazetteer")
    assert gaz["name"] == "Tall Jibbin town" and gaz["latitude"] == "36.35" and gaz["longitude"] == "37.13333"
    assert gaz["source"].startswith(f"{GAZETTEER_NAME} line ")
    line = int(gaz["source"].split()[-1])
    assert GAZETTEER.read_text(encoding="utf-8").splitlines()[line - 1].startswith("Tall Jibbin town,")


def test_text_output_names_id_admin_coordinates_and_source() -> None:
    result = invoke("lookup", "place", "Tel Jabin", "--datasets", DATASETS, "--gazetteer", GAZETTEER, "--limit", "2")
    assert result.exit_code == 0
    first = result.output.splitlines()[0]
    for part in ("SYR-tall-jibbin", "Tall Jibbin", "Aleppo / A'zaz", "36.3500, 37.1333",
                 "UCDP GED gazetteer: Tall Jibbin town"):
        assert part in first
    assert len(result.output.splitlines()) == 2


def test_a_gazetteer_place_not_yet_curated_says_so(real_copy: Path) -> None:
    drop_locations_citing(real_copy, "UCDP GED gazetteer: Kafr Hamrah village")
    result = invoke("lookup", "place", "Kafr Hamra", "--datasets", real_copy, "--gazetteer", GAZETTEER)
    assert result.exit_code == 0
    assert "[gazetteer]  Kafr Hamrah village" in result.output.splitlines()[0]
    assert "not yet a location" in result.output.splitlines()[0]


def test_no_match_exits_1_with_a_message() -> None:
    result = invoke("lookup", "place", "Xqzwv Plorth", "--datasets", DATASETS, "--gazetteer", GAZETTEER)
    assert result.exit_code == 1 and "no match" in result.output and result.exception is not None
    assert isinstance(result.exception, SystemExit)
    assert invoke("lookup", "place", "Xqzwv", "--datasets", DATASETS, "--json").output.strip() == "[]"


def test_duplicate_gazetteer_rows_are_shown_once() -> None:
    # UCDP lists Aleppo twice ("Governorate" / "governorate"); a curator needs to see it once.
    matches = search("Aleppo", load_places(open_tree(DATASETS), GAZETTEER), limit=50)
    gaz = [m for m in matches if m.place.kind == "gazetteer" and m.place.name == "Aleppo town"]
    assert len(gaz) == 1


def test_the_committed_gazetteer_is_the_shared_one_and_carries_its_credit() -> None:
    readme = (GAZETTEER.parent / "README.md").read_text(encoding="utf-8")
    for credit in ("CC BY 4.0", "Sundberg", "Melander", "doi:10.1177/0022343313484347", "Högbladh"):
        assert credit in readme
    shared = SHARED / GAZETTEER_NAME
    if shared.is_file():
        assert shared.read_bytes() == GAZETTEER.read_bytes()
    with GAZETTEER.open(encoding="utf-8", newline="") as fh:
        assert len(list(csv.DictReader(fh))) == 1448


def test_default_gazetteer_falls_back_to_the_committed_copy(tmp_path: Path) -> None:
    root = tmp_path / "repo" / "datasets"
    shutil.copytree(DATASETS, root)
    found = default_gazetteer(open_tree(root))
    assert found is not None and found.read_bytes() == GAZETTEER.read_bytes()
    result = invoke("lookup", "place", "Kafr Hamra", "--datasets", root)
    assert result.exit_code == 0 and "Kafr Hamrah village" in result.output


def test_a_wrong_gazetteer_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "gaz.csv"
    bad.write_text("name,lat\nX,1\n", encoding="utf-8")
    result = invoke("lookup", "place", "Ahras", "--datasets", DATASETS, "--gazetteer", bad)
    assert result.exit_code == 1 and "not a UCDP gazetteer file" in result.output
    assert "Traceback" not in result.output
    missing = invoke("lookup", "place", "Ahras", "--datasets", DATASETS, "--gazetteer", tmp_path / "none.csv")
    assert missing.exit_code == 2 and "no gazetteer file" in missing.output
    nodata = invoke("lookup", "place", "Ahras", "--datasets", tmp_path / "nothing")
    assert nodata.exit_code == 1 and "no datasets folder" in nodata.output


def test_odd_bytes_in_a_gazetteer_are_reported_not_raised(tmp_path: Path) -> None:
    bad = tmp_path / "gaz.csv"
    bad.write_bytes(b"ucdp_place,admin1,admin2,latitude,longitude\n\xff\xfe bad,,,1,2\n")
    result = invoke("lookup", "place", "Ahras", "--datasets", DATASETS, "--gazetteer", bad)
    assert result.exit_code == 1 and "cannot read" in result.output
