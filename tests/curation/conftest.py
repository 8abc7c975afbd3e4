"""pytest wiring for the curator-tool tests; helpers live in curation_fixtures.py."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from curation_fixtures import DATASETS, copy_datasets, tree_digest, write_synthetic_tree  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def real_datasets_untouched() -> Iterator[None]:
    """No curator test may change a byte of the real datasets folder."""
    before = tree_digest(DATASETS)
    yield
    assert tree_digest(DATASETS) == before, "a curator test changed the real datasets/ folder"


@pytest.fixture
def real_copy(tmp_path: Path) -> Path:
    """A private copy of the real datasets folder."""
    return copy_datasets(tmp_path)


@pytest.fixture
def synthetic(tmp_path: Path) -> Path:
    """A small SYNTHETIC datasets tree (events SYR1-SYR3, no releases beside it)."""
    return write_synthetic_tree(tmp_path / "syn")
