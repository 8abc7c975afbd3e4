"""The README documents every OPENCONFLICT_* variable exactly as openconflict.config defines it."""

from __future__ import annotations

import re
from pathlib import Path

from openconflict.config import VARIABLES

README = Path(__file__).resolve().parents[2] / "README.md"


def settings_table() -> str:
    """The table the README must hold, generated from config.VARIABLES."""
    head = "| variable | default | meaning |\n|---|---|---|\n"
    return head + "".join(f"| `{v.name}` | {v.default} | {v.meaning} |\n" for v in VARIABLES)


def test_readme_lists_every_variable_as_config_defines_it() -> None:
    text = README.read_text(encoding="utf-8")
    assert settings_table() in text
    documented = set(re.findall(r"^\| `(OPENCONFLICT_[A-Z_]+)` \|", text, flags=re.M))
    assert documented == {v.name for v in VARIABLES}


def test_every_variable_the_package_mentions_is_defined_in_config() -> None:
    src = README.parent / "src" / "openconflict"
    mentioned = {m for p in src.rglob("*.py") for m in re.findall(r"OPENCONFLICT_[A-Z_]+[A-Z]", p.read_text())}
    assert mentioned <= {v.name for v in VARIABLES}, mentioned - {v.name for v in VARIABLES}


def test_researchers_come_before_curators_and_the_first_commands_are_kept() -> None:
    text = README.read_text(encoding="utf-8")
    assert text.index("## For researchers") < text.index("## For curators")
    first = re.search(r"```bash\n(.*?)```", text, flags=re.S)
    assert first is not None and first.group(1) == (
        'python3 -m venv .venv && . .venv/bin/activate && pip install -e ".[curate]" && openconflict build\n'
        'python3 -m venv .venv && . .venv/bin/activate && pip install -e ".[test]" && pytest\n')
    for extra in ("polars", "duckdb", "dask", "all"):
        assert f".[{extra}]" in text or f"[{extra}]" in text
