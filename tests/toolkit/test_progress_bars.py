"""Progress bars: drawn on a real terminal (a pseudo-terminal), silent on files, pipes, closed streams,
with quiet, and for small work."""

from __future__ import annotations

import fcntl
import io
import os
import pty
import select
import struct
import termios
import time

import pytest

from openconflict.progress import is_terminal, progress


def _drain(fd: int, timeout: float = 1.0) -> bytes:
    out = b""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        ready, _, _ = select.select([fd], [], [], 0.05)
        if not ready:
            if out:
                break
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    return out


@pytest.fixture
def terminal():
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a terminal has a size
    stream = os.fdopen(slave, "w", encoding="utf-8", buffering=1)
    yield master, stream
    stream.close()
    os.close(master)


def test_draws_on_a_terminal(terminal) -> None:
    master, stream = terminal
    assert is_terminal(stream)
    assert list(progress(range(50), desc="SYNTHETIC export", stream=stream)) == list(range(50))
    stream.flush()
    shown = _drain(master).decode("utf-8", "replace")
    assert "SYNTHETIC export" in shown and "/50" in shown


def test_bytes_are_shown_in_binary_units(terminal) -> None:
    master, stream = terminal
    with progress(total=8 << 20, desc="download", unit="B", stream=stream) as bar:
        for _ in range(8):
            bar.update(1 << 20)
    stream.flush()
    assert "/8.00M" in _drain(master).decode("utf-8", "replace")  # 8 MiB in binary units, not 8388608


@pytest.mark.parametrize("kwargs", [{"quiet": True}, {"min_total": 1_000}])
def test_silent_when_quiet_or_small(terminal, kwargs) -> None:
    master, stream = terminal
    assert sum(progress(range(100), desc="SYNTHETIC", stream=stream, **kwargs)) == sum(range(100))
    stream.flush()
    assert _drain(master, timeout=0.3) == b""


def test_silent_on_files_pipes_and_closed_streams(tmp_path) -> None:
    buffer = io.StringIO()
    with progress(total=10, desc="SYNTHETIC", stream=buffer) as bar:
        bar.update(10)
    assert buffer.getvalue() == ""
    read, write = os.pipe()
    with os.fdopen(write, "w") as pipe:
        assert not is_terminal(pipe)
        list(progress(range(10), stream=pipe))
    with os.fdopen(read) as r:
        assert r.read() == ""
    path = tmp_path / "log.txt"
    with open(path, "w") as fh:
        list(progress(range(10), stream=fh))
    assert path.read_text() == ""
    closed = io.StringIO()
    closed.close()
    assert not is_terminal(closed) and not is_terminal(None) and not is_terminal(object())  # type: ignore[arg-type]
    assert list(progress(range(3), stream=closed)) == [0, 1, 2]
