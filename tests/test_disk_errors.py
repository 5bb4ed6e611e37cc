"""A full disk, a read-only corpus folder, a read-only state database: real
`seedwatch run` processes against a local server, a real corpus and state.

For each: one error line naming what failed and where, the other sources
keep going, nothing is marked written in the state that is not whole on
disk, and a later run (the limit lifted, the permissions restored) writes
what was missed, once.

How the failures are made, without mounting anything:
- a full disk: ``RLIMIT_FSIZE`` in the daemon's process (``SIGXFSZ``
  ignored, so a write past the limit fails with ``EFBIG`` as a write to a
  full disk fails with ``ENOSPC``). It limits every file the process
  writes, the state's too: with the state in PostgreSQL (its server is not
  limited) only the corpus write of the large item fails; with SQLite the
  state's own file fails as it would on a full disk.
- read-only: ``chmod``. Root ignores permission bits, so when the tests run
  as root the daemon is started without ``CAP_DAC_OVERRIDE`` (dropped from
  its capability bounding set before ``exec``): it stays uid 0, the owner of
  the test's files, and the kernel now applies their mode bits to it as to
  any owner.
"""

from __future__ import annotations

import ctypes
import errno
import os
import resource
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import yaml

import clirun
from daemons import started
from feedgen import article, rss
from localserver import LocalServer, Reply
from seedwatch import Accepted, Item, Sink
from seedwatch.corpus import NAME_RE
from seedwatch.daemon import config as config_mod
from seedwatch.daemon import runtime
from seedwatch.daemon.writes import Writer
from seedwatch.errors import DiskError
from seedwatch.plugins.manager import build_registry
from seedwatch.state.store import Store, now
from seedwatch.text import fingerprint_hex
from waiting import wait_for

LIMIT = 64 * 1024  # the file-size limit: the small items' files fit, the large one not
_PR_CAPBSET_DROP, _CAP_DAC_OVERRIDE = 24, 1


def large_feed(words: int = 30_000) -> bytes:
    """One item whose corpus file is far larger than ``LIMIT``."""
    text = " ".join(f"large{i}" for i in range(words))
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        "<link>http://127.0.0.1/</link><description>d</description>"
        '<item><title>Large</title><link>http://127.0.0.1/large</link><guid isPermaLink="false">'
        f"large-1</guid><description>{text}</description></item></channel></rss>"
    ).encode()


def write_config(tmp_path: Path, server: LocalServer, state_url: str, **daemon: Any) -> Path:
    small = server.route("/small.xml", Reply(body=rss(3)))
    large = server.route("/large.xml", Reply(body=large_feed()))
    settings = {"jitter": '"0s"', "concurrency": "1", **daemon}
    config = tmp_path / "seedwatch.toml"
    config.write_text(
        f'[corpus]\npath = "corpus"\n[state]\nurl = "{state_url}"\n[daemon]\n'
        + "".join(f"{k} = {v}\n" for k, v in settings.items())
        + f'[[sources]]\nid = "large"\nurl = "{large}"\nmin_interval = "1s"\nmax_interval = "2s"\n'
        f'[[sources]]\nid = "small"\nurl = "{small}"\nmin_interval = "1s"\nmax_interval = "2s"\n'
    )
    return config


