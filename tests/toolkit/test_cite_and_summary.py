"""cite() and summary() on the committed releases and on copies of them that we break or extend (through
the ledger's own writer); the `openconflict cite` command run through click."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from openconflict.cite import FORMATS, citation, cite, cite_command, releases_root
from openconflict.errors import LedgerError, VersionNotFoundError
from openconflict.ledger import append_release, folder_files, read_ledger
from openconflict.summary import summary, summary_data
from openconflict.versions import next_version

REPO = Path(__file__).resolve().parents[2]
RELEASES = REPO / "build" / "releases"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def releases(tmp_path: Path) -> Path:
    """A copy of the committed releases folder, ledger included, that a test may change."""
    return Path(shutil.copytree(RELEASES, tmp_path / "releases"))


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("version", ["0.1.0", "1.0.1"])
def test_names_version_date_and_the_real_checksum(version: str, fmt: str) -> None:
    text = cite(version, fmt, releases=RELEASES)
    entry = read_ledger(RELEASES / "registry.json").get(version)
    digest = _sha(RELEASES / version / "data" / "events.parquet")
    assert entry.files["data/events.parquet"].sha256 == digest  # the cited checksum is the file's
    assert version in text and entry.date in text and digest in text
    assert text.endswith("\n")


def test_bibtex_shape() -> None:
    text = cite("1.0.1", "bibtex", releases=RELEASES)
    assert text.startswith("@misc{openconflict_1_0_1,\n") and text.endswith("}\n")
    depth = 0
    for ch in text:
        depth += (ch == "{") - (ch == "}")
        assert depth >= 0
    assert depth == 0
    fields = dict(re.findall(r"^  (\w+)\s+= (.*?),?$", text, flags=re.M))
    assert fields["year"] == "{2026}" and fields["month"] == "nov" and fields["version"] == "{1.0.1}"
    assert fields["author"] == "{{OpenConflict contributors}}"  # an organisation, not "contributors, O."
    assert "SHA-256 of data/events.parquet" in fields["note"]


def test_apa_and_cff_shape() -> None:
    apa = cite("1.0.1", "apa", releases=RELEASES)
    assert "OpenConflict contributors. (2026). OpenConflict: political violence and protest events " \
           "(Version 1.0.1) [Data set]." in apa
    cff = yaml.safe_load(cite("1.0.1", "cff", releases=RELEASES))
    assert cff["cff-version"] == "1.2.0" and cff["type"] == "dataset"
    assert cff["version"] == "1.0.1" and str(cff["date-released"]) == "2026-11-24"
    sha = [i for i in cff["identifiers"] if i["type"] == "other"]
    assert sha == [{"type": "other", "value": "sha256:" + _sha(RELEASES / "1.0.1/data/events.parquet"),
                    "description": "SHA-256 of data/events.parquet of release 1.0.1"}]


def test_version_spellings_and_unknown_versions() -> None:
    versions = [e.version for e in read_ledger(RELEASES / "registry.json").entries]
    assert cite(f"v{versions[-1]}", "apa", releases=RELEASES) == cite(None, "apa", releases=RELEASES)  # the latest
    known = ", ".join(v.replace(".", r"\.") for v in versions)
    with pytest.raises(VersionNotFoundError, match=rf"'9\.9\.9'.*known versions: {known}"):
        cite("9.9.9", releases=RELEASES)
    with pytest.raises(ValueError, match="format='ris'"):
        cite("1.0.1", "ris", releases=RELEASES)


def test_edited_citation_file_is_refused(releases: Path) -> None:
    cff = releases / "1.0.1" / "CITATION.cff"
    cff.write_text(cff.read_text(encoding="utf-8").replace("OpenConflict contributors", "Someone Else"),
                   encoding="utf-8")
    with pytest.raises(LedgerError, match="does not match the ledger"):
        cite("1.0.1", releases=releases)


def test_release_not_on_this_machine_uses_the_ledger(releases: Path) -> None:
    shutil.rmtree(releases / "1.0.0")
    c = citation("1.0.0", releases=releases)
    entry = read_ledger(releases / "registry.json").get("1.0.0")
    assert (c.version, c.date, c.sha256) == ("1.0.0", entry.date, entry.files["data/events.parquet"].sha256)
    assert c.title.startswith("OpenConflict")  # from the newest local release's CITATION.cff
    for entry in read_ledger(releases / "registry.json").entries:
        if entry.version != "1.0.0":
            (releases / entry.version / "CITATION.cff").unlink()
    with pytest.raises(LedgerError, match="no CITATION.cff.*openconflict download 1.0.0"):
        cite("1.0.0", releases=releases)


def test_doi_people_and_tex_escaping(releases: Path) -> None:
    """A new release written with the ledger's own writer, whose CITATION.cff has a DOI and people."""
    new = str(next_version(read_ledger(releases / "registry.json").latest.version, "patch"))
    folder = releases / new
    (folder / "data").mkdir(parents=True)
    shutil.copy(releases / "1.0.1/data/events.parquet", folder / "data/events.parquet")
    (folder / "CITATION.cff").write_text(
        'cff-version: 1.2.0\nmessage: "SYNTHETIC test release"\ntype: dataset\n'
        'title: "SYNTHETIC events & 100% of_them {braced}"\n'
        "authors:\n  - family-names: M\u00fcller\n    given-names: Anna Maria\n"
        "  - family-names: Berg\n    given-names: Li\n    name-particle: van den\n"
        '  - name: "SYNTHETIC Lab"\n'
        f'version: "{new}"\ndate-released: "2026-12-01"\nlicense: CC-BY-4.0\n'
        "doi: 10.5281/zenodo.0000000\nrepository-code: https://example.invalid/synthetic\n", encoding="utf-8")
    append_release(releases, new, "2026-12-01", 198, folder_files(folder))

    bib = cite(new, "bibtex", releases=releases)
    assert r"SYNTHETIC events \& 100\% of\_them \{braced\}" in bib
    assert "author       = {M\u00fcller, Anna Maria and van den Berg, Li and {SYNTHETIC Lab}}" in bib
    assert "doi          = {10.5281/zenodo.0000000}" in bib and "month        = dec" in bib
    apa = cite(new, "apa", releases=releases)
    assert apa.startswith("M\u00fcller, A. M., van den Berg, L., & SYNTHETIC Lab. (2026). SYNTHETIC events")
    assert "https://doi.org/10.5281/zenodo.0000000" in apa
    cff = yaml.safe_load(cite(new, "cff", releases=releases))
    assert cff["doi"] == "10.5281/zenodo.0000000" and cff["authors"][0]["family-names"] == "M\u00fcller"


