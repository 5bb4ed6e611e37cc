"""Politeness against real local servers: per-host and global caps, spacing,
Retry-After for one source or a whole host, robots.txt for page sources."""

from __future__ import annotations

import itertools
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from feedgen import rss
from localserver import LocalServer, RawServer, Reply, Request
from seedwatch.daemon import config as config_mod
from seedwatch.daemon import runtime
from seedwatch.daemon.fetch import FetchSettings, HttpFetcher
from seedwatch.daemon.fetch.politeness import HostGate
from seedwatch.daemon.fetch.robots import applies
from seedwatch.daemon.service import Service
from seedwatch.errors import FetchError
from seedwatch.models import Source

FEED = Source(id="feed", url="http://127.0.0.1/feed.xml", parser="rss")
FORUM = Source(id="forum", url="http://127.0.0.1/t/1", parser="xenforo")


@pytest.fixture
def fetcher() -> Iterator[HttpFetcher]:
    with HttpFetcher(FetchSettings(total_timeout=10, robots=True)) as f:
        yield f


def fetch_many(fetcher: HttpFetcher, urls: list[str]) -> list[Any]:
    def one(url: str) -> Any:
        try:
            return fetcher.fetch(url, source=FEED, local_ok=True)
        except FetchError as exc:
            return exc

    with ThreadPoolExecutor(len(urls)) as pool:
        return list(pool.map(one, urls))


# -- caps and spacing ---------------------------------------------------------------


def test_one_host_never_sees_more_than_its_cap_of_requests_at_once(
    server: LocalServer, fetcher: HttpFetcher
) -> None:
    urls = [server.route(f"/f{n}", Reply(body=b"<rss/>", delay=0.2)) for n in range(8)]
    started = time.monotonic()
    assert all(doc is not None for doc in fetch_many(fetcher, urls))
    assert server.max_active == 2  # the default per_host cap, and it is used
    assert time.monotonic() - started >= 4 * 0.2  # 8 requests, 2 at a time


def test_hosts_have_caps_of_their_own_under_a_global_cap(server: LocalServer) -> None:
    # "127.0.0.1" and "localhost" are two hosts to the gate, one server here.
    urls = [server.route(f"/f{n}", Reply(body=b"<rss/>", delay=0.3)) for n in range(6)]
    urls += [u.replace("127.0.0.1", "localhost") for u in urls]
    settings = FetchSettings(per_host=2, max_concurrency=3)
    with HttpFetcher(settings) as f:
        fetch_many(f, urls)
        assert f.gate.max_active == {"127.0.0.1": 2, "localhost": 2}
    assert server.max_active == 3  # two hosts of 2 each, but only 3 at once in all


def test_requests_to_one_host_start_at_least_the_delay_apart(server: LocalServer) -> None:
    urls = [server.route(f"/f{n}", Reply(body=b"<rss/>")) for n in range(4)]
    with HttpFetcher(FetchSettings(local_host_delay=0.25)) as f:
        fetch_many(f, urls)
    starts = sorted(r.at for r in server.requests)
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert len(starts) == 4 and min(gaps) >= 0.24, gaps


def test_loopback_hosts_get_the_local_delay_others_the_host_delay() -> None:
    gate = HostGate(delay=1.5, local_delay=0.0)
    assert gate.spacing("127.0.0.1") == 0.0 and gate.spacing("localhost") == 0.0
    assert gate.spacing("::1") == 0.0 and gate.spacing("example.org") == 1.5
    gate.set_crawl_delay("example.org", 4)
    gate.set_crawl_delay("slow.example", 3600)
    assert gate.spacing("example.org") == 4 and gate.spacing("slow.example") == 60


def test_waiting_for_a_slot_is_bounded_by_the_fetch_deadline(server: LocalServer) -> None:
    url = server.route("/f", Reply(body=b"<rss/>"))
    with HttpFetcher(FetchSettings(per_host=1, total_timeout=0.5)) as f:
        with f.gate.slot("127.0.0.1", url=url):  # another thread's request, never ending
            started = time.monotonic()
            with pytest.raises(FetchError) as info:
                f.fetch(url, source=FEED, local_ok=True)
            assert 0.45 <= time.monotonic() - started < 2
        assert info.value.category == "timeout"
        assert "no free request slot for host 127.0.0.1" in str(info.value)
        assert f.fetch(url, source=FEED, local_ok=True) is not None  # the slot is free again
    assert len(server.hits("/f")) == 1


def test_not_modified_answers_keep_the_connection_for_the_next_request() -> None:
    def not_modified(conn: socket.socket, stopping: threading.Event) -> None:
        buffer = b""
        while not stopping.is_set():
            chunk = conn.recv(65536)
            if not chunk:
                return
            buffer += chunk
            while b"\r\n\r\n" in buffer:
                _, buffer = buffer.split(b"\r\n\r\n", 1)
                conn.sendall(
                    b'HTTP/1.1 304 Not Modified\r\nETag: "v1"\r\nContent-Length: 0\r\n\r\n'
                )

    with RawServer(not_modified) as raw, HttpFetcher() as f:
        for _ in range(3):
            assert f.fetch(raw.url("/feed"), source=FEED, etag='"v1"') is None
    assert raw.connections == 1  # one handshake, not one per poll


