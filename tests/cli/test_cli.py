"""The command line as a curator and a researcher use it: real subprocesses, real files."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[2]


def run(*args: str, cwd: Path = REPO, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "openconflict", *args], capture_output=True, text=True, cwd=cwd,
                          env=full_env, timeout=300)


@pytest.mark.parametrize("verb", ["validate", "build", "diff", "versions", "info", "download", "update", "verify",
                                  "codebook", "export", "archive", "publish", "lookup", "new"])
def test_every_verb_has_help(verb: str) -> None:
    out = run(verb, "--help")
    assert out.returncode == 0 and "Usage:" in out.stdout and verb in out.stdout


def test_build_without_version_is_a_dry_run_that_writes_nothing(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(REPO / "datasets", repo / "datasets")
    shutil.copytree(REPO / "build" / "releases", repo / "build" / "releases")
    before = sorted(p.relative_to(repo).as_posix() for p in repo.rglob("*"))
    out = run("build", cwd=repo)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("dry run")
    after = sorted(p.relative_to(repo).as_posix() for p in repo.rglob("*"))
    def strip(paths: list[str]) -> list[str]:
        return [p for p in paths if not p.endswith(".build.lock")]

    assert strip(after) == strip(before)


def test_build_refuses_an_existing_version(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(REPO / "datasets", repo / "datasets")
    shutil.copytree(REPO / "build" / "releases", repo / "build" / "releases")
    out = run("build", "--version", "1.0.0", cwd=repo)
    assert out.returncode == 1 and "already exists" in out.stderr


def test_researcher_verbs_on_committed_releases(tmp_path: Path) -> None:
    env = {"OPENCONFLICT_CACHE": str(tmp_path / "cache"), "OPENCONFLICT_OFFLINE": "1"}
    versions = run("versions", env=env)
    assert versions.returncode == 0 and "1.0.0" in versions.stdout and "0.1.0" in versions.stdout
    info = json.loads(run("info", "0.1.0", "--json", env=env).stdout)
    assert info["version"] == "0.1.0" and info["events"] == 2 and info["summary"]["events"] == 2
    diff = run("diff", "0.1.0", "1.0.0", env=env)
    assert diff.returncode == 0 and "0 modified, 0 deleted" in diff.stdout
    assert run("verify", "--local", "all", env=env).returncode == 0
    assert run("download", "1.0.0", env=env).returncode == 0


@pytest.mark.parametrize("fmt", ["csv", "parquet", "jsonl", "dta"])
def test_export_round_trips(fmt: str, tmp_path: Path) -> None:
    target = tmp_path / f"events.{fmt}"
    out = run("export", "1.0.0", "-o", str(target), "--country", "Syria", "--start", "2016-01-01",
              env={"OPENCONFLICT_CACHE": str(tmp_path / "cache")})
    assert out.returncode == 0, out.stderr
    n = int(out.stdout.split()[1])
    reader = {"csv": pd.read_csv, "parquet": pd.read_parquet, "dta": pd.read_stata,
              "jsonl": lambda p: pd.read_json(p, lines=True)}[fmt]
    df = reader(target)
    assert len(df) == n > 0
    assert "event_id_cnty" in df.columns
    assert (pd.to_datetime(df["event_date"]) >= "2016-01-01").all()
