"""Which ledger the loader trusts: a mirror's is accepted only if it extends the bundled/cached one exactly.

The scenario of issue 9: a package built when 0.2.0 was the latest release meets a mirror that also holds
0.3.0. ``openconflict update`` must make 0.3.0 loadable, verified file by file, and usable offline
afterwards; a mirror that rewrites, drops or reorders a known release must be refused.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from loader_fixtures import Mirror, Releases, serve, subprocess_env

import openconflict.loader as L
from openconflict import ledger
from openconflict.errors import ChecksumError, LedgerError, OfflineError, VersionNotFoundError

pytestmark = pytest.mark.usefixtures("bundled_old")  # the package knows 0.1.0 and 0.2.0; 0.3.0 is new

NEW = "0.3.0"


def cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "openconflict", *args], capture_output=True, text=True,
                          env=subprocess_env(**env), timeout=120)


def forge(mirror: Mirror, entries: list[ledger.Entry]) -> None:
    """Serve a ledger of these entries, correctly re-chained (what a dishonest mirror would publish)."""
    chained: list[ledger.Entry] = []
    for e in entries:
        chained.append(ledger.Entry(e.version, e.date, e.events, e.files, chained[-1].digest if chained else None))
    (mirror.root / "registry.json").write_text(ledger.dumps(ledger.Ledger(tuple(chained))), encoding="utf-8")


def mirror_entries(mirror: Mirror) -> list[ledger.Entry]:
    return list(ledger.read_ledger(mirror.root / "registry.json").entries)


def test_update_makes_an_unknown_release_loadable_verified_and_offline_afterwards(
        releases: Releases, tmp_path: Path, isolated_env: Path) -> None:
    assert L.versions()["version"].tolist() == ["0.1.0", "0.2.0"]
    with pytest.raises(VersionNotFoundError, match="openconflict update"):
        L.load_events(NEW)  # no mirror named: the error says how to learn about new releases
    root = tmp_path / "mirror"
    shutil.copytree(releases.root, root)
    for m in serve(root):
        out = cli("update", OPENCONFLICT_URL=m.url)
        assert out.returncode == 0, out.stderr
        assert f"1 new release(s): {NEW}" in out.stdout
        assert m.requests == ["/registry.json"]  # the ledger only; files come when they are needed
        out = cli("download", NEW, OPENCONFLICT_URL=m.url)
        assert out.returncode == 0, out.stderr
        assert m.count(f"/{NEW}/data/events.parquet") == 1
    # The mirror is gone: the accepted ledger and the verified files serve the new release offline.
    accepted = isolated_env / "ledger.json"
    assert oct(accepted.stat().st_mode & 0o777) == "0o644"
    assert ledger.read_ledger(accepted).head == ledger.read_ledger(releases.root / "registry.json").head
    code = ("import openconflict as o, json; df = o.load_events('0.3.0'); v = o.verify('0.3.0'); "
            "print(json.dumps([len(df), sorted(set(v['status'])), o.versions()['version'].tolist()]))")
    run = subprocess.run([sys.executable, "-c", code], env=subprocess_env(OPENCONFLICT_OFFLINE="1"),
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    rows, statuses, known = json.loads(run.stdout)
    assert rows == releases.meta[NEW][1] and statuses == ["ok"] and known == ["0.1.0", "0.2.0", NEW]
    assert len(L.load_events(NEW)) == len(releases.rows[NEW])


def test_versions_refresh_and_unknown_versions_ask_the_mirror(mirror: Mirror, releases: Releases) -> None:
    assert set(L.load_events(NEW)["event_id_cnty"]) == set(releases.rows[NEW])  # learnt on demand
    assert mirror.count("/registry.json") == 1
    assert L.versions(refresh=True)["version"].tolist()[-1] == NEW
    assert L.update() == []  # nothing newer now


def test_refresh_offline_or_without_mirror_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(L.MirrorNotConfiguredError, match="OPENCONFLICT_URL"):
        L.versions(refresh=True)
    monkeypatch.setenv("OPENCONFLICT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("OPENCONFLICT_OFFLINE", "1")
    with pytest.raises(OfflineError):
        L.versions(refresh=True)


@pytest.mark.parametrize("attack", ["rewrite", "drop", "reorder", "truncate"])
def test_a_mirror_that_changes_known_history_is_refused(mirror: Mirror, isolated_env: Path, attack: str) -> None:
    entries = mirror_entries(mirror)
    known = entries[0]
    if attack == "rewrite":  # 0.1.0 claims another event count; the chain is recomputed so it is intact
        entries[0] = ledger.Entry(known.version, known.date, known.events + 1, known.files, None)
    elif attack == "drop":
        del entries[1]
    elif attack == "reorder":  # 0.2.0's files presented as 0.1.0's and vice versa
        a, b = entries[0], entries[1]
        entries[0] = ledger.Entry(a.version, a.date, a.events, b.files, None)
        entries[1] = ledger.Entry(b.version, b.date, b.events, a.files, None)
    else:  # a mirror that lags behind (or hides) a release this machine already trusts
        entries = entries[:1]
    forge(mirror, entries)
    with pytest.raises(LedgerError, match="refused") as info:
        L.update()
    message = str(info.value)
    trusted = ledger.read_ledger(Path(L.info("0.1.0")["bundled_dir"]).parent / "registry.json")
    position = 0 if attack in ("rewrite", "reorder") else 1
    assert trusted.entries[position].version in message and trusted.entries[position].digest in message
    assert not (isolated_env / "ledger.json").exists()
    with pytest.raises(LedgerError):
        L.load_events(NEW)


def test_a_broken_chain_is_refused(mirror: Mirror, isolated_env: Path) -> None:
    data = json.loads((mirror.root / "registry.json").read_text())
    data["releases"][1]["events"] += 1  # edited without re-chaining: 0.3.0 no longer points at it
    (mirror.root / "registry.json").write_text(json.dumps(data))
    with pytest.raises(LedgerError, match="chain"):
        L.update()
    assert not (isolated_env / "ledger.json").exists()


def test_new_release_files_are_verified_against_the_accepted_ledger(mirror: Mirror, isolated_env: Path) -> None:
    L.update()
    mirror.faults[f"{NEW}/data/events.parquet"] = "wrong"
    with pytest.raises(ChecksumError):
        L.load_events(NEW)
    assert not (isolated_env / NEW / "data" / "events.parquet").exists()


def test_a_tampered_cached_ledger_is_not_trusted(mirror: Mirror, isolated_env: Path) -> None:
    L.update()
    accepted = isolated_env / "ledger.json"
    entries = list(ledger.read_ledger(accepted).entries)
    entries[1] = ledger.Entry(entries[1].version, entries[1].date, 1, entries[1].files, entries[1].previous)
    chained: list[ledger.Entry] = []
    for e in entries:
        chained.append(ledger.Entry(e.version, e.date, e.events, e.files, chained[-1].digest if chained else None))
    accepted.write_text(ledger.dumps(ledger.Ledger(tuple(chained))))
    with pytest.raises(LedgerError, match="disagree") as info:
        L.versions()
    assert "0.2.0" in str(info.value) and "openconflict update" in str(info.value)


def test_a_cached_ledger_that_is_a_link_is_never_read(mirror: Mirror, isolated_env: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside-ledger.json"
    shutil.copy(mirror.root / "registry.json", outside)
    isolated_env.mkdir(parents=True)
    (isolated_env / "ledger.json").symlink_to(outside)
    assert L.versions()["version"].tolist() == ["0.1.0", "0.2.0"]  # the link is not followed
    L.update()  # replaces the link by the accepted ledger itself; the outside file is untouched
    assert not (isolated_env / "ledger.json").is_symlink()
    assert outside.read_bytes() == (mirror.root / "registry.json").read_bytes()


UPDATER = """
import sys, time, os
import openconflict.loader as L
go = sys.argv[1]
open(go + f".ready-{os.getpid()}", "w").close()
while not os.path.exists(go):
    time.sleep(0.002)
