"""The loader's place in the module layers: light to import, and never importing the build side."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from loader_fixtures import subprocess_env

import openconflict.loader as L

LOADER = Path(L.__file__).resolve().parent
#: What the loader may import from the package: the leaves, the schema and the ledger, and itself.
ALLOWED = {"openconflict", "openconflict.changeset", "openconflict.errors", "openconflict.config", "openconflict.versions",
           "openconflict.files", "openconflict.schema", "openconflict.ledger"}
#: The one exception: ``load_events(output="geopandas")`` builds its GeoDataFrame with the map exporter's
#: ``to_geopandas`` (one geometry rule for the package). It is allowed because export_geo is itself a leaf:
#: it imports no openconflict module at all (checked below), so the loader still never reaches the build side.
GEO = "openconflict.export_geo"


def test_import_does_not_load_pandas_pyarrow_or_the_network() -> None:
    code = (
        "import sys, openconflict, openconflict.loader\n"
        "heavy = [m for m in ('pandas', 'pyarrow', 'polars', 'duckdb', 'dask', 'platformdirs', 'urllib.request',"
        " 'ssl', 'openconflict.release', 'openconflict.validate', 'openconflict.curated') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "assert callable(openconflict.load_events) and callable(openconflict.versions)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], env=subprocess_env(), capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr


def test_loader_imports_only_leaves_schema_and_ledger() -> None:
    bad = []
    for path in sorted(LOADER.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] if node.level == 0 else [f"relative:{node.module}"]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                if name.startswith("relative:"):
                    bad.append(f"{path.name}: relative import {name}")
                elif name.startswith("openconflict") and not (name in ALLOWED | {GEO}
                                                              or name.startswith("openconflict.loader")):
                    bad.append(f"{path.name}: {name}")
    assert bad == []


def test_the_map_exporter_the_loader_uses_imports_nothing_of_ours() -> None:
    import openconflict.export_geo as geo

    tree = ast.parse(Path(geo.__file__).read_text(encoding="utf-8"))
    ours = [getattr(n, "module", None) or ",".join(a.name for a in n.names) for n in ast.walk(tree)
            if isinstance(n, (ast.Import, ast.ImportFrom))
            and ((isinstance(n, ast.ImportFrom) and (n.level or (n.module or "").startswith("openconflict")))
                 or (isinstance(n, ast.Import) and any(a.name.startswith("openconflict") for a in n.names)))]
    assert ours == []


def test_every_loader_module_is_small() -> None:
    sizes = {p.name: len(p.read_text(encoding="utf-8").splitlines()) for p in LOADER.glob("*.py")}
    assert max(sizes.values()) <= 400, sizes
