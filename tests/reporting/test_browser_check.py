"""tools/check_report_browser.py against a real headless Chromium: the latest release's report loads
cleanly, and a page with a broken image, a console error and a remote image is refused.

Skipped where Chromium (the system package) or the websockets package is missing.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TOOL = REPO / "tools" / "check_report_browser.py"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = pytest.mark.skipif(CHROMIUM is None or importlib.util.find_spec("websockets") is None,
                                reason="needs Chromium (apt-get install chromium) and the websockets package")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(TOOL), "--chromium", str(CHROMIUM), *args], capture_output=True,
                          text=True, timeout=180, cwd=REPO)


def test_latest_report_loads_cleanly_and_is_screenshotted(tmp_path: Path) -> None:
    shot = tmp_path / "shot.png"
    proc = run("--screenshot", str(shot), "--height", "600")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_broken_page_is_refused(tmp_path: Path) -> None:
    page = tmp_path / "bad.html"
    page.write_text('<!DOCTYPE html><html><head><meta charset="utf-8"><title>bad</title></head><body>'
                    '<img id="broken" src="data:image/png;base64,AAAA">'
                    '<img id="remote" src="https://example.invalid/x.png">'
                    '<script>console.error("boom")</script></body></html>', encoding="utf-8")
    proc = run(str(page), "--no-screenshot")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    out = proc.stdout
    assert "console error: boom" in out, proc.stdout + proc.stderr
    assert "image did not load: broken" in out and "image did not load: remote" in out
    assert "network request: https://example.invalid/x.png" in out


def test_a_browser_that_never_answers_is_no_verdict(tmp_path: Path) -> None:
    """A 'browser' that exits at once (here /bin/false) is tried again, then reported as exit 2: the page
    was not judged, and no traceback reaches the user."""
    page = tmp_path / "ok.html"
    page.write_text("<!DOCTYPE html><html><body>x</body></html>", encoding="utf-8")
    proc = subprocess.run([sys.executable, str(TOOL), "--chromium", "/bin/false", str(page), "--no-screenshot"],
                          capture_output=True, text=True, timeout=120, cwd=REPO)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "could not run" in proc.stderr and proc.stderr.count("did not complete the check") == 3
    assert "Traceback" not in proc.stderr and proc.stdout == ""
