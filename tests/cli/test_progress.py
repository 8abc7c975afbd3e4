"""Long CLI work shows progress to a person at a terminal, and nothing on a pipe or with --quiet.

The terminal is a real pseudo-terminal; the work is SYNTHETIC (a generated frame of 150,000 rows) or the
committed datasets with the threshold lowered, so the test needs no million-event release.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import select
import shutil
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from openconflict.cli.curate import curated_events

REPO = Path(__file__).resolve().parents[2]

EXPORT = """
import sys
import pandas as pd
from openconflict.export import write_frame
n = 150_000  # SYNTHETIC rows, more than the export's progress threshold
frame = pd.DataFrame({"event_id_cnty": [f"SYN{i}" for i in range(n)], "fatalities": range(n)})
write_frame(frame, sys.argv[1], sys.argv[2], quiet=sys.argv[3] == "quiet")
"""


def _run_on_terminal(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[int, str]:
    """Run with stderr on a pseudo-terminal (stdout to a file); return the exit code and what it drew."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=slave, cwd=cwd, env=env)
    os.close(slave)
    shown = b""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            shown += chunk
        elif proc.poll() is not None:
            break
    code = proc.wait(timeout=60)
    os.close(master)
    return code, shown.decode("utf-8", "replace")


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO / "src"), "OPENCONFLICT_OFFLINE": "1"}


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_a_large_export_draws_a_bar_on_a_terminal(fmt: str, tmp_path: Path) -> None:
    target = tmp_path / f"synthetic.{fmt}"
    code, shown = _run_on_terminal([sys.executable, "-c", EXPORT, str(target), fmt, "loud"], tmp_path, _env())
    assert code == 0, shown
    assert f"export {fmt}" in shown and "/150000" in shown  # tqdm redraws at most 10 times a second
    assert target.stat().st_size > 0


def test_a_large_stata_export_prints_staged_status_on_a_terminal(tmp_path: Path) -> None:
    target = tmp_path / "synthetic.dta"
    code, shown = _run_on_terminal([sys.executable, "-c", EXPORT, str(target), "dta", "loud"], tmp_path, _env())
    assert code == 0, shown
    assert "export dta: writing 150,000 rows..." in shown and "export dta: done in" in shown
    code, shown = _run_on_terminal([sys.executable, "-c", EXPORT, str(target), "dta", "quiet"], tmp_path, _env())
    assert code == 0 and shown == ""


def test_quiet_and_pipes_draw_nothing(tmp_path: Path) -> None:
    code, shown = _run_on_terminal([sys.executable, "-c", EXPORT, str(tmp_path / "q.csv"), "csv", "quiet"],
                                   tmp_path, _env())
    assert code == 0 and shown == ""
    piped = subprocess.run([sys.executable, "-c", EXPORT, str(tmp_path / "p.csv"), "csv", "loud"],
                           capture_output=True, text=True, env=_env(), timeout=300)
    assert piped.returncode == 0 and piped.stderr == ""


def test_a_small_export_draws_nothing_even_on_a_terminal(tmp_path: Path) -> None:
    code, shown = _run_on_terminal([sys.executable, "-m", "openconflict", "export", "1.0.1", "-o",
                                    str(tmp_path / "e.csv")], tmp_path, {**_env(),
                                                                         "OPENCONFLICT_CACHE": str(tmp_path / "c")})
    assert code == 0 and "export csv" not in shown and "wrote 198 events" not in shown  # summary is stdout


def test_curated_events_counts_rows_not_headers(tmp_path: Path) -> None:
    folder = tmp_path / "events" / "SYN"
    folder.mkdir(parents=True)
    (folder / "2016-01.csv").write_bytes(b"event_id,x\r\nSYN1,a\r\nSYN2,b\r\n")
    (folder / "2016-02.csv").write_bytes(b"event_id,x\nSYN3,a")  # no final newline
    (folder / "2016-03.csv").write_bytes(b"event_id,x\n")
    assert curated_events(tmp_path) == 3


