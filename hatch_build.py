"""Wheel build hook: ship the published schema and the releases the loader needs offline.

Why a hook: the schema and releases live at the top of the repository (where curators and researchers
look for them), but an installed package must carry them. Releases are bundled while all of them
together stay under ``BUNDLE_LIMIT`` bytes; beyond that only the latest is bundled and older versions are
fetched from a mirror. The ledger (registry.json) always ships.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

BUNDLE_LIMIT = 20 * 1024 * 1024


def choose_bundled(entries: list[dict[str, Any]], limit: int = BUNDLE_LIMIT) -> list[dict[str, Any]]:
    """All releases if they fit under ``limit``, else only the latest (the ledger's last entry).

    A ledger entry lists each file's bytes (format 2 has no per-release total), so the total is their sum.
    """
    total = sum(int(f["bytes"]) for e in entries for f in e.get("files", {}).values())
    return list(entries) if total <= limit else list(entries[-1:])


class BundleHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        root = Path(self.root)
        include = build_data.setdefault("force_include", {})
        include[str(root / "schema")] = "openconflict/_schema"
        releases = root / "build" / "releases"
        registry = releases / "registry.json"
        if not registry.is_file():
            return
        include[str(registry)] = "openconflict/_releases/registry.json"
        entries = json.loads(registry.read_text(encoding="utf-8"))["releases"]
        for entry in choose_bundled(entries):
            include[str(releases / entry["version"])] = f"openconflict/_releases/{entry['version']}"
