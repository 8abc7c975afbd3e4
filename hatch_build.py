"""Wheel build hook: ship the published schema and the releases the loader needs offline.

Why a hook: the schema and releases live at the top of the repository (where curators and researchers
look for them), but an installed package must carry them. The release ledger (``registry.json``, format 2,
in publication order) always ships; release folders are bundled newest first while their total size stays
under ``BUNDLE_LIMIT`` bytes (the latest always, so the first load works offline), and older versions are
fetched from a mirror. The ledger is read as plain JSON: the hook runs in the build environment, where the
package itself may not be importable.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

BUNDLE_LIMIT = 20 * 1024 * 1024


def release_size(entry: dict[str, Any]) -> int:
    """Total bytes of one ledger entry's files."""
    return sum(int(f["bytes"]) for f in entry["files"].values())


def choose_bundled(entries: list[dict[str, Any]], limit: int = BUNDLE_LIMIT) -> list[dict[str, Any]]:
    """The latest release and, newest first, every earlier one while the total stays under ``limit``.

    ``entries`` are the ledger's releases in publication order (the last is the latest).
    """
    chosen: list[dict[str, Any]] = []
    total = 0
    for entry in reversed(entries):
        size = release_size(entry)
        if chosen and total + size > limit:
            break
        chosen.append(entry)
        total += size
    return chosen[::-1]


def read_ledger_entries(path: Path) -> list[dict[str, Any]]:
    """The releases of a format-2 ledger; anything else stops the wheel build with a clear message."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or data.get("format") != 2 or not isinstance(data.get("releases"), list):
        raise ValueError(f"{path} is not a release ledger of format 2; the wheel cannot bundle releases")
    return data["releases"]


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
        for entry in choose_bundled(read_ledger_entries(registry)):
            include[str(releases / entry["version"])] = f"openconflict/_releases/{entry['version']}"