def test_a_large_build_prints_staged_status_on_a_terminal_only(tmp_path: Path) -> None:
    pytest.importorskip("frictionless")
    repo = tmp_path / "repo"
    shutil.copytree(REPO / "datasets", repo / "datasets")
    shutil.copytree(REPO / "build" / "releases", repo / "build" / "releases")
    lowered = ("import openconflict.cli.curate as c; c.BIG_BUILD = 10; "
               "from openconflict.cli import run; import sys; sys.argv[0] = 'openconflict'; run()")
    code, shown = _run_on_terminal([sys.executable, "-c", lowered, "build"], repo, _env())
    assert code == 0, shown
    assert "curated events; checking the published releases" in shown and "finished in" in shown
    code, shown = _run_on_terminal([sys.executable, "-c", lowered, "build", "--quiet"], repo, _env())
    assert code == 0 and "curated events" not in shown
    piped = subprocess.run([sys.executable, "-c", lowered, "build"], capture_output=True, text=True, cwd=repo,
                           env=_env(), timeout=300)
    assert piped.returncode == 0 and "curated events" not in piped.stderr


@pytest.fixture
def loopback_mirror(tmp_path: Path):
    """The committed releases served over HTTP on 127.0.0.1; this machine has only the latest bundled."""
    import functools
    import http.server
    import threading

    mirror = tmp_path / "mirror"
    shutil.copytree(REPO / "build" / "releases", mirror)
    local = tmp_path / "local-releases"
    shutil.copytree(REPO / "build" / "releases", local)
    latest = json.loads((local / "registry.json").read_text())["releases"][-1]["version"]
    for folder in local.iterdir():
        if folder.is_dir() and folder.name != latest:
            shutil.rmtree(folder)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(mirror))
    handler.log_message = lambda *a, **k: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    env = {**_env(), "OPENCONFLICT_OFFLINE": "0", "OPENCONFLICT_RELEASES": str(local),
           "OPENCONFLICT_URL": f"http://127.0.0.1:{server.server_address[1]}",
           "OPENCONFLICT_CACHE": str(tmp_path / "cache")}
    yield env
    server.shutdown()
    server.server_close()


LOWERED_DOWNLOAD = ("import openconflict.cli.research as r; r.BIG_DOWNLOAD = 0; "
                    "from openconflict.cli import run; import sys; sys.argv[0] = 'openconflict'; run()")


def test_a_download_draws_a_bar_on_a_terminal(loopback_mirror: dict[str, str], tmp_path: Path) -> None:
    code, shown = _run_on_terminal([sys.executable, "-c", LOWERED_DOWNLOAD, "download", "1.0.0"], tmp_path,
                                   loopback_mirror)
    assert code == 0, shown
    assert "download 1.0.0" in shown and ("B/s" in shown or "iB" in shown)
    assert (tmp_path / "cache").is_dir()


def test_a_piped_or_quiet_download_draws_nothing(loopback_mirror: dict[str, str], tmp_path: Path) -> None:
    piped = subprocess.run([sys.executable, "-c", LOWERED_DOWNLOAD, "download", "all"], capture_output=True,
                           text=True, env=loopback_mirror, timeout=300)
    assert piped.returncode == 0, piped.stderr
    published = json.loads((REPO / "build" / "releases" / "registry.json").read_text())["releases"]
    assert piped.stderr == "" and len(piped.stdout.splitlines()) == len(published)
    code, shown = _run_on_terminal([sys.executable, "-c", LOWERED_DOWNLOAD, "download", "0.1.0", "--force",
                                    "--quiet"], tmp_path, loopback_mirror)
    assert code == 0 and shown == ""


def test_the_download_watcher_follows_bytes_as_they_arrive(tmp_path: Path) -> None:
    from openconflict.cli.research import watching
    from openconflict.progress import progress

    folder = tmp_path / "1.2.3" / "data"
    folder.mkdir(parents=True)
    (folder / "already.csv").write_bytes(b"x" * 1000)  # there before: not counted
    seen = []
    master, slave = pty.openpty()  # a bar that draws: a disabled one does not count
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))
    with os.fdopen(slave, "w") as terminal, progress(total=10_000, stream=terminal) as bar, \
            watching(tmp_path / "1.2.3", bar, start=500, size=5000, every=0.01):
        part = folder / ".events.parquet.abc.part"
        for k in range(1, 7):
            with part.open("ab") as fh:
                fh.write(b"y" * 1000)
            expected = min(500 + 1000 * k, 5500)
            deadline = time.monotonic() + 10
            while bar.n < expected and time.monotonic() < deadline:
                time.sleep(0.01)
            seen.append(bar.n)
    os.close(master)
    assert seen == [1500, 2500, 3500, 4500, 5500, 5500]  # capped at start + size
