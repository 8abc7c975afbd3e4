"""The wheel, built and installed into a fresh virtual environment, loads the bundled release offline.

Why this test exists: researchers `pip install openconflict` and expect `load_events()` to work on a plane.
The wheel must carry the registry, the schema and the latest release; nothing may touch the network.
"""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

NO_NETWORK = """
import socket
def _refuse(*args, **kwargs):
    raise OSError("network disabled by the test")
socket.socket.connect = _refuse
socket.socket.connect_ex = _refuse
socket.create_connection = _refuse
"""

CHECK = NO_NETWORK + """
import json, sys
import openconflict
from openconflict import loader
df = openconflict.load_events()
v = openconflict.versions()
print(json.dumps({
    "file": openconflict.__file__,
    "rows": int(len(df)),
    "date_dtype": str(df["event_date"].dtype),
    "versions": [str(x) for x in v["version"]],
}))
"""


@pytest.mark.slow
def test_wheel_installs_and_loads_bundled_release_offline(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), str(REPO)],
                   check=True, capture_output=True, text=True)
    wheels = list(dist.glob("openconflict-*.whl"))
    assert len(wheels) == 1
    import zipfile

    names = zipfile.ZipFile(wheels[0]).namelist()
    registry = json.loads((REPO / "build" / "releases" / "registry.json").read_text())
    latest = registry["releases"][-1]
    assert "openconflict/_releases/registry.json" in names
    assert "openconflict/_schema/event.schema.json" in names
    for rel in latest["files"]:
        assert f"openconflict/_releases/{latest['version']}/{rel}" in names

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    site = next((env_dir / "lib").glob("python3*/site-packages"))
    # Dependencies (pandas, pyarrow, ...) come from this test environment, the package itself only from the wheel.
    (site / "_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
                    "--target", str(site), str(wheels[0])], check=True)
    env = {"PATH": "/usr/bin:/bin", "OPENCONFLICT_CACHE": str(tmp_path / "empty-cache"), "HOME": str(tmp_path)}
    out = subprocess.run([str(env_dir / "bin" / "python"), "-c", CHECK], capture_output=True, text=True, env=env,
                         cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["file"].startswith(str(site))
    assert got["rows"] == latest["events"]
    assert got["date_dtype"].startswith("datetime64")
    assert got["versions"] == [r["version"] for r in registry["releases"]]


def test_bundle_choice_counts_the_ledgers_file_bytes() -> None:
    """The wheel bundles the latest release always, then earlier ones newest first while the total fits."""
    sys.path.insert(0, str(REPO))
    try:
        from hatch_build import choose_bundled
    finally:
        sys.path.remove(str(REPO))
    ledger = json.loads((REPO / "build" / "releases" / "registry.json").read_text())["releases"]
    total = sum(f["bytes"] for e in ledger for f in e["files"].values())
    assert choose_bundled(ledger, limit=total) == ledger
    assert choose_bundled(ledger, limit=total - 1) == ledger[1:]  # the oldest no longer fits
    assert choose_bundled(ledger, limit=0) == ledger[-1:]  # the latest always ships
