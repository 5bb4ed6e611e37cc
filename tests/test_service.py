"""The long-running daemon: repeated polls on schedule, SIGTERM drains and exits 0."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from feedgen import rss
from localserver import LocalServer, Reply
from seedwatch.daemon.service import next_delay
from seedwatch.models import Source


def daemon(config: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "seedwatch", "--config", str(config), "run"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(condition: object, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def write_config(tmp_path: Path, url: str) -> Path:
    config = tmp_path / "seedwatch.toml"
    config.write_text(
        f'[daemon]\njitter = "0s"\n'
        f'[[sources]]\nid = "gen"\nurl = "{url}"\nmin_interval = "1s"\nmax_interval = "10s"\n'
    )
    return config


def test_daemon_polls_on_schedule_and_stops_on_sigterm(server: LocalServer, tmp_path: Path) -> None:
    url = server.route("/f.xml", Reply(body=rss(2)))
    proc = daemon(write_config(tmp_path, url))
    try:
        assert wait_for(lambda: len(server.hits("/f.xml")) >= 3), (
            "the source is polled every second"
        )
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "received SIGTERM" in err and "stopped" in err
    assert len(list((tmp_path / "corpus").iterdir())) == 2


def test_sigterm_drains_the_poll_in_flight(server: LocalServer, tmp_path: Path) -> None:
    url = server.route("/slow.xml", Reply(body=rss(3), delay=2.0))
    proc = daemon(write_config(tmp_path, url))
    try:
        assert wait_for(lambda: len(server.hits("/slow.xml")) >= 1)
        proc.send_signal(signal.SIGTERM)  # while the server is still answering
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert len(list((tmp_path / "corpus").iterdir())) == 3, "the poll in flight finished"


def test_backoff_doubles_with_jitter_and_is_capped() -> None:
    source = Source(
        id="s",
        url="http://x",
        min_interval=timedelta(minutes=1),
        max_interval=timedelta(minutes=30),
    )
    rng = random.Random(1)
    assert next_delay(source, 0, rng) == timedelta(minutes=1)
    for errors, nominal in [(1, 1), (2, 2), (3, 4), (4, 8)]:
        delay = next_delay(source, errors, rng)
        assert timedelta(minutes=nominal * 0.8) <= delay <= timedelta(minutes=nominal * 1.2)
    assert next_delay(source, 50, rng) == timedelta(minutes=30)
