"""The fetch's time limits against servers on 127.0.0.1: a body dripping a byte at
a time is cut by the minimum transfer rate, early, and the error says which limit
fired; a server that thinks before its body is not; the defaults are a feed
reader's. The limits are made small here so the tests are fast."""

from __future__ import annotations

import socket
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest

from localserver import LocalServer, RawServer, Reply
from seedwatch.daemon import config as config_mod
from seedwatch.daemon.cli import main
from seedwatch.daemon.fetch import FetchSettings, HttpFetcher
from seedwatch.errors import ConfigError, FetchError
from seedwatch.models import Source

SOURCE = Source(id="t", url="http://127.0.0.1/")


def drip() -> Reply:
    """A body of endless "x", one byte every 0.1 s (10 bytes a second)."""
    return Reply(body=iter(lambda: b"x", None), chunk_delay=0.1)


def test_a_dripping_body_is_cut_by_the_minimum_rate_long_before_the_total_limit(
    server: LocalServer,
) -> None:
    url = server.route("/drip", drip())
    settings = FetchSettings(read_timeout=5, total_timeout=30, min_rate=100, min_rate_window=1)
    with HttpFetcher(settings) as fetcher:
        started = time.monotonic()
        with pytest.raises(FetchError) as info:
            fetcher.fetch(url, source=SOURCE)
    elapsed = time.monotonic() - started
    error = info.value
    assert error.category == "timeout"
    assert "minimum rate of 100 bytes/s" in str(error) and "[fetch] min_rate" in str(error)
    assert "total limit" not in str(error)
    assert 0.9 < elapsed < 5  # cut once the 1 s window has passed, not at 30 s


def test_the_total_limit_names_itself_when_it_fires_first(server: LocalServer) -> None:
    url = server.route("/drip", drip())
    settings = FetchSettings(read_timeout=5, total_timeout=1, min_rate=100, min_rate_window=20)
    with HttpFetcher(settings) as fetcher, pytest.raises(FetchError) as info:
        fetcher.fetch(url, source=SOURCE)
    assert info.value.category == "timeout"
    assert "total limit of 1s ([fetch] total_timeout)" in str(info.value)


def test_a_server_that_thinks_before_its_body_is_not_cut() -> None:
    body = b"<rss>" + b"x" * 200_000 + b"</rss>"

    def think(conn: socket.socket, stopping: threading.Event) -> None:
        conn.recv(65536)
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
            + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
        )
        if stopping.wait(1.5):  # headers first, then the time it takes to make the feed
            return
        conn.sendall(body)

    settings = FetchSettings(read_timeout=5, total_timeout=10, min_rate=100_000, min_rate_window=1)
    with RawServer(think) as raw, HttpFetcher(settings) as fetcher:
        document = fetcher.fetch(raw.url("/feed"), source=SOURCE)
    assert document is not None and document.content == body


def test_the_defaults_are_a_feed_readers() -> None:
    fetch = config_mod.from_dict({}, file=Path("seedwatch.toml")).fetch
    assert fetch.total_timeout == timedelta(seconds=60)
    assert (fetch.min_rate, fetch.min_rate_window) == (1024, timedelta(seconds=10))
    # A bare fetcher has the same limits; only robots.txt is the daemon's choice.
    bare = FetchSettings()
    assert dict(bare, robots=True).items() >= dict(fetch).items()


def test_a_min_rate_of_zero_turns_the_floor_off_and_the_limits_are_checked() -> None:
    fetch = config_mod.from_dict({"fetch": {"min_rate": 0}}, file=Path("seedwatch.toml")).fetch
    assert fetch.min_rate == 0
    with pytest.raises(ConfigError, match="min_rate"):
        config_mod.from_dict({"fetch": {"min_rate": -1}}, file=Path("seedwatch.toml"))
    # The fetcher's own settings are the same model: the same bounds hold.
    with pytest.raises(ValueError, match="total_timeout"):
        FetchSettings(total_timeout=0)
    assert FetchSettings(total_timeout=1.5).total_timeout == timedelta(seconds=1.5)


def test_the_config_sets_the_floor_and_a_poll_reports_it(
    tmp_path: Path, server: LocalServer, capsys: pytest.CaptureFixture[str]
) -> None:
    url = server.route("/drip.xml", drip())
    config = tmp_path / "seedwatch.toml"
    config.write_text(
        '[fetch]\ntotal_timeout = "30s"\nmin_rate = "100"\nmin_rate_window = "1s"\n'
        f'[[sources]]\nid = "drip"\nurl = "{url}"\n'
    )
    loaded = config_mod.load(config).fetch
    assert (loaded.min_rate, loaded.min_rate_window) == (100, timedelta(seconds=1))
    started = time.monotonic()
    try:
        main(["--config", str(config), "run", "--once"])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    _, err = capsys.readouterr()
    assert code == 1 and "FAILED (timeout)" in err and "[fetch] min_rate" in err
    assert time.monotonic() - started < 15