def file_size_limit() -> None:
    """preexec_fn: a full disk for files larger than ``LIMIT``."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, LIMIT))


def mode_bits_apply() -> None:
    """preexec_fn: permission bits bind the daemon even when the tests run as root."""
    if os.geteuid() == 0:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_CAPBSET_DROP, _CAP_DAC_OVERRIDE, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP, CAP_DAC_OVERRIDE)")


def seedwatch(
    config: Path, *args: str, preexec: Callable[[], None] | None = None
) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "seedwatch", "--config", str(config), *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=preexec,
    )
    started.append(proc)
    return proc


def once(config: Path, preexec: Callable[[], None] | None = None) -> tuple[int, str]:
    """``seedwatch run --once``: in a process of its own when it must run limited
    (``preexec``), else in this one (the same command, without a start-up's cost)."""
    if preexec is None:
        ran = clirun.seedwatch("--config", str(config), "run", "--once")
        return ran.exit_code, ran.output
    proc = seedwatch(config, "run", "--once", preexec=preexec)
    _, err = proc.communicate(timeout=60)
    return proc.returncode, err


def error_lines(err: str, *needles: str) -> list[str]:
    return [line for line in err.splitlines() if all(n in line for n in needles)]


def corpus_files(corpus: Path) -> dict[str, str]:
    """Each corpus file's guid, checked whole: its front-matter closes and its
    name's hex is the fingerprint of its text. No temporary file is left."""
    guids = {}
    for path in sorted(corpus.iterdir()) if corpus.exists() else []:
        assert NAME_RE.match(path.name), f"stray file {path.name}"
        _, head, body = path.read_text().split("---\n", 2)
        assert path.name[4:20] == fingerprint_hex(body.rstrip("\n"))[:16], path.name
        guids[path.name] = yaml.safe_load(head)["guid"]
    return guids


def linked(corpus: Path) -> list[str]:
    return [p.name for p in corpus.iterdir() if NAME_RE.match(p.name)]


def item_rows(state_url: str) -> list[tuple[str, str]]:
    """(file name, status) of every item the state recorded."""
    if state_url.startswith("sqlite"):
        path = Path(state_url.removeprefix("sqlite:///"))
        if not path.exists():
            return []
        conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
        try:
            return [(str(n), str(s)) for n, s in conn.execute("SELECT name, status FROM items")]
        except sqlite3.OperationalError:  # not made yet
            return []
        finally:
            conn.close()
    with psycopg.connect(state_url) as pg:
        return [(str(n), str(s)) for n, s in pg.execute("SELECT name, status FROM items")]


def assert_written_means_on_disk(state_url: str, corpus: Path) -> list[tuple[str, str]]:
    rows = item_rows(state_url)
    on_disk = corpus_files(corpus)
    for name, status in rows:
        if status == "written":
            assert name in on_disk, f"{name} is marked written and is not in the corpus"
    return rows


def assert_complete(state_url: str, corpus: Path) -> None:
    """Every item once, each file whole, every row written."""
    guids = corpus_files(corpus)
    assert sorted(guids.values()) == ["item-0", "item-1", "item-2", "large-1"]
    rows = item_rows(state_url)
    assert sorted(rows) == sorted((name, "written") for name in guids)


def stop(proc: subprocess.Popen[str], corpus: Path) -> str:
    """The folder made writable again (for the clean-up too), the daemon
    stopped as a service manager would: its stderr."""
    corpus.chmod(0o755)
    proc.send_signal(signal.SIGTERM)
    return proc.communicate(timeout=30)[1]


def assert_refused_then_complete(
    proc: subprocess.Popen[str], err: str, corpus: Path, state_url: str
) -> None:
    """A daemon that met a read-only corpus folder said so in a line naming
    it and the errno, exited cleanly, and left everything written."""
    assert proc.returncode == 0, err
    assert error_lines(err, f"corpus folder {corpus}", "[EACCES]"), err
    assert "Traceback" not in err
    assert_complete(state_url, corpus)


def test_a_full_disk_for_the_corpus_keeps_the_items_pending_until_a_later_run(
    server: LocalServer, tmp_path: Path, pg_url: str
) -> None:
    config = write_config(tmp_path, server, pg_url)
    corpus = tmp_path / "corpus"
    code, err = once(config, file_size_limit)
    assert code == 1, err
    lines = error_lines(err, f"corpus folder {corpus}", "[EFBIG]")
    assert len(lines) == 1 and "large" in lines[0], err
    assert "Traceback" not in err
    rows = assert_written_means_on_disk(pg_url, corpus)
    assert sorted(corpus_files(corpus).values()) == ["item-0", "item-1", "item-2"]
    assert sorted(status for _, status in rows) == ["pending", "written", "written", "written"]

    code, err = once(config)
    assert code == 0, err
    assert_complete(pg_url, corpus)


def test_a_cluster_node_writes_what_a_read_only_corpus_refused_without_polling_again(
    server: LocalServer, tmp_path: Path, pg_url: str
) -> None:
    config = write_config(tmp_path, server, pg_url)
    config.write_text(
        config.read_text().replace(
            'min_interval = "1s"\nmax_interval = "2s"', 'min_interval = "1h"'
        )
        + '[cluster]\ntick = "1s"\nheartbeat = "1s"\nstalled_after = "3s"\n'
    )
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    corpus.chmod(0o555)

    def statuses() -> list[str]:
        try:
            return [status for _, status in item_rows(pg_url)]
        except psycopg.errors.UndefinedTable:  # the node has not made the tables yet
            return []

    proc = seedwatch(config, "run", "--cluster", preexec=mode_bits_apply)
    try:
        assert wait_for(lambda: statuses() == ["pending"] * 4), "both sources recorded"
        corpus.chmod(0o755)
        # Neither source is due again for an hour: the node's own retry writes them.
        assert wait_for(lambda: statuses() == ["written"] * 4), statuses()
        assert len(server.hits("/small.xml")) == len(server.hits("/large.xml")) == 1
    finally:
        err = stop(proc, corpus)
    assert_refused_then_complete(proc, err, corpus, pg_url)


def test_a_full_disk_under_a_sqlite_state_marks_nothing_it_did_not_write(
    server: LocalServer, tmp_path: Path
) -> None:
    state = tmp_path / "state.db"
    config = write_config(tmp_path, server, f"sqlite:///{state}")
    corpus = tmp_path / "corpus"
    runtime.open_state(config_mod.load(config)).close()  # the state made (and migrated) first
    code, err = once(config, file_size_limit)
    assert code == 1, err
    assert error_lines(err, f"state database {state}"), err
    assert "Traceback" not in err
    assert_written_means_on_disk(f"sqlite:///{state}", corpus)

    code, err = once(config)
    assert code == 0, err
    assert_complete(f"sqlite:///{state}", corpus)


def test_a_read_only_corpus_folder_is_reported_and_written_once_it_is_writable(
    server: LocalServer, tmp_path: Path
) -> None:
    state_url = f"sqlite:///{tmp_path / 'state.db'}"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = write_config(tmp_path, server, state_url, listen=f'"127.0.0.1:{port}"')
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    corpus.chmod(0o555)
    proc = seedwatch(config, "run", preexec=mode_bits_apply)

    def health() -> dict[str, Any]:
        try:
            answer: dict[str, Any] = httpx.get(f"http://127.0.0.1:{port}/healthz").json()
        except httpx.TransportError:
            return {}
        return answer

    try:
        assert wait_for(lambda: len(item_rows(state_url)) == 4), "both sources recorded"
        assert wait_for(lambda: len(server.hits("/small.xml")) >= 2), "and polled again"
        assert len(server.hits("/large.xml")) >= 2
        assert not linked(corpus)
        assert {status for _, status in item_rows(state_url)} == {"pending"}
        said = health()
        assert said["status"] == "degraded", said
        assert any("refuses writes" in reason for reason in said["reasons"]), said
        corpus.chmod(0o755)
        # (temporary files come and go while the daemon writes: names only)
        assert wait_for(lambda: len(linked(corpus)) == 4), "the retry wrote them"
        assert wait_for(lambda: all(s == "written" for _, s in item_rows(state_url)))
        assert wait_for(lambda: health().get("status") == "ok"), health()
    finally:
        err = stop(proc, corpus)
    assert_refused_then_complete(proc, err, corpus, state_url)


@pytest.mark.parametrize("read_only", ["folder", "file"])
def test_a_read_only_state_database_is_refused_at_start_up(
    server: LocalServer, tmp_path: Path, read_only: str
) -> None:
    folder = tmp_path / "state"
    folder.mkdir()
    state = folder / "state.db"
    config = write_config(tmp_path, server, f"sqlite:///{state}")
    code, err = once(config)  # a state made, then made read-only
    assert code == 0, err
    (folder if read_only == "folder" else state).chmod(0o555 if read_only == "folder" else 0o444)
    try:
        server.route("/small.xml", Reply(body=rss(4)))
        code, err = once(config, mode_bits_apply)
    finally:
        folder.chmod(0o755)
        state.chmod(0o644)
    assert code == 1, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and f"state database {state}" in lines[0], err
    assert "writable" in lines[0]
    assert len(corpus_files(tmp_path / "corpus")) == 4, "nothing written without its record"

    code, err = once(config)
    assert code == 0, err
    assert sorted(corpus_files(tmp_path / "corpus").values()) == [
        "item-0",
        "item-1",
        "item-2",
        "item-3",
        "large-1",
    ]


class CollectingSink(Sink):
    """Collects between ``write`` and ``flush``, as the corpus sink does; its
    flush fails (a full disk) for a batch holding the item ``bad``, and writing
    ``bad`` gives another thread a second to slip its own write in."""

    name = "collecting"

    def __init__(self) -> None:
        self.batch: list[Accepted] = []
        self.stored: set[int] = set()
        self.other_wrote = threading.Event()

    def write(self, entry: Accepted) -> None:
        self.batch.append(entry)
        if entry.item.guid == "bad":
            self.other_wrote.wait(1.0)
        else:
            self.other_wrote.set()

    def flush(self) -> None:
        batch, self.batch = self.batch, []
        if any(entry.item.guid == "bad" for entry in batch):
            raise DiskError("sink folder", "/full", OSError(errno.ENOSPC, "No space left"))
        self.stored.update(entry.seq for entry in batch)


def test_a_failing_flush_never_gets_another_threads_items_marked_written(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'state.db'}")
    store.migrate()
    try:
        items = [
            Item(key=guid, guid=guid, source="s", parser="rss", text=article(n))
            for n, guid in enumerate(["bad", "good"])
        ]
        outcomes = store.admit(((item, now()) for item in items), lambda i, f, r: i.text)
        bad, good = (entry for _, entry in outcomes if entry is not None)
        sink = CollectingSink()
        writer = Writer(build_registry(load_external=False), store, [sink])
        failed: list[list[Accepted]] = []
        first = threading.Thread(target=lambda: failed.append(writer.write([bad])))
        first.start()
        writer.write([good])  # while the first thread's batch waits for its flush
        first.join()
        assert failed == [[bad]]
        assert sink.stored == {good.seq}
        assert [entry.seq for entry in store.pending()] == [bad.seq], "bad is not marked written"
        assert writer.unwritten
    finally:
        store.close()
