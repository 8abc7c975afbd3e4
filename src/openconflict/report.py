"""Compatibility shim: the validation report moved to :mod:`openconflict.problems`.

Kept only so that ``release.py`` (owned by another branch) still imports; remove it once the release side
imports ``Report`` from ``openconflict.validate``. The name ``report`` is meant for a future HTML report.
"""

from __future__ import annotations

from .problems import Problem, Report, Severity

__all__ = ["Problem", "Report", "Severity"]