L.update()
print(len(L.load_events("0.3.0", output="arrow")))
"""


def test_concurrent_updates_share_one_accepted_ledger(
        mirror: Mirror, releases: Releases, isolated_env: Path, tmp_path: Path) -> None:
    import time

    (isolated_env / ".ledger.json.killed.tmp").parent.mkdir(parents=True)
    (isolated_env / ".ledger.json.killed.tmp").write_text("what a killed update left")
    go = tmp_path / "go"
    procs = [subprocess.Popen([sys.executable, "-c", UPDATER, str(go)], env=subprocess_env(OPENCONFLICT_URL=mirror.url),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(4)]
    deadline = time.monotonic() + 60
    while len(list(tmp_path.glob("go.ready-*"))) < 4:
        assert time.monotonic() < deadline and all(p.poll() is None for p in procs), "workers did not start"
        time.sleep(0.02)
    go.touch()
    outputs = [p.communicate(timeout=120) for p in procs]
    for p, (out, err) in zip(procs, outputs, strict=True):
        assert p.returncode == 0, err
        assert int(out) == releases.meta[NEW][1]
    assert ledger.read_ledger(isolated_env / "ledger.json").head == ledger.read_ledger(mirror.root / "registry.json").head
    assert not list(isolated_env.glob(".ledger.json.*.tmp"))
