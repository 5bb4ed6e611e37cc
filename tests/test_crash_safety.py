"""Killing `seedwatch run` with SIGKILL at any moment loses nothing and doubles nothing.

A real process, a real local server, a real SQLite file and corpus folder:
the run is killed again and again at random instants, then allowed to
finish; the corpus must then hold every item exactly once, with no
half-written file.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml

from feedgen import rss
from localserver import LocalServer, Reply
from seedwatch.corpus import NAME_RE
from seedwatch.text import fingerprint_hex

ITEMS = 2000


def start(config: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "seedwatch", "--config", str(config), "-q", "run", "--once"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def corpus_names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def written(folder: Path) -> int:
    """Corpus files in place (temporary files, which a batch holds hundreds of, not counted)."""
    return sum(1 for name in corpus_names(folder) if NAME_RE.match(name))


def test_sigkill_at_random_instants_loses_and_doubles_nothing(
    server: LocalServer, tmp_path: Path
) -> None:
    url = server.route("/big.xml", Reply(body=rss(ITEMS)))
    config = tmp_path / "seedwatch.toml"
    config.write_text(
        f'[corpus]\npath = "corpus"\n[state]\nurl = "sqlite:///state.db"\n'
        f'[[sources]]\nid = "big"\nurl = "{url}"\n'
    )
    corpus = tmp_path / "corpus"
    rng = random.Random(20261121)
    mid_run_kills = 0
    for round_ in range(10):
        proc = start(config)
        done = written(corpus)
        if round_ % 2 and done < ITEMS:
            # kill once the corpus has grown by a random number of files: mid-write
            target = done + rng.randint(1, max(1, (ITEMS - done) // 2))
            while written(corpus) < target and proc.poll() is None:
                time.sleep(0.002)
        else:
            time.sleep(rng.uniform(0.05, 2.5))  # anywhere: start-up, recording, writing
        before = written(corpus)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        assert proc.stderr is not None
        proc.stderr.close()
        if 0 < before < ITEMS and proc.returncode == -signal.SIGKILL:
            mid_run_kills += 1
    final = start(config)
    _, err = final.communicate(timeout=120)
    assert final.returncode == 0, err.decode()
    assert mid_run_kills >= 2, "the kills should land while files are being written"

    names = corpus_names(corpus)
    assert all(NAME_RE.match(n) for n in names), f"stray files: {names}"
    assert len(names) == ITEMS
    guids = []
    for name in names:
        text = (corpus / name).read_text()
        _, head, body = text.split("---\n", 2)
        guids.append(yaml.safe_load(head)["guid"])
        assert name.split("_", 1)[1][:16] == fingerprint_hex(body.rstrip("\n"))[:16]
    assert sorted(guids) == sorted(f"item-{n}" for n in range(ITEMS))
    seqs = sorted(int(n.split("_")[0]) for n in names)
    assert len(set(seqs)) == ITEMS
