"""Secrets never reach anything seedwatch writes or shows.

One run, the way users run seedwatch, at debug level (``-vv``): a config that
names its credentials by environment variable; ``seedwatch run`` as a daemon
(JSON log lines) with its status page, metrics, health and readiness;
``run --once`` (text log), ``backfill`` (both formats), ``config check``,
``status`` (text and ``--json``), ``state export``, ``sources list`` (text and
``--json``), ``sources check``, ``sources add``, ``dedup explain`` and
``explain``. The sources: a FreshRSS
instance (tests/greader_server.py) read with the right API password and with
a wrong one (HTTP 401); a members-only MyBB board (tests/forum_server.py)
logged into with a password, read with a session cookie, with an expired
cookie, with a wrong password, and behind a login form answered 403 with the
fields it was sent; private feeds and pages whose URLs carry a token, one
redirecting to a signed URL, one moved for good to another tokened URL, one
gone (404).

Every secret is a fresh random value per run, so a hit is no coincidence, and
the servers' records show each one was sent or handed out, so no hit means it
was kept out, not that it never came up. Every output is read whole, and so is
every file the run wrote: the corpus, the JSONL sink's lines, the state
database (its WAL too) and the config. A URL's own secret is allowed only where
the URL must be kept as it is (the config, the state, ``state export``).
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest

from clirun import seedwatch
from forum_server import LOGIN, POSTS, LoginBoard, html
from greader_server import USER, GReaderServer
from localserver import LocalServer, Reply, Request
from waiting import wait_for

RANDOM = 24  # hex digits of every secret's random part, which the searches look for


def _secret(prefix: str) -> str:
    return f"{prefix}{secrets.token_hex(RANDOM // 2)}"


@dataclass(frozen=True)
class Secrets:
    """This run's secrets: what the user configures and what the servers hand out."""

    freshrss_password: str = field(default_factory=lambda: _secret("frpw"))
    freshrss_wrong_password: str = field(default_factory=lambda: _secret("frbad"))
    api_token: str = field(default_factory=lambda: f"{USER}/{_secret('tok')}")
    forum_password: str = field(default_factory=lambda: _secret("fopw"))
    forum_wrong_password: str = field(default_factory=lambda: _secret("fobad"))
    session: str = field(default_factory=lambda: _secret("1_"))  # mybbuser's value
    guest: str = field(default_factory=lambda: _secret("sid"))
    expired_session: str = field(default_factory=lambda: _secret("1_old"))
    feed_token: str = field(default_factory=lambda: _secret("feedtok"))
    signature: str = field(default_factory=lambda: _secret("sig"))
    old_token: str = field(default_factory=lambda: _secret("oldtok"))
    new_token: str = field(default_factory=lambda: _secret("newtok"))
    gone_token: str = field(default_factory=lambda: _secret("gonetok"))
    added_token: str = field(default_factory=lambda: _secret("addtok"))

    def named(self) -> dict[str, str]:
        return dict(vars(self))

    def environment(self) -> dict[str, str]:
        """The environment variables the config names, as a user sets them."""
        return {
            "SW_TEST_FRESHRSS_PASSWORD": self.freshrss_password,
            "SW_TEST_FRESHRSS_WRONG": self.freshrss_wrong_password,
            "SW_TEST_FORUM_USER": FORUM_USER,
            "SW_TEST_FORUM_PASSWORD": self.forum_password,
            "SW_TEST_FORUM_WRONG": self.forum_wrong_password,
            "SW_TEST_FORUM_COOKIE": f"mybbuser={self.session}",
            "SW_TEST_FORUM_EXPIRED": f"mybbuser={self.expired_session}",
        }


FORUM_USER = "ada"
FAILING = {
    "home-wrong-password",
    "board-expired-cookie",
    "board-wrong-password",
    "board-denied",
    "gone",
}
# What the user wrote in the config: the URLs they configured, tokens included.
CONFIGURED = frozenset({"feed_token", "old_token", "gone_token", "added_token"})
# The state keeps URLs whole, like the config: a source's as given or as a
# permanent redirect moved it (the daemon fetches it), an item's as it came
# (de-duplication compares them). A URL's own secrets may be there and in
# ``state export`` (the state as it is), and nowhere else.
KEPT_IN_STATE = CONFIGURED | {"new_token", "signature"}


def allowed_in(name: str) -> frozenset[str]:
    """The secrets that may be in an output or a file, by its name."""
    if name.endswith("seedwatch.toml"):
        return CONFIGURED
    if "/state/" in name or name == "state export":
        return KEPT_IN_STATE
    return frozenset()


