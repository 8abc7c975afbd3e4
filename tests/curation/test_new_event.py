"""``new event``: the next never-used id, today's ``updated``, the right monthly file, an immediate verdict."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from curation_fixtures import (
    RELEASES,
    REPO,
    event_args,
    invoke,
    synthetic_event,
    tree_digest,
    write_synthetic_tree,
)

from openconflict.curation.ids import next_event_id
from openconflict.errors import CurationError
from openconflict.ledger import read_ledger
from openconflict.validate import validate


def rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def published_max() -> int:
    """The highest SYR number in any published release, read independently of the tool."""
    ledger = read_ledger(RELEASES / "registry.json")
    nums = []
    for e in ledger.entries:
        ids = pq.read_table(RELEASES / e.version / "data" / "events.parquet").column("event_id_cnty").to_pylist()
        nums += [int(i[3:]) for i in ids if i.startswith("SYR")]
    return max(nums)


def test_a_complete_event_is_added_with_the_next_id_and_today(synthetic: Path) -> None:
    before = dt.datetime.now(dt.UTC).date()
    result = invoke(*event_args(synthetic))
    after = dt.datetime.now(dt.UTC).date()
    assert result.exit_code == 0, result.output
    assert result.output.startswith("added SYR4 to datasets/events/SYR/2015-10.csv line 5")
    new = rows(synthetic / "events" / "SYR" / "2015-10.csv")[-1]
    assert new["event_id"] == "SYR4" and new["event_date"] == "2015-10-20"
    assert new["updated"] in {f"{d.isoformat()}T00:00:00Z" for d in (before, after)}
    assert new["actor1"] == "Synthetic State Force (SYNTHETIC)" and new["source_ids"] == "syn-20151001-report"
    report, _ = validate([synthetic])
    assert report.ok, report.to_text()


def test_tombstoned_ids_are_never_reused(tmp_path: Path) -> None:
    root = write_synthetic_tree(tmp_path, deletions=[
        {"event_id": "SYR9", "deleted_in": "0.1.0", "reason": "SYNTHETIC duplicate"}])
    assert next_event_id(root, tmp_path / "no-releases", "SYR") == "SYR10"
    assert invoke(*event_args(root)).output.startswith("added SYR10 ")


def test_published_ids_are_never_reused_even_when_gone_from_the_tree(real_copy: Path) -> None:
    top = published_max()
    # Drop every curated event from the copy: only the releases remember the ids now.
    for path in (real_copy / "events").rglob("*.csv"):
        text = path.read_text(encoding="utf-8")
        path.write_text(text.splitlines(keepends=True)[0], encoding="utf-8")
    assert next_event_id(real_copy, RELEASES, "SYR") == f"SYR{top + 1}"
    assert next_event_id(real_copy, RELEASES, "IRQ") == "IRQ1"


def test_the_curated_maximum_wins_when_above_the_releases(real_copy: Path) -> None:
    path = real_copy / "events" / "SYR" / "2016-12.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines) + lines[-1].replace(lines[-1].split(",")[0], "SYR99999", 1), encoding="utf-8")
    assert next_event_id(real_copy, RELEASES, "SYR") == "SYR100000"


def test_ids_in_misnamed_or_broken_files_still_count(synthetic: Path) -> None:
    (synthetic / "events" / "SYR" / "2015-10 copy.csv").write_text("event_id\nSYR40\n", encoding="utf-8")
    (synthetic / "events" / "SYR" / "2015-11.csv").write_text('event_id,notes\nSYR41,"unclosed\n', encoding="utf-8")
    assert next_event_id(synthetic, synthetic.parent / "none", "SYR") == "SYR42"


def test_a_release_the_ledger_lists_but_the_disk_lacks_is_an_error(synthetic: Path) -> None:
    releases = synthetic.parent / "build" / "releases"
    releases.mkdir(parents=True)
    shutil.copy(RELEASES / "registry.json", releases / "registry.json")
    before = tree_digest(synthetic)
    result = invoke(*event_args(synthetic))
    assert result.exit_code == 1 and "is in the ledger but" in result.output and "Traceback" not in result.output
    assert tree_digest(synthetic) == before
    with pytest.raises(CurationError):
        next_event_id(synthetic, releases, "SYR")


def test_the_real_releases_are_found_beside_the_datasets(real_copy: Path) -> None:
    shutil.copytree(RELEASES, real_copy.parent / "build" / "releases")
    curated = [int(r["event_id"][3:]) for f in (real_copy / "events").rglob("*.csv") for r in rows(f)]
    result = invoke(*event_args(real_copy, date="2016-12-30", location="SYR-aleppo", actor1="Islamic State",
                                actor2="Opposition Rebels (Syria)", source="aranews-20151014-aleppo-in-turmoil"))
    assert result.output.startswith(f"added SYR{max(published_max(), *curated) + 1} ")


def test_a_missing_month_file_is_created_with_its_header(synthetic: Path) -> None:
    result = invoke(*event_args(synthetic, date="2015-09-05"), "--set", "tags=synthetic tag")
    assert result.exit_code == 0, result.output
    path = synthetic / "events" / "SYR" / "2015-09.csv"
    assert "(new file)" in result.output and rows(path)[0]["tags"] == "synthetic tag"
    assert path.read_text(encoding="utf-8").startswith("event_id,event_date,time_precision,")


def test_a_crlf_file_stays_crlf(tmp_path: Path) -> None:
    root = write_synthetic_tree(tmp_path)
    path = root / "events" / "SYR" / "2015-10.csv"
    original = path.read_bytes().replace(b"\n", b"\r\n")
    path.write_bytes(original)
    assert invoke(*event_args(root)).exit_code == 0
    data = path.read_bytes()
    assert data.startswith(original) and data.endswith(b"\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"")
    report, _ = validate([root])
    assert report.ok, report.to_text()


def test_a_bad_row_is_kept_with_a_clear_message_and_exit_1(synthetic: Path) -> None:
    args = event_args(synthetic)
    args[args.index("--type") + 1] = "Battle"
    result = invoke(*args)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert "datasets/events/SYR/2015-10.csv:5: event_type: value.enum: not in the vocabulary; did you mean 'Battles'? (Battle)" in result.output
    assert "the new row has 1 error(s); the row was kept: fix it at datasets/events/SYR/2015-10.csv line 5" in result.output
    assert rows(synthetic / "events" / "SYR" / "2015-10.csv")[-1]["event_type"] == "Battle"


def test_a_dry_run_changes_nothing_and_gives_the_same_verdict(synthetic: Path) -> None:
    before = tree_digest(synthetic)
    good = invoke(*event_args(synthetic), "--dry-run")
    assert good.exit_code == 0 and good.output.startswith("would add SYR4 to datasets/events/SYR/2015-10.csv line 5")
    bad = invoke(*event_args(synthetic, fatalities="-3"), "--dry-run")
    assert bad.exit_code == 1 and "fatalities" in bad.output and "nothing was changed (dry run)" in bad.output
    assert tree_digest(synthetic) == before


@pytest.mark.parametrize(("args", "message"), [
    (["--date", "2015-02-30"], "--date must be a real date"),
    (["--date", "15-10-20"], "--date must be a real date"),
    (["--set", "nonsense=1"], "has no column nonsense"),
    (["--set", "novalue"], "--set takes COLUMN=VALUE"),
    (["--location", "alpha", "--date", "2015-10-20"], "the country is unknown"),
])
def test_refusals_write_nothing(synthetic: Path, args: list[str], message: str) -> None:
    before = tree_digest(synthetic)
    base = event_args(synthetic)
    for i in range(0, len(args), 2):
        if args[i] in base and args[i] != "--set":
            base[base.index(args[i]) + 1] = args[i + 1]
        else:
            base += args[i:i + 2]
    result = invoke(*base)
    assert result.exit_code in (1, 2) and message in result.output and "Traceback" not in result.output
    assert tree_digest(synthetic) == before


def test_lists_are_joined_with_semicolon_space(synthetic: Path) -> None:
    result = invoke(*event_args(synthetic), "--assoc-actor1", " Synthetic Rebels (SYNTHETIC) ", "--tag", "a",
                    "--tag", "b ")
    new = rows(synthetic / "events" / "SYR" / "2015-10.csv")[-1]
    assert new["assoc_actor_1"] == "Synthetic Rebels (SYNTHETIC)" and new["tags"] == "a; b"
    assert result.exit_code == 0, result.output


ADD_THREE = """
import sys
from pathlib import Path
from openconflict.curation.new import new_event
from openconflict.curation.tree import open_tree
tree = open_tree(Path(sys.argv[1]))
fields = {"event_date": "2015-10-21", "time_precision": "1", "event_type": "Battles", "sub_event_type": "Armed clash",
          "actor1": "Synthetic State Force (SYNTHETIC)", "location_id": "SYR-alpha", "geo_precision": "1",
          "fatalities": "0", "source_ids": "syn-20151001-report", "notes": "SYNTHETIC concurrent row"}
