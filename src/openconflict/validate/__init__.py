"""The validator: every rule of the curated tables, column-wise over whole tables.

Why column-wise: a rule is a pyarrow.compute expression producing a mask of offending rows, so a million
events are checked in a few seconds and no rule loops over rows in Python; the report keeps problems as
batches and makes objects only for what it shows. The modules: ``rules`` (the catalogue), ``kernels``,
``emit``, ``fields`` (from the Table Schema), ``events`` and ``registries`` (table rules), ``history``
(tombstones of published releases), ``suggest`` ("did you mean"), ``run`` (orchestration) and
``release_record`` (the per-record check of the jsonschema differential test).
"""

from __future__ import annotations

from ..problems import Problem, Report, Severity
from ..schema import load_schema
from .release_record import check_release_events
from .rules import CATALOGUE, RULES, Rule, explain
from .run import validate, validate_curated

__all__ = ["CATALOGUE", "RULES", "Problem", "Report", "Rule", "Severity", "check_release_events", "explain",
           "load_schema", "validate", "validate_curated"]
