"""The report sits on top of a finished release folder: rendering imports neither the build side nor the
loader, and ``import openconflict.reporting`` itself loads no heavy package."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from report_fixtures import RELEASES

REPO = Path(__file__).resolve().parents[2]
CODE = """
import json, sys
from pathlib import Path
import openconflict.reporting, openconflict.reporting.cli
light = sorted(m for m in ("pandas", "pyarrow", "matplotlib", "numpy") if m in sys.modules)
openconflict.reporting.render_report(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
ours = sorted(m for m in sys.modules if m.startswith("openconflict."))
print(json.dumps({"light": light, "ours": ours}))
"""


def test_rendering_uses_only_the_leaves_schema_and_ledger(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    out = subprocess.run([sys.executable, "-c", CODE, str(RELEASES / "1.0.1"), str(tmp_path), str(RELEASES / "1.0.0")],
                         capture_output=True, text=True, env=env, check=True, timeout=240)
    info = json.loads(out.stdout.strip().splitlines()[-1])
    assert info["light"] == []
    allowed = {"openconflict.errors", "openconflict.config", "openconflict.versions", "openconflict.files",
               "openconflict.schema", "openconflict.ledger"}
    stray = [m for m in info["ours"] if not m.startswith("openconflict.reporting") and m not in allowed]
    assert stray == []