def rss(title: str, path: str) -> bytes:
    when = format_datetime(datetime.now(UTC), usegmt=True)
    words = " ".join(f"{title.lower()}{n}" for n in range(40))
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Private</title>'
        "<link>http://127.0.0.1/</link><description>d</description>"
        f"<item><title>{title}</title><link>http://127.0.0.1{path}</link>"
        f'<guid isPermaLink="false">{path}</guid><pubDate>{when}</pubDate>'
        f"<description>{words}</description></item></channel></rss>"
    ).encode()


def text(title: str) -> bytes:
    return " ".join(f"{title.lower()}{n}" for n in range(60)).encode()


def denied_login(server: LocalServer) -> None:
    """A login page whose form is answered 403, echoing the fields posted (as a
    web application firewall's or a framework's debug page may)."""
    form = (
        b'<html><head><title>Log in</title></head><body><form action="/denied.php" '
        b'method="post"><input type="text" name="username"><input type="password" '
        b'name="password"><input type="submit" name="login" value="Log in"></form></body></html>'
    )

    def answer(req: Request) -> Reply:
        if req.method == "GET":
            return html(form)
        posted = "; ".join(f"{k}={v}" for k, v in parse_qsl(req.body.decode()))
        return Reply(403, f"Forbidden: {posted}".encode(), content_type="text/plain")

    server.route("/denied.php", answer)


def private_feeds(server: LocalServer, s: Secrets) -> dict[str, str]:
    """Behind ``?token=``: a feed that answers with a redirect to a signed URL, one
    moved for good to another tokened URL, one that fails (404), a text page and
    one that redirects to a signed URL (items whose URL is the page's), and the
    URL of one more feed to add with ``sources add``. Returns the URLs by name."""
    signed = f"/signed/feed.xml?signature={s.signature}&expires=1999999999"
    server.route("/private.xml", Reply(302, headers={"Location": signed}, content_type=None))
    server.route("/signed/feed.xml", Reply(body=rss("Signed", "/signed/1")))
    server.route(
        "/old.xml",
        Reply(301, headers={"Location": f"/new.xml?token={s.new_token}"}, content_type=None),
    )
    server.route("/new.xml", Reply(body=rss("Moved", "/moved/1")))
    server.route("/gone.xml", Reply(404, b"not found", content_type="text/plain"))
    server.route("/page.txt", Reply(body=text("Private"), content_type="text/plain"))
    signed_page = f"/signed/page.txt?signature={s.signature}"
    server.route("/moving.txt", Reply(302, headers={"Location": signed_page}, content_type=None))
    server.route("/signed/page.txt", Reply(body=text("Signed"), content_type="text/plain"))
    return {
        "private": server.url(f"/private.xml?token={s.feed_token}"),
        "moved": server.url(f"/old.xml?token={s.old_token}"),
        "gone": server.url(f"/gone.xml?token={s.gone_token}"),
        "page": server.url(f"/page.txt?token={s.feed_token}"),
        "signed-page": server.url(f"/moving.txt?token={s.feed_token}"),
        "added": server.url(f"/private.xml?token={s.added_token}"),
    }


def toml(value: Any) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml(v)}" for k, v in value.items()) + " }"
    return json.dumps(value)


def write_config(folder: Path, sources: list[dict[str, Any]]) -> Path:
    """``folder``/seedwatch.toml: the corpus and the state in ``folder`` too."""
    lines = [
        "[daemon]",
        'listen = "127.0.0.1:0"',
        'jitter = "0s"',
        "[fetch]",
        'total_timeout = "10s"',
        "[corpus]",
        'path = "corpus"',
        'sinks = ["corpus", "jsonl"]',
        "[sinks.jsonl]",
        'file = "items.jsonl"',
        "[state]",
        'url = "sqlite:///state/state.db"',
    ]
    for src in sources:
        lines.append("[[sources]]")
        lines += [f"{k} = {toml(v)}" for k, v in src.items()]
    folder.mkdir()
    path = folder / "seedwatch.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


@dataclass
class Run:
    """What one run showed and wrote, by name, and what the servers saw."""

    secrets: Secrets
    outputs: dict[str, str]  # everything a command printed, logs included
    stdout: dict[str, str]
    files: dict[str, bytes]
    freshrss: GReaderServer
    board: LoginBoard
    requests: list[Request]


class Named(dict[str, str]):
    """What a command's ``{name}`` stands for: a URL of ``private_feeds``, or
    ``page_file``, the corpus file of the ``page`` source's item."""

    def __init__(self, urls: dict[str, str], folder: Path) -> None:
        super().__init__(urls)
        self.folder = folder

    def __missing__(self, key: str) -> str:
        assert key == "page_file", key
        files = sorted((self.folder / "corpus").glob("*.txt"))
        return str(next(f for f in files if "\nsource: page\n" in f.read_text()))


