"""One corpus folder shared by several nodes (NFS-style): writers never clash,
and a starting node sweeps only what a dead writer left behind."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from seedwatch import corpus
from seedwatch.corpus import sweep_temporary, write_atomic

NAME = "042_0123456789abcdef.txt"
CONTENT = "---\nseedwatch: 1\nkey: k\n---\nThe same pending entry, completed by two nodes.\n"


def _write(folder: str) -> str:
    return str(write_atomic(Path(folder), NAME, CONTENT))


def test_two_processes_completing_the_same_entry_write_one_file(tmp_path: Path) -> None:
    # A restarted node completes what a dead one recorded while a live one
    # writes it too: same name, same content, both succeed, one file.
    with ProcessPoolExecutor(4) as pool:
        paths = list(pool.map(_write, [str(tmp_path)] * 16))
    assert set(paths) == {str(tmp_path / NAME)}
    assert [p.name for p in tmp_path.iterdir()] == [NAME]
    assert (tmp_path / NAME).read_text() == CONTENT


def test_temporary_names_carry_host_and_process(tmp_path: Path) -> None:
    name = f".{NAME}.{corpus._HOST}_{os.getpid()}_0badcafe.tmp"
    match = corpus.TEMP_RE.match(name)
    assert match is not None
    assert match.groups() == (NAME, corpus._HOST, str(os.getpid()))


@pytest.fixture
def live_pid() -> Iterator[int]:
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield proc.pid
    proc.kill()
    proc.wait()


def test_a_starting_node_sweeps_only_dead_writers_files(tmp_path: Path, live_pid: int) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], stdout=-1)
    dead_pid = int(dead.stdout)
    files = {
        "mine_dead": f".{NAME}.{corpus._HOST}_{dead_pid}_00000001.tmp",
        "mine_live": f".{NAME}.{corpus._HOST}_{live_pid}_00000002.tmp",
        "other_host": f".{NAME}.some-other-node_{live_pid}_00000003.tmp",
        "other_host_old": f".{NAME}.some-other-node_{live_pid}_00000004.tmp",
        "single_node": f".{NAME}.{dead_pid}.tmp",
        "not_ours": ".notes.tmp",
    }
    for name in files.values():
        (tmp_path / name).write_text("half")
    old = time.time() - corpus.TEMP_MAX_AGE - 60
    os.utime(tmp_path / files["other_host_old"], (old, old))
    assert sweep_temporary(tmp_path) == 3
    left = {p.name for p in tmp_path.iterdir()}
    assert left == {files["mine_live"], files["other_host"], files["not_ours"]}
