"""pytest wiring for the loader tests; the builders and the HTTP mirror live in loader_fixtures.py."""

from __future__ import annotations

import sys
from pathlib import Path

# Make loader_fixtures and synthetic importable by name whatever pytest's import mode or the layout of tests/.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from loader_fixtures import (  # noqa: E402, F401 - fixtures are found by name in this module
    bundled_all,
    bundled_latest,
    bundled_old,
    isolated_env,
    mirror,
    releases,
)
