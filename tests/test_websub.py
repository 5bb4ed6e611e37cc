"""WebSub push: the real daemon (``seedwatch run``) against a local hub built here.

The hub follows the W3C Recommendation's rules for what the daemon meets:
a subscription request is a form POST answered 202, then verified by a GET
to the callback carrying a challenge that must come back as the body (5.3);
the hub may grant a lease shorter than asked; content is POSTed with
``X-Hub-Signature: sha256=<HMAC of the body with the subscriber's secret>``
(8). Everything runs on 127.0.0.1.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import parse_qs, urlencode

import pytest

from localserver import LocalServer, Reply, Request
from seedwatch.daemon import config as config_mod
from seedwatch.daemon.websub import hub_links, signature_ok
from seedwatch.errors import ConfigError
from seedwatch.models import Document
from waiting import wait_for

DATA = Path(__file__).parent / "data"


@dataclass
class Subscription:
    callback: str
    topic: str
    secret: str
    lease: int


@dataclass
class Hub:
    """A WebSub hub, as small as the spec allows, for one test."""

    lease: int  # the lease granted, whatever was asked
    requests: list[dict[str, str]] = field(default_factory=list)
    verified: list[Subscription] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # verifications the subscriber refused
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, req: Request) -> Reply:
        form = {k: v[0] for k, v in parse_qs(req.body.decode()).items()}
        if req.method != "POST" or form.get("hub.mode") != "subscribe":
            return Reply(400, b"hub.mode must be subscribe", content_type="text/plain")
        if not form.get("hub.callback") or not form.get("hub.topic"):
            return Reply(400, b"hub.callback and hub.topic are required", content_type="text/plain")
        with self.lock:
            self.requests.append(form)
        threading.Thread(target=self.verify, args=(form,), daemon=True).start()
        return Reply(202, b"", content_type=None)

    def verify(self, form: dict[str, str], topic: str | None = None) -> bool:
        """5.3: GET the callback with a challenge; the subscriber must echo it."""
        challenge = secrets.token_urlsafe(16)
        query = urlencode({
            "hub.mode": "subscribe",
            "hub.topic": topic or form["hub.topic"],
            "hub.challenge": challenge,
            "hub.lease_seconds": str(self.lease),
        })  # fmt: skip
        try:
            with urllib.request.urlopen(f"{form['hub.callback']}?{query}", timeout=5) as resp:
                ok = resp.status == 200 and resp.read().decode() == challenge
        except urllib.error.HTTPError as exc:
            exc.close()
            ok = False
        with self.lock:
            if ok and topic is None:
                self.verified.append(
                    Subscription(
                        form["hub.callback"], form["hub.topic"], form["hub.secret"], self.lease
                    )
                )
            elif not ok:
                self.refused.append(topic or form["hub.topic"])
        return ok

    def publish(
        self, body: bytes, *, secret: str | None = None, signature: str | None = None
    ) -> int:
        """8: POST the content to the last verified subscriber, signed with its secret
        (or ``secret``), or with the ``signature`` header given."""
        sub = self.verified[-1]
        digest = hmac.new((secret or sub.secret).encode(), body, hashlib.sha256).hexdigest()
        headers = {
            "Content-Type": "application/rss+xml; charset=utf-8",
            "X-Hub-Signature": signature if signature is not None else f"sha256={digest}",
        }
        if signature == "":
            del headers["X-Hub-Signature"]
        request = urllib.request.Request(sub.callback, data=body, headers=headers, method="POST")
        with urllib.request.urlopen(request, timeout=30) as resp:
            return int(resp.status)


def rss(base: str, hub: str, self_url: str, posts: list[int]) -> bytes:
    now = datetime.now(UTC)
    items = "".join(
        f"<item><title>Post {n}</title><link>{base}p/{n}</link><guid>{base}p/{n}</guid>"
        f"<pubDate>{format_datetime(now - timedelta(days=30 + n))}</pubDate>"
        f"<description>Post number {n} says {' '.join(f'w{n}x{i}' for i in range(40))}"
        f"</description></item>"
        for n in posts
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>'
        f"<title>Pushed</title><link>{base}</link><description>t</description>"
        f'<atom:link rel="hub" href="{hub}"/><atom:link rel="self" href="{self_url}"/>'
        f"{items}</channel></rss>"
    ).encode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[Callable[[str], subprocess.Popen[str]]]:
    procs: list[subprocess.Popen[str]] = []

    def start(config: str) -> subprocess.Popen[str]:
        path = tmp_path / "seedwatch.toml"
        path.write_text(config)
        proc = subprocess.Popen(
            [sys.executable, "-m", "seedwatch", "--config", str(path), "--log-format", "text",
             "run"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    return err


def corpus(tmp_path: Path) -> list[str]:
    folder = tmp_path / "corpus"
    return sorted(p.read_text() for p in folder.glob("*.txt")) if folder.exists() else []


def test_push_end_to_end_verification_signatures_renewal_and_slow_polling(
    server: LocalServer, tmp_path: Path, daemon: Callable[[str], subprocess.Popen[str]]
) -> None:
    hub = Hub(lease=4)
    hub_url = server.route("/hub", hub.handle)
    base = server.url("/")
    feed_url = server.url("/feed.xml")
    server.route("/feed.xml", Reply(body=rss(base, hub_url, feed_url, [1, 2])))
    port = free_port()
    proc = daemon(
        f"""