# -- Retry-After ----------------------------------------------------------------------


def busy(seconds: int) -> Reply:
    return Reply(429, b"slow down", headers={"Retry-After": str(seconds)}, content_type=None)


def test_one_sources_retry_after_holds_back_only_that_source(
    server: LocalServer, fetcher: HttpFetcher
) -> None:
    a = server.route("/a", busy(60))
    b = server.route("/b", Reply(body=b"<rss/>"))
    with pytest.raises(FetchError) as info:
        fetcher.fetch(a, source=Source(id="a", url=a), local_ok=True)
    assert info.value.retry_after == 60 and info.value.category == "http-4xx"
    assert fetcher.fetch(b, source=Source(id="b", url=b), local_ok=True) is not None
    assert fetcher.gate.blocked_until("127.0.0.1") is None


def test_a_host_that_tells_two_sources_to_wait_blocks_all_its_sources(
    server: LocalServer, fetcher: HttpFetcher
) -> None:
    a = server.route("/a", busy(60))
    b = server.route("/b", Reply(503, b"", headers={"Retry-After": "120"}, content_type=None))
    c = server.route("/c", Reply(body=b"<rss/>"))
    for url, sid in ((a, "a"), (b, "b")):
        with pytest.raises(FetchError):
            fetcher.fetch(url, source=Source(id=sid, url=url), local_ok=True)
    with pytest.raises(FetchError) as info:
        fetcher.fetch(c, source=Source(id="c", url=c), local_ok=True)
    assert info.value.category == "deferred"
    assert info.value.retry_after is not None and 110 < info.value.retry_after <= 120
    assert server.hits("/c") == []  # never reached the host
    assert fetcher.gate.blocked_until("localhost") is None  # another host is not held back


@pytest.mark.parametrize("asked", ["99999999999999", "9" * 5000, "Fri, 31 Dec 2099 23:59:59 GMT"])
def test_a_host_asking_to_wait_for_ever_is_asked_again_after_a_day(
    server: LocalServer, fetcher: HttpFetcher, asked: str
) -> None:
    down = Reply(503, b"", headers={"Retry-After": asked}, content_type=None)
    urls = [server.route(f"/{n}", down) for n in range(2)]
    for n, url in enumerate(urls):
        with pytest.raises(FetchError) as info:
            fetcher.fetch(url, source=Source(id=f"s{n}", url=url), local_ok=True)
        assert info.value.category == "http-5xx"
        assert info.value.retry_after is not None and info.value.retry_after > 86400
    until = fetcher.gate.blocked_until("127.0.0.1")
    assert until is not None and until <= datetime.now(UTC) + timedelta(days=1)


# -- robots.txt -----------------------------------------------------------------------

ROBOTS = b"User-agent: *\nDisallow: /private/\nDisallow: /t/\nAllow: /t/open\n"


def test_robots_applies_to_page_sources_and_found_links_not_to_named_feeds() -> None:
    get = {"local_ok": True, "method": "GET", "headers": None}
    assert applies(FORUM, **get)  # type: ignore[arg-type]
    assert not applies(FEED, **get)  # type: ignore[arg-type]
    assert not applies(Source(id="sniffed", url="http://h/x"), **get)  # type: ignore[arg-type]
    assert applies(FEED, local_ok=False, method="GET", headers=None)  # a link found in a document
    api = {"local_ok": False, "method": "GET", "headers": {"Authorization": "GoogleLogin auth=x"}}
    assert not applies(FORUM, **api)  # type: ignore[arg-type]
    assert not applies(FORUM, local_ok=False, method="POST", headers=None)
    opted_out = Source(id="f", url="http://h/", parser="xenforo", options={"robots": False})
    assert not applies(opted_out, local_ok=False, method="GET", headers=None)
    forced = Source(id="f", url="http://h/", parser="rss", options={"robots": True})
    assert applies(forced, local_ok=True, method="GET", headers=None)
    with pytest.raises(FetchError, match='option "robots": expected true or false'):
        applies(Source(id="f", options={"robots": "no"}), local_ok=True, method="GET", headers=None)


def test_robots_txt_disallows_a_page_source_and_is_fetched_once_per_origin(
    server: LocalServer, fetcher: HttpFetcher
) -> None:
    server.route("/robots.txt", Reply(body=ROBOTS, content_type="text/plain"))
    closed = server.route("/t/1", Reply(body=b"<html></html>", content_type="text/html"))
    opened = server.route("/t/open", Reply(body=b"<html></html>", content_type="text/html"))
    forum = Source(id="forum", url=closed, parser="xenforo")
    with pytest.raises(FetchError) as info:
        fetcher.fetch(closed, source=forum, local_ok=True)
    assert info.value.category == "refused"
    assert "robots.txt disallows it for 'seedwatch'" in str(info.value)
    assert "robots = false" in str(info.value)
    assert fetcher.fetch(opened, source=forum, local_ok=True) is not None
    assert server.hits("/t/1") == []
    assert len(server.hits("/robots.txt")) == 1
    agent = server.hits("/robots.txt")[0].headers["User-Agent"]
    assert agent.startswith("seedwatch/") and "(+https://" in agent