@contextmanager
def _logging_restored() -> Iterator[None]:
    """The commands run in this process set up logging at debug level; the tests
    after these get the logging they had."""
    names = ("", "httpx", "httpcore", "apscheduler", "alembic")
    loggers = [logging.getLogger(name) for name in names]
    saved = [(lg, lg.handlers[:], lg.level) for lg in loggers]
    try:
        yield
    finally:
        for lg, handlers, level in saved:
            lg.handlers[:] = handlers
            lg.setLevel(level)


class Daemon:
    """``seedwatch -vv run``, its log (JSON lines: stderr is not a terminal) in a file."""

    def __init__(self, config: Path, env: dict[str, str]) -> None:
        self.log = config.parent / "daemon.log"
        with self.log.open("w") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "seedwatch", "--config", str(config), "-vv", "run"],
                stdout=out,
                stderr=out,
                env=env,
            )

    def lines(self) -> list[dict[str, Any]]:
        text = self.log.read_text()
        return [json.loads(line) for line in text.splitlines() if line.startswith("{")]

    def shown(self, ids: list[str]) -> dict[str, str]:
        """Once every source was polled: its status page, metrics, health and
        readiness; then its whole log, after SIGTERM."""
        try:

            def polled() -> bool:
                done = {line.get("source") for line in self.lines() if "outcome" in line}
                return done >= set(ids)

            assert wait_for(polled), self.log.read_text()
            listening = next(m for m in self.messages() if "status page on" in m)
            base = listening.rpartition(" on ")[2].rstrip("/")
            pages = {f"GET {path}": httpx.get(base + path, timeout=10) for path in HTTP_PAGES}
            assert all(page.status_code == 200 for page in pages.values()), pages
        finally:
            self.stop()
        assert self.proc.returncode == 0, self.log.read_text()
        return {"run (json log)": self.log.read_text()} | {k: v.text for k, v in pages.items()}

    def messages(self) -> list[str]:
        return [str(line["message"]) for line in self.lines()]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()


HTTP_PAGES = ("/", "/metrics", "/healthz", "/readyz")
# Run in this process, as the CLI tests run commands (``clirun``), while the
# daemon runs on its own config, state and corpus.
COMMANDS = [
    ("--log-format", "text", "run", "--once"),
    ("--log-format", "json", "backfill", "home"),
    ("--log-format", "text", "backfill", "board"),
    ("config", "check"),
    ("status",),
    ("status", "--json"),
    ("state", "export"),
    ("sources", "list"),
    ("sources", "list", "--json"),
    ("sources", "check"),
    ("sources", "add", "added", "{added}"),
    ("dedup", "explain", "{page_file}"),
    ("explain", "--source", "page", "{page}"),
]
OUTPUTS = ["run (json log)", *(f"GET {p}" for p in HTTP_PAGES), *map(" ".join, COMMANDS)]


