"""pytest wiring for the validator tests; the synthetic tree and its mutations live in validate_fixtures.py."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# Make validate_fixtures importable by name whatever pytest's import mode.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from validate_fixtures import copy_tree, write_tree  # noqa: E402


@pytest.fixture(scope="session")
def pristine_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The clean synthetic tree, written once; copy it before changing anything."""
    return write_tree(tmp_path_factory.mktemp("pristine"))


@pytest.fixture
def tree(pristine_tree: Path, tmp_path: Path) -> Path:
    """A private copy of the clean synthetic datasets folder (``tmp_path/datasets``)."""
    return copy_tree(pristine_tree, tmp_path)
