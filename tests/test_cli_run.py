"""Polling from the command line: how the daemon says it stops, a second
Ctrl-C during the drain stopping it at once (a repeated SIGTERM drains),
``backfill --since`` on every kind."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from clirun import seedwatch
from feedgen import article, rss
from localserver import LocalServer, Reply
from waiting import wait_for


def test_a_second_ctrl_c_during_the_drain_stops_at_once(
    server: LocalServer, tmp_path: Path
) -> None:
    url = server.route("/stuck.xml", Reply(body=rss(1), delay=30.0))
    config = tmp_path / "seedwatch.toml"
    config.write_text(
        '[daemon]\njitter = "0s"\nlisten = ""\ndrain_timeout = "60s"\nlog_format = "text"\n'
        f'[fetch]\ntotal_timeout = "60s"\n[[sources]]\nid = "stuck"\nurl = "{url}"\n'
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "seedwatch", "--config", str(config), "run"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert wait_for(lambda: len(server.hits("/stuck.xml")) >= 1)
        proc.send_signal(signal.SIGINT)
        time.sleep(1.0)
        assert proc.poll() is None, "the first Ctrl-C drains: the poll in flight is waited for"
        started = time.monotonic()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=15)
        assert time.monotonic() - started < 10
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 128 + signal.SIGINT
    assert "Ctrl-C or SIGTERM" in err  # the start line says how to stop it
    assert "stopping now, 1 poll(s) cut off" in err
    assert list((tmp_path / "corpus").iterdir()) == []


def test_a_repeated_sigterm_still_drains(server: LocalServer, tmp_path: Path) -> None:
    url = server.route("/slow.xml", Reply(body=rss(1), delay=3.0))
    config = tmp_path / "seedwatch.toml"
    config.write_text(
        '[daemon]\njitter = "0s"\nlisten = ""\ndrain_timeout = "60s"\nlog_format = "text"\n'
        f'[fetch]\ntotal_timeout = "60s"\n[[sources]]\nid = "slow"\nurl = "{url}"\n'
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "seedwatch", "--config", str(config), "run"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert wait_for(lambda: len(server.hits("/slow.xml")) >= 1)
        proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)  # a supervisor signalling twice
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert len(list((tmp_path / "corpus").iterdir())) == 1, "the poll in flight finished"


def _dated_feed(dates: list[str | None]) -> bytes:
    items = []
    for n, date in enumerate(dates):
        when = f"<pubDate>{date}</pubDate>" if date else ""
        items.append(
            f"<item><title>Item {n}</title><link>http://127.0.0.1/post/{n}</link>"
            f'<guid isPermaLink="false">item-{n}</guid>{when}'
            f"<description>{article(n)}</description></item>"
        )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
        f"<link>http://127.0.0.1/</link><description>d</description>{''.join(items)}"
        "</channel></rss>"
    ).encode()


def test_backfill_since_applies_to_a_plain_feed_and_keeps_undated_items(
    server: LocalServer, tmp_path: Path
) -> None:
    url = server.route(
        "/feed.xml",
        Reply(
            body=_dated_feed(
                [
                    "Mon, 18 Dec 2017 10:00:00 +0000",  # before --since: skipped
                    "Thu, 04 Jan 2018 23:59:00 +0000",  # the day before: skipped
                    "Fri, 05 Jan 2018 00:00:00 +0000",  # on it: kept
                    "Tue, 20 Mar 2018 08:00:00 +0000",  # after: kept
                    None,  # no date: kept, and said
                ]
            )
        ),
    )
    config = tmp_path / "seedwatch.toml"
    config.write_text(f'[[sources]]\nid = "blog"\nurl = "{url}"\n')
    ran = seedwatch("-c", str(config), "backfill", "blog", "--since", "2018-01-05")
    assert ran.exit_code == 0, ran.output
    written = ran.stdout.split()
    assert len(written) == 3
    titles = sorted(
        next(line for line in (tmp_path / "corpus" / name).read_text().splitlines()
             if line.startswith("title:"))
        for name in written
    )  # fmt: skip
    assert titles == ["title: Item 2", "title: Item 3", "title: Item 4"]
    assert "2 item(s) published before it skipped" in ran.output
    assert "1 item(s) without a date kept" in ran.output