[corpus]
path = "corpus"
[state]
url = "sqlite:///state/state.db"
[daemon]
listen = ""
jitter = "0s"
[websub]
callback = "http://127.0.0.1:{port}/websub"
listen = "127.0.0.1:{port}"
lease = "1d"
fallback_interval = "1h"
[[sources]]
id = "pushed"
url = "{feed_url}"
websub = true
min_interval = "1s"
max_interval = "2s"
"""
    )
    try:
        # The first poll finds the hub; the subscription is asked for and verified.
        assert wait_for(lambda: len(hub.verified) >= 1), "subscribed"
        first = hub.requests[0]
        assert first["hub.topic"] == feed_url
        assert first["hub.callback"] == f"http://127.0.0.1:{port}/websub/pushed"
        assert first["hub.lease_seconds"] == str(24 * 3600)
        assert wait_for(lambda: len(corpus(tmp_path)) == 2), "the polled items"

        # A verification for a topic never asked for is refused.
        assert hub.verify(first, topic=server.url("/other.xml")) is False

        # Pushed content goes through the pipeline: only the new post is written.
        assert hub.publish(rss(base, hub_url, feed_url, [3, 2])) in (200, 202, 204)
        texts = corpus(tmp_path)
        assert len(texts) == 3 and any("Post number 3" in t for t in texts)

        # Bad and missing signatures: refused, logged, nothing written.
        hub.publish(rss(base, hub_url, feed_url, [4]), secret="not-the-secret")
        hub.publish(rss(base, hub_url, feed_url, [5]), signature="")
        hub.publish(rss(base, hub_url, feed_url, [6]), signature="md5=00")
        assert len(corpus(tmp_path)) == 3

        # The lease granted (4 s) is renewed before it ends: a new request, verified.
        assert wait_for(lambda: len(hub.verified) >= 2, timeout=10), "renewed"
        assert hub.verified[-1].secret == hub.verified[0].secret

        # Pushed, the source is polled only as a slow fallback (an hour here).
        polls = len(server.hits("/feed.xml"))
        time.sleep(3)
        assert len(server.hits("/feed.xml")) <= polls + 1
    finally:
        err = stop(proc)
    assert proc.returncode == 0, err
    refused = [line for line in err.splitlines() if "signature refused" in line]
    assert len(refused) == 3 and all("pushed" in line for line in refused)


def test_a_push_larger_than_the_size_cap_is_refused() -> None:
    from seedwatch.daemon.websub import WebSub

    class NoPipeline:
        fetcher = None

    ws = WebSub(
        NoPipeline(),  # type: ignore[arg-type]
        callback="http://127.0.0.1/websub",
        listen="127.0.0.1:0",
        lease=timedelta(days=1),
        fallback=timedelta(hours=1),
        key=b"k",
        max_bytes=100,
    )
    ws.start([])
    try:
        request = urllib.request.Request(
            f"http://127.0.0.1:{ws.port}/websub/x", data=b"x" * 1000, method="POST"
        )
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(request, timeout=10)
        info.value.close()
        assert info.value.code == 413
    finally:
        ws.stop()


def test_hub_and_self_come_from_link_headers_first_then_the_feed() -> None:
    body = (DATA / "feeds" / "atom_github_commits_miniflux.xml").read_bytes()
    doc = Document(url="https://github.com/miniflux/v2/commits/main.atom", content=body,
                   fetched=datetime.now(UTC))  # fmt: skip
    # The real feed names itself (rel="self") but no hub.
    assert hub_links(doc) == (None, "https://github.com/miniflux/v2/commits/main.atom")
    headers = {"Link": '<https://hub.example/>; rel="hub", <https://ex.org/f.xml>; rel="self"'}
    doc = Document(url="https://ex.org/f", content=body, fetched=datetime.now(UTC),
                   headers=headers)  # fmt: skip
    assert hub_links(doc) == ("https://hub.example/", "https://ex.org/f.xml")
    feed = json.dumps({
        "version": "https://jsonfeed.org/version/1.1",
        "feed_url": "https://e/f.json",
        "hubs": [{"type": "WebSub", "url": "https://hub.e/"}],
        "items": [],
    })  # fmt: skip
    doc = Document(url="https://e/f.json", content=feed.encode(), fetched=datetime.now(UTC))
    assert hub_links(doc) == ("https://hub.e/", "https://e/f.json")


def test_signatures_of_each_algorithm_are_checked() -> None:
    body, secret = b"<rss/>", b"s3cret"
    for name in ("sha1", "sha256", "sha384", "sha512"):
        good = hmac.new(secret, body, getattr(hashlib, name)).hexdigest()
        assert signature_ok(f"{name}={good}", body, secret)
        assert not signature_ok(f"{name}={good}", body + b" ", secret)
    assert not signature_ok(None, body, secret)
    assert not signature_ok("md5=" + hashlib.md5(body).hexdigest(), body, secret)


def test_websub_without_a_callback_is_a_config_error_naming_source_and_key() -> None:
    with pytest.raises(ConfigError) as info:
        config_mod.from_dict({"sources": [{"id": "p", "url": "http://e/f", "websub": True}]})
    assert "'p'" in str(info.value) and '"websub"' in str(info.value)
    with pytest.raises(ConfigError) as info:
        config_mod.from_dict({"websub": {"callback": "/relative"}})
    assert "callback" in str(info.value)