def sources_for(
    s: Secrets, freshrss: GReaderServer, board: LoginBoard, feeds: dict[str, str]
) -> list[dict[str, Any]]:
    login = {"username": "SW_TEST_FORUM_USER"}
    return [
        {
            "id": "home",
            "kind": "freshrss",
            "url": freshrss.url,
            "user": USER,
            "page_size": 5,
            "credentials": {"password": "SW_TEST_FRESHRSS_PASSWORD"},
        },
        {
            "id": "home-wrong-password",
            "kind": "freshrss",
            "url": freshrss.url,
            "user": USER,
            "credentials": {"password": "SW_TEST_FRESHRSS_WRONG"},
        },
        {
            "id": "board",
            "kind": "forum",
            "url": board.url,
            "login_url": LOGIN,
            "credentials": {**login, "password": "SW_TEST_FORUM_PASSWORD"},
        },
        {
            "id": "board-cookie",
            "kind": "forum",
            "url": board.url,
            "credentials": {"cookie": "SW_TEST_FORUM_COOKIE"},
        },
        {
            "id": "board-expired-cookie",
            "kind": "forum",
            "url": board.url,
            "credentials": {"cookie": "SW_TEST_FORUM_EXPIRED"},
        },
        {
            "id": "board-wrong-password",
            "kind": "forum",
            "url": board.url,
            "login_url": LOGIN,
            "credentials": {**login, "password": "SW_TEST_FORUM_WRONG"},
        },
        {
            "id": "board-denied",
            "kind": "forum",
            "url": board.url,
            "login_url": "/denied.php",
            "credentials": {**login, "password": "SW_TEST_FORUM_PASSWORD"},
        },
        {"id": "private", "url": feeds["private"]},
        {"id": "moved", "url": feeds["moved"]},
        {"id": "gone", "url": feeds["gone"]},
        {"id": "page", "url": feeds["page"], "parser": "plaintext"},
        {"id": "signed-page", "url": feeds["signed-page"], "parser": "plaintext"},
    ]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    s = Secrets()
    tmp = tmp_path_factory.mktemp("secrets")
    env = {**os.environ, "NO_COLOR": "1", **s.environment()}
    with LocalServer() as rss_server, LocalServer() as forum_server, LocalServer() as feeds:
        freshrss = GReaderServer(rss_server, password=s.freshrss_password, token=s.api_token)
        board = LoginBoard(
            forum_server,
            user=FORUM_USER,
            password=s.forum_password,
            session=f"mybbuser={s.session}",
            guest=s.guest,
        )
        denied_login(forum_server)
        urls = private_feeds(feeds, s)
        sources = sources_for(s, freshrss, board, urls)
        daemon = Daemon(write_config(tmp / "daemon", sources), env)
        try:
            cli = write_config(tmp / "cli", sources)
            outputs, stdout = {}, {}
            with _logging_restored():
                for args in COMMANDS:
                    given = [arg.format_map(Named(urls, cli.parent)) for arg in args]
                    ran = seedwatch("--config", str(cli), "-vv", *given, env=env)
                    outputs[" ".join(args)], stdout[" ".join(args)] = ran.output, ran.stdout
            outputs |= daemon.shown([src["id"] for src in sources])
        finally:
            daemon.stop()
        requests = rss_server.requests + forum_server.requests + feeds.requests
    files = {
        str(path.relative_to(tmp)): path.read_bytes()
        for path in sorted(tmp.rglob("*"))
        if path.is_file() and path.name != "daemon.log"  # the daemon's output, read above
    }
    yield Run(s, outputs, stdout, files, freshrss, board, requests)


# -- the run used every secret ---------------------------------------------------------


def test_every_secret_went_to_a_server_or_came_back_from_one(run: Run) -> None:
    """Configured secrets were sent; the token, the cookies and the redirect URLs
    the servers handed out were sent back: each one was in seedwatch's hands."""
    sent = "\n".join(f"{r.path}\n{json.dumps(r.headers)}\n{r.body.decode()}" for r in run.requests)
    assert [name for name, value in run.secrets.named().items() if value not in sent] == []
    assert run.freshrss.logins >= 1
    assert any(run.board.member(r) for r in run.requests if r.path.startswith("/showthread"))


def test_the_good_credentials_ingested_and_the_bad_ones_failed(run: Run) -> None:
    for folder in ("cli", "daemon"):
        corpus = [name for name in run.files if name.startswith(f"{folder}/corpus/")]
        # 12 FreshRSS articles, the board's posts (the daemon's live poll reads the
        # board's first page: one thread fewer), one item of each private feed and page
        assert len(corpus) == 12 + POSTS - (folder == "daemon") + 4, corpus
    sources = json.loads(run.stdout["status --json"])["sources"]
    failed = {src["id"] for src in sources if src["last_error"]}
    assert failed == FAILING
    # sources add: the URL given, not the signed one it redirected to for now
    assert run.secrets.added_token in run.files["cli/seedwatch.toml"].decode()


# -- what was written and shown holds none of them ---------------------------------------


def _hits(text: str, s: Secrets, allowed: frozenset[str] = frozenset()) -> list[str]:
    """The secrets whose random part is in ``text``: found whole, or after an
    encoding of their prefix (``admin%2Ftok...``)."""
    named = s.named().items()
    return [name for name, value in named if value[-RANDOM:] in text and name not in allowed]


@pytest.mark.parametrize("output", OUTPUTS)
def test_no_secret_in_what_seedwatch_prints_or_serves(run: Run, output: str) -> None:
    assert run.outputs[output], f"{output} is empty"
    assert _hits(run.outputs[output], run.secrets, allowed_in(output)) == []


def test_no_secret_in_the_corpus_the_state_database_or_the_config(run: Run) -> None:
    for kind in ("corpus/", "state/", "items.jsonl"):
        assert any(name.startswith(f"cli/{kind}") for name in run.files), kind
        assert any(name.startswith(f"daemon/{kind}") for name in run.files), kind
    leaks = {}
    for name, data in run.files.items():
        if found := _hits(data.decode("utf-8", "replace"), run.secrets, allowed_in(name)):
            leaks[name] = found
    assert leaks == {}
