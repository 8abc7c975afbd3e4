"""The release step's frictionless check really refuses what frictionless refuses (issue 13)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from openconflict.errors import BuildError
from openconflict.release.write import FRICTIONLESS_FULL_ROWS, check_with_frictionless

REPO = Path(__file__).resolve().parents[2]
LATEST = REPO / "build" / "releases" / "2.0.0"


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    folder = tmp_path / "release"
    shutil.copytree(LATEST, folder)
    return folder


def test_a_published_release_passes(copy: Path) -> None:
    check_with_frictionless(copy, rows=FRICTIONLESS_FULL_ROWS)  # full row-by-row mode
    check_with_frictionless(copy, rows=FRICTIONLESS_FULL_ROWS + 1)  # sampled mode


@pytest.mark.parametrize("rows", [FRICTIONLESS_FULL_ROWS, FRICTIONLESS_FULL_ROWS + 1])
def test_a_value_outside_its_vocabulary_is_refused_in_either_mode(copy: Path, rows: int) -> None:
    events = copy / "data" / "events.csv"
    text = events.read_text(encoding="utf-8")
    lines = text.split("\n")
    lines[1] = lines[1].replace("Syria", "Syrja", 1)  # the country column carries an enum constraint
    events.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(BuildError, match="frictionless refuses the release"):
        check_with_frictionless(copy, rows=rows)


def test_full_mode_also_checks_bytes_and_hash(copy: Path) -> None:
    events = copy / "data" / "events.csv"
    data = bytearray(events.read_bytes())
    data[-40] = ord("X") if data[-40] != ord("X") else ord("Y")  # same size, other bytes, valid text
    events.write_bytes(bytes(data))
    with pytest.raises(BuildError, match="hash"):
        check_with_frictionless(copy, rows=FRICTIONLESS_FULL_ROWS)
