"""A researcher's install (no 'curate' extra) loads, exports and diffs; curator commands name the extra.

Why an import blocker rather than a scratch virtual environment: a fresh environment with pandas and pyarrow
takes minutes to install; a finder at the front of ``sys.meta_path`` that refuses ``frictionless`` and
``jsonschema`` is exactly what Python sees when they are not installed, and it fails loudly if any code
path (at import or later) reaches for them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CURATE_ONLY = ("frictionless", "jsonschema")

BLOCKER = f"""
import importlib.abc, sys
class RefuseCurateExtra(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {CURATE_ONLY!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}} (blocked by the test)", name=name)
        return None
sys.meta_path.insert(0, RefuseCurateExtra())
for _m in list(sys.modules):
    assert _m.split(".")[0] not in {CURATE_ONLY!r}
"""


def _python(code: str, *args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OPENCONFLICT_CACHE": str(tmp_path / "cache"), "OPENCONFLICT_OFFLINE": "1",
           "PYTHONPATH": str(REPO / "src")}
    return subprocess.run([sys.executable, "-c", BLOCKER + code, *args], capture_output=True, text=True,
                          cwd=tmp_path, env=env, timeout=300)


def test_the_blocker_really_blocks(tmp_path: Path) -> None:
    out = _python("import frictionless", tmp_path=tmp_path)
    assert out.returncode != 0 and "blocked by the test" in out.stderr


def test_loading_works_without_frictionless_and_jsonschema(tmp_path: Path) -> None:
    code = """
import openconflict
df = openconflict.load_events("1.0.1", country="Syria", start="2016-01-01")
assert len(df) > 0 and str(df["event_date"].dtype).startswith("datetime64")
assert openconflict.load_events("1.0.1", output="arrow").num_rows == 198
for name in ("actors", "locations", "sources", "deletions", "changes"):
    openconflict.load_table(name, "1.0.1")
openconflict.versions(); openconflict.changes("1.0.0", "1.0.1"); openconflict.verify("1.0.1")
from openconflict.analysis import aggregate, to_long, to_wide
aggregate(df, by=("admin1", "month")); to_wide(to_long(df))
assert not [m for m in sys.modules if m.split(".")[0] in ("frictionless", "jsonschema")]
print("ok")
"""
    out = _python(code, tmp_path=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def _cli(*args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return _python("from openconflict.cli import run; sys.argv[0] = 'openconflict'; run()", *args,
                   tmp_path=tmp_path)


def test_researcher_verbs_work_without_the_curate_extra(tmp_path: Path) -> None:
    for args in (["versions"], ["info", "1.0.1"], ["diff", "1.0.0", "1.0.1"], ["cite", "1.0.1"],
                 ["export", "1.0.1", "-o", str(tmp_path / "e.csv")],
                 ["export", "1.0.1", "-o", str(tmp_path / "e.geojson")]):
        out = _cli(*args, tmp_path=tmp_path)
        assert out.returncode == 0, (args, out.stderr)
        assert "Traceback" not in out.stderr


def test_build_names_the_curate_extra_when_it_is_missing(tmp_path: Path) -> None:
    (tmp_path / "datasets").mkdir()
    out = _cli("build", tmp_path=tmp_path)
    assert out.returncode == 1
    assert "Traceback" not in out.stderr
    assert "'curate' extra" in out.stderr and 'pip install -e ".[curate]"' in out.stderr
    assert "frictionless" in out.stderr


def test_an_import_of_a_missing_extra_deep_in_a_verb_names_the_extra(tmp_path: Path) -> None:
    """Whatever verb reaches for jsonschema (or any extra's module) says which extra to install."""
    code = """
import click
from openconflict.cli import main
@main.command("needs-jsonschema")
def needs():
    import jsonschema  # noqa: F401
sys.argv[0] = "openconflict"
from openconflict.cli import run
run()
"""
    out = _python(code, "needs-jsonschema", tmp_path=tmp_path)
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert "'curate' extra" in out.stderr and "jsonschema" in out.stderr


def test_base_dependencies_leave_the_curator_tools_to_the_curate_extra() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = [d.split(">")[0].split("[")[0].strip() for d in project["dependencies"]]
    assert not set(names) & {"frictionless", "jsonschema", "krippendorff"}
    extras = project["optional-dependencies"]
    curate = set(extras["curate"])
    assert {d.split(">")[0] for d in curate} == {"frictionless", "jsonschema", "krippendorff", "matplotlib", "pyyaml",
                                                 "isal"}
    assert curate <= set(extras["test"]), "the test extra must include everything of the curate extra"


def test_readme_first_command_installs_what_build_needs() -> None:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    first = text.split("```bash\n", 1)[1].split("```", 1)[0].splitlines()
    assert len(first) == 2
    assert 'pip install -e ".[curate]" && openconflict build' in first[0]
    assert 'pip install -e ".[test]" && pytest' in first[1]
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert 'pip install -q -e ".[test]"' in ci and "python -m pytest" in ci
