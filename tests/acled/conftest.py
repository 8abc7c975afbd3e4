"""pytest wiring for the ACLED drop-in tests: the loader tests' SYNTHETIC tree builder and isolated settings."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "loader"))

from loader_fixtures import isolated_env  # noqa: E402, F401 - found by name: every test gets its own cache