def test_releases_folder_from_the_environment(releases: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENCONFLICT_RELEASES", str(releases))
    assert releases_root() == releases
    assert releases_root(RELEASES) == RELEASES


def test_cite_command() -> None:
    runner = CliRunner()
    ok = runner.invoke(cite_command, ["1.0.1", "--format", "apa"], env={"OPENCONFLICT_RELEASES": str(RELEASES)})
    assert ok.exit_code == 0 and ok.output == cite("1.0.1", "apa", releases=RELEASES)
    bad = runner.invoke(cite_command, ["7.7.7"], env={"OPENCONFLICT_RELEASES": str(RELEASES)})
    assert bad.exit_code == 1 and "Error: " in bad.output and "7.7.7" in bad.output
    assert "Traceback" not in bad.output
    wrong = runner.invoke(cite_command, ["--format", "ris"])
    assert wrong.exit_code == 2 and "'ris' is not one of" in wrong.output


# ----------------------------------------------------------------------------------------------- summary


def test_summary_counts_match_the_data() -> None:
    folder = RELEASES / "1.0.1"
    events = pd.read_parquet(folder / "data/events.parquet")
    sources = pd.read_parquet(folder / "data/sources.parquet")
    d = summary_data(folder)
    assert d["events"] == len(events) and d["fatalities"] == events["fatalities"].sum()
    assert d["first_date"] == str(events["event_date"].min()) and d["last_date"] == str(events["event_date"].max())
    assert d["event_types"] == events["event_type"].value_counts().to_dict()
    assert d["admin1"] == events["admin1"].value_counts().to_dict()
    assert d["reports"] == len(sources) and d["publishers"] == sources["publisher"].nunique()
    assert d["bbox"] == [events["longitude"].min(), events["latitude"].min(),
                         events["longitude"].max(), events["latitude"].max()]
    json.dumps(d)  # the --json form must serialise

    text = summary(folder)
    assert text.startswith("OpenConflict 1.0.1 (released 2026-11-24)\n")
    assert f"Events:      {len(events)}, {d['first_date']} to {d['last_date']}" in text
    for name, count in d["event_types"].items():
        assert f"{name} {count}" in text
    assert "Creative Commons Attribution 4.0 (CC-BY-4.0)" in text
    assert str((folder / "codebook.md").resolve()) in text
    assert _sha(folder / "data/events.parquet") in text and "openconflict cite 1.0.1" in text


def test_summary_of_a_lone_folder_and_of_no_release(tmp_path: Path) -> None:
    lone = Path(shutil.copytree(RELEASES / "1.0.1", tmp_path / "1.0.1"))  # no ledger beside it
    text = summary(lone)
    assert "Events:      198" in text and "Cite as" not in text
    with pytest.raises(FileNotFoundError, match="is it a release folder"):
        summary(tmp_path / "nothing")
    (lone / "datapackage.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match="not valid JSON"):
        summary(lone)