def test_a_feed_named_in_the_config_is_fetched_whatever_robots_txt_says(
    server: LocalServer, fetcher: HttpFetcher
) -> None:
    server.route("/robots.txt", Reply(body=b"User-agent: *\nDisallow: /\n", content_type=None))
    url = server.route("/feed.xml", Reply(body=rss(1)))
    assert fetcher.fetch(url, source=Source(id="f", url=url, parser="rss"), local_ok=True)
    assert server.hits("/robots.txt") == []
    opted_out = Source(id="f", url=url, parser="xenforo", options={"robots": False})
    assert fetcher.fetch(url, source=opted_out, local_ok=True) is not None


def test_robots_txt_missing_allows_and_unreachable_disallows_for_now(server: LocalServer) -> None:
    page = server.route("/t/1", Reply(body=b"<html></html>", content_type="text/html"))
    forum = Source(id="forum", url=page, parser="xenforo")
    with HttpFetcher(FetchSettings(robots=True)) as f:
        assert f.fetch(page, source=forum, local_ok=True) is not None  # 404: no rules
    server.route("/robots.txt", Reply(500, b"oops", content_type=None))
    with HttpFetcher(FetchSettings(robots=True)) as f, pytest.raises(FetchError) as info:
        f.fetch(page, source=forum, local_ok=True)
    assert info.value.category == "refused" and "unreachable (HTTP 500" in str(info.value)
    assert len(server.hits("/t/1")) == 1


def test_a_redirect_into_a_disallowed_path_is_refused(
    server: LocalServer, fetcher: HttpFetcher
) -> None:
    server.route("/robots.txt", Reply(body=ROBOTS, content_type="text/plain"))
    start = server.route("/go", Reply(302, headers={"Location": "/private/x"}, content_type=None))
    server.route("/private/x", Reply(body=b"secret", content_type="text/html"))
    with pytest.raises(FetchError, match=r"robots\.txt disallows"):
        fetcher.fetch(start, source=Source(id="p", url=start, parser="xenforo"), local_ok=True)
    assert server.hits("/private/x") == []


def test_crawl_delay_of_robots_txt_spaces_the_hosts_requests(server: LocalServer) -> None:
    server.route("/robots.txt", Reply(body=b"User-agent: *\nCrawl-delay: 0.3\n", content_type=None))
    pages = [
        server.route(f"/p/{n}", Reply(body=b"<html/>", content_type="text/html")) for n in range(3)
    ]
    forum = Source(id="forum", url=pages[0], parser="xenforo")
    with HttpFetcher(FetchSettings(robots=True)) as f:
        for page in pages:
            f.fetch(page, source=forum, local_ok=True)
        assert f.gate.spacing("127.0.0.1") == 0.3
    starts = [r.at for r in server.requests if r.path.startswith("/p/")]
    # Arrival times at the server: one request's handling delayed by a busy
    # machine shortens its gap to the next; unspaced requests arrive ~1 ms apart.
    assert min(b - a for a, b in itertools.pairwise(starts)) >= 0.2


# -- through the daemon ---------------------------------------------------------------


def test_sources_sharing_a_host_polled_concurrently_respect_its_cap(
    server: LocalServer, tmp_path: Path
) -> None:
    lock = threading.Lock()
    served: list[str] = []

    def slow_feed(req: Request) -> Reply:
        with lock:
            served.append(req.path)
        return Reply(body=rss(1, start=len(served) * 10), delay=0.2)

    sources = []
    for n in range(6):
        url = server.route(f"/f{n}.xml", slow_feed)
        sources.append({"id": f"f{n}", "url": url})
        # the same server under a second host name: a second politeness host
        sources.append({"id": f"g{n}", "url": url.replace("127.0.0.1", "localhost")})
    config = config_mod.from_dict(
        {
            "corpus": {"path": "corpus"},
            "state": {"url": "sqlite:///state/state.db"},
            "daemon": {"concurrency": 8},
            "sources": sources,
        },
        file=tmp_path / "seedwatch.toml",
    )
    with runtime.running(config) as pipeline:
        service = Service(pipeline, config.enabled_sources(), concurrency=8)
        started = time.monotonic()
        results = service.run_once()
        elapsed = time.monotonic() - started
        assert isinstance(pipeline.fetcher, HttpFetcher)
        assert pipeline.fetcher.gate.max_active == {"127.0.0.1": 2, "localhost": 2}
    assert [r.error for r in results] == [None] * 12
    assert server.max_active == 4  # 2 per host, both hosts busy at once
    # 6 polls of 0.2 s per host, 2 at a time: never faster than 3 rounds
    assert elapsed > 0.55, elapsed
