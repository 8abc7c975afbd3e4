"""The release stage's place in the module layers: it builds on the leaves, the ledger, curated and
validate, and never imports the loader side (loader, cache, registry)."""

from __future__ import annotations

import ast
from pathlib import Path

import openconflict.release as R

RELEASE = Path(R.__file__).resolve().parent
#: What release/ may import from the package. ``codebook`` supplies the vocabulary-synced Table Schemas
#: of the descriptor (it depends on ``schema`` only).
ALLOWED = {"openconflict", "openconflict.changeset", "openconflict.errors", "openconflict.config", "openconflict.versions",
           "openconflict.files", "openconflict.schema", "openconflict.ledger", "openconflict.curated",
           "openconflict.validate", "openconflict.problems", "openconflict.codebook",
           "openconflict.reporting"}  # the release report (reads release files; leaves, schema, ledger only)


def test_release_imports_only_lower_layers() -> None:
    bad = []
    for path in sorted(RELEASE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""] if node.level == 0 else [f"relative:{node.module}"]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                if name.startswith("relative:"):
                    bad.append(f"{path.name}: relative import {name}")
                elif name.startswith("openconflict") and not (name in ALLOWED or name.startswith("openconflict.release")):
                    bad.append(f"{path.name}: {name}")
    assert bad == []


def test_every_release_module_is_small() -> None:
    sizes = {p.name: len(p.read_text(encoding="utf-8").splitlines()) for p in RELEASE.glob("*.py")}
    assert max(sizes.values()) <= 300, sizes
