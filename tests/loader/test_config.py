"""Configuration mistakes are ConfigErrors naming the variable and the fix; a password is never echoed;
nothing but openconflict.config reads the environment."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from loader_fixtures import Mirror, serve, subprocess_env

import openconflict.loader as L
from openconflict.errors import ConfigError, DownloadError

pytestmark = pytest.mark.usefixtures("bundled_latest")

OLD = "0.1.0"
SRC = Path(L.__file__).resolve().parents[1]
SECRET = "s3cret-Pa55"


@pytest.mark.parametrize("name", ["OPENCONFLICT_TIMEOUT", "OPENCONFLICT_DEADLINE", "OPENCONFLICT_LOCK_WAIT"])
@pytest.mark.parametrize("value", ["nan", "inf", "abc", "-1", "0"])
def test_bad_seconds_are_config_errors(mirror: Mirror, monkeypatch: pytest.MonkeyPatch, name: str,
                                       value: str) -> None:
    monkeypatch.setenv(name, value)
    assert len(L.load_events()) > 0  # the bundled release needs no download, so no limit is read
    with pytest.raises(ConfigError, match=name) as info:
        L.load_events(OLD)
    assert "unset" in str(info.value)


@pytest.mark.parametrize("url", ["ftp://example.invalid/releases", "http://", "http://exa mple.invalid/r",
                                 "http://example.invalid:99999/r", "example.invalid/releases",
                                 "http://example.invalid/r?x=1"])
def test_a_malformed_mirror_url_is_a_config_error(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("OPENCONFLICT_URL", url)
    with pytest.raises(ConfigError, match="OPENCONFLICT_URL") as info:
        L.load_events(OLD)
    assert "http(s)" in str(info.value)


def test_a_bad_offline_flag_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENCONFLICT_OFFLINE", "perhaps")
    with pytest.raises(ConfigError, match="OPENCONFLICT_OFFLINE"):
        L.load_events(OLD)


def test_a_password_in_the_mirror_url_is_used_but_never_echoed(
        mirror: Mirror, monkeypatch: pytest.MonkeyPatch, isolated_env: Path) -> None:
    mirror.password = SECRET
    host = mirror.url.removeprefix("http://")
    monkeypatch.setenv("OPENCONFLICT_URL", f"http://reader:{SECRET}@{host}")
    assert len(L.load_events(OLD)) > 0  # sent as HTTP Basic authentication
    assert SECRET not in str(L.info(OLD))
    monkeypatch.setenv("OPENCONFLICT_URL", f"http://reader:wrong-{SECRET}@{host}")
    with pytest.raises(DownloadError, match="HTTP 401") as info:
        L.download("0.2.0")
    assert SECRET not in str(info.value) and "***" in str(info.value)
    out = subprocess.run([sys.executable, "-m", "openconflict", "download", "0.2.0"], capture_output=True,
                         text=True, env=subprocess_env(), timeout=120)
    assert out.returncode == 1 and SECRET not in out.stdout + out.stderr
    assert "Traceback" not in out.stderr and out.stderr.startswith("error: DownloadError")
    monkeypatch.setenv("OPENCONFLICT_URL", f"http://reader:{SECRET}@{host}:notaport/")
    with pytest.raises(ConfigError) as bad:
        L.download("0.2.0")
    assert SECRET not in str(bad.value)


def test_a_redirect_to_another_host_does_not_carry_the_password(
        mirror: Mirror, monkeypatch: pytest.MonkeyPatch) -> None:
    for other in serve(mirror.root):
        mirror.password = SECRET
        mirror.redirect_to = other.url
        mirror.faults["data/events.parquet"] = "redirect"
        monkeypatch.setenv("OPENCONFLICT_URL", f"http://reader:{SECRET}@{mirror.url.removeprefix('http://')}")
        assert len(L.load_events(OLD)) > 0  # followed, and verified against the ledger as always
        assert other.requests == [f"/{OLD}/data/events.parquet"] and other.authorizations == [None]


def test_cli_config_errors_are_one_line() -> None:
    out = subprocess.run([sys.executable, "-m", "openconflict", "download", OLD], capture_output=True, text=True,
                         env=subprocess_env(OPENCONFLICT_TIMEOUT="nan", OPENCONFLICT_URL="http://127.0.0.1:9"),
                         timeout=120)
    assert out.returncode == 1
    assert out.stderr.startswith("error: ConfigError: OPENCONFLICT_TIMEOUT='nan'") and "Traceback" not in out.stderr


def _reads_environment(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "putenv", "unsetenv"):
            found.append(f"{path.name}:{node.lineno}: os.{node.attr}")
    return found


def test_only_config_reads_the_environment_in_the_loader_and_researcher_cli() -> None:
    files = [*sorted((SRC / "loader").glob("*.py")), *sorted((SRC / "cli").glob("*.py")), SRC / "export.py",
             SRC / "__init__.py"]
    assert [hit for f in files for hit in _reads_environment(f)] == []


def test_no_message_tells_users_to_upgrade_from_a_package_index() -> None:
    repo = SRC.parents[1]
    for path in [*SRC.rglob("*.py"), repo / "README.md"]:
        text = path.read_text(encoding="utf-8")
        assert "pip install -U" not in text and "pip install --upgrade" not in text, path
