"""Fixtures of the report tests (defined in report_fixtures.py, a uniquely named module, so that the
test folders' helpers never shadow each other on sys.path)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from report_fixtures import multi_country_release, synthetic_releases  # noqa: E402,F401