for _ in range(3):
    print(new_event(tree, fields, releases=Path(sys.argv[1]) / "none").key, flush=True)
"""


def test_concurrent_curators_get_different_ids(synthetic: Path) -> None:
    env_path = str(REPO / "src")
    procs = [subprocess.Popen([sys.executable, "-c", ADD_THREE, str(synthetic)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env={"PYTHONPATH": env_path, "PATH": "/usr/bin:/bin"})
             for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1] for o in outs]
    ids = [line for out, _ in outs for line in out.split()]
    assert sorted(ids, key=lambda i: int(i[3:])) == [f"SYR{n}" for n in range(4, 10)]
    in_file = [r["event_id"] for r in rows(synthetic / "events" / "SYR" / "2015-10.csv")]
    assert in_file[:3] == ["SYR1", "SYR2", "SYR3"] and sorted(in_file[3:]) == sorted(ids)


def test_json_free_output_mentions_other_errors_in_the_tree(synthetic: Path) -> None:
    path = synthetic / "events" / "SYR" / "2015-10.csv"
    bad = synthetic_event("SYR3", "2015-10-03", 3)
    bad["event_type"] = "Nonsense"
    text = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(text[:-1]) + ",".join(bad.get(c, "") for c in text[0].strip().split(",")) + "\n",
                    encoding="utf-8")
    result = invoke(*event_args(synthetic))
    assert result.exit_code == 0 and "the tree has 1 other error(s)" in result.output
    json.dumps(result.output)  # printable


def test_fatality_range_defaults_to_agreeing_reports(synthetic: Path) -> None:
    """Without range options the reports agree: best = high = the low figure; known iff it is above 0."""
    assert invoke(*event_args(synthetic, fatalities="4")).exit_code == 0
    assert invoke(*event_args(synthetic)).exit_code == 0
    four, none = rows(synthetic / "events" / "SYR" / "2015-10.csv")[-2:]
    assert (four["fatalities_best"], four["fatalities_high"], four["fatalities_known"]) == ("4", "4", "true")
    assert (none["fatalities_best"], none["fatalities_high"], none["fatalities_known"]) == ("0", "0", "false")


def test_an_explicit_no_deaths_and_a_stated_range_are_kept(synthetic: Path) -> None:
    notes = "SYNTHETIC: one report says 2 died, another 9"
    ok = invoke(*event_args(synthetic, fatalities="2", fatalities_high="9", notes=notes))
    zero = invoke(*event_args(synthetic, fatalities_known="true"))
    assert ok.exit_code == 0 and zero.exit_code == 0, ok.output + zero.output
    ranged, explicit = rows(synthetic / "events" / "SYR" / "2015-10.csv")[-2:]
    assert (ranged["fatalities"], ranged["fatalities_best"], ranged["fatalities_high"]) == ("2", "2", "9")
    assert (explicit["fatalities"], explicit["fatalities_known"]) == ("0", "true")


def test_a_high_figure_missing_from_the_notes_is_refused_at_once(synthetic: Path) -> None:
    before = tree_digest(synthetic)
    out = invoke(*event_args(synthetic, fatalities="2", fatalities_high="9"), "--dry-run")
    assert out.exit_code == 1 and "consistency.fatality-traceable" in out.output and "Traceback" not in out.output
    bad = invoke(*event_args(synthetic, fatalities="5", fatalities_best="3"), "--dry-run")
    assert bad.exit_code == 1 and "consistency.fatality-range" in bad.output
    yes = invoke(*event_args(synthetic, fatalities_known="yes"), "--dry-run")
    assert yes.exit_code == 2 and "'yes' is not one of 'true', 'false'" in yes.output
    assert tree_digest(synthetic) == before
