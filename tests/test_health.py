"""The health server of a running daemon after a run with mixed outcomes: /healthz,
/readyz, /metrics and the status page tell the truth, in a real browser too."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from lxml import html
from prometheus_client.parser import text_string_to_metric_families

from localserver import LocalServer, Reply, Request
from seedwatch.daemon import config as config_mod
from seedwatch.daemon import runtime
from seedwatch.daemon.health import HealthServer, split_address
from seedwatch.daemon.pipeline import Pipeline
from seedwatch.daemon.service import Service
from seedwatch.errors import StartupError


def feed(count: int, start: int = 0) -> bytes:
    items = "".join(
        f"<item><title>Item {n}</title><link>http://127.0.0.1/post/{n}</link>"
        f'<guid isPermaLink="false">item-{n}</guid>'
        f"<pubDate>{format_datetime(datetime.now(UTC) - timedelta(hours=n), usegmt=True)}"
        f"</pubDate><description>{' '.join(f'w{n}x{i}' for i in range(40))}</description></item>"
        for n in range(start, start + count)
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        f"<link>http://127.0.0.1/</link><description>d</description>{items}</channel></rss>"
    ).encode()


NEWS = feed(3)
QUIET = feed(2, start=10)
GARBAGE = b"just some words, not a feed"


def quiet(req: Request) -> Reply:
    if req.headers.get("If-None-Match") == '"q1"':
        return Reply(304, content_type=None)
    return Reply(body=QUIET, headers={"ETag": '"q1"'})


@dataclass
class Running:
    service: Service
    pipeline: Pipeline
    base: str

    def get(self, path: str) -> httpx.Response:
        return httpx.get(self.base + path, timeout=10)


@pytest.fixture
def running(server: LocalServer, tmp_path: Path) -> Iterator[Running]:
    routes = {
        "news": Reply(body=NEWS),
        "quiet": quiet,
        "mirror": Reply(body=NEWS),  # the same articles again: de-duplicated
        "broken": Reply(500, b"oops", content_type=None),
        "gone": Reply(410, b"gone", content_type=None),
        "garbage": Reply(body=GARBAGE, content_type=None),
    }
    sources: list[dict[str, Any]] = [
        {"id": name, "url": server.route(f"/{name}.xml", reply), "min_interval": "1h"}
        for name, reply in routes.items()
    ]
    sources[-1]["parser"] = "rss"
    config = config_mod.from_dict(
        {
            "corpus": {"path": "corpus"},
            "state": {"url": "sqlite:///state/state.db"},
            "daemon": {"listen": "127.0.0.1:0", "jitter": "0s"},
            "sources": sources,
        },
        file=tmp_path / "seedwatch.toml",
    )
    pipeline = runtime.build(config)
    service = Service(
        pipeline,
        config.enabled_sources(),
        listen=config.daemon.listen,
        corpus=config.corpus_path,
        jitter=timedelta(0),
        tick=0.1,
    )
    for source in config.enabled_sources():
        service.poll(source)
    service.poll(config.source("quiet"))  # a 304 this time
    thread = threading.Thread(target=service.run_forever)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not (service.server and service.scheduler and service.scheduler.running):
            assert time.monotonic() < deadline, "the daemon did not start"
            time.sleep(0.02)
        yield Running(service, pipeline, service.server.url("").rstrip("/"))
    finally:
        service.stop()
        thread.join(10)
        pipeline.close()


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_healthz_is_degraded_with_the_reasons_and_readyz_is_ready(running: Running) -> None:
    health = running.get("/healthz")
    assert health.status_code == 200
    assert health.json() == {
        "status": "degraded",
        "reasons": [
            "1 source parked: gone",
            "2 sources failing: broken, garbage",
        ],
    }
    ready = running.get("/readyz")
    assert ready.status_code == 200 and ready.json() == {"status": "ready"}
    assert running.get("/nothing").status_code == 404


def test_metrics_count_the_runs_outcomes(running: Running) -> None:
    response = running.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    m = samples(response.text)

    def polls(outcome: str, error: str = "") -> float:
        return m[("seedwatch_polls_total", (("error_class", error), ("outcome", outcome)))]

    assert polls("ok") == 3  # news, mirror, quiet's first poll
    assert polls("not-modified") == 1
    assert polls("error", "http-5xx") == polls("error", "http-4xx") == polls("error", "parse") == 1
    assert m[("seedwatch_items_total", (("verdict", "accepted"),))] == 5  # 3 news + 2 quiet
    assert m[("seedwatch_items_total", (("verdict", "identity"),))] == 3  # the mirror's
    assert m[("seedwatch_parked_sources", ())] == 1
    by_state = {
        state: m[("seedwatch_sources", (("state", state),))]
        for state in ("ok", "failing", "parked", "new")
    }
    assert by_state == {"ok": 3, "failing": 2, "parked": 1, "new": 0}
    assert m[("seedwatch_source_errors_total", (("error_class", "http-5xx"), ("source", "broken")))]
    assert m[("seedwatch_source_consecutive_errors", (("source", "garbage"),))] == 1
    assert m[("seedwatch_fetch_duration_seconds_count", (("status", "200"),))] == 4
    assert m[("seedwatch_fetch_duration_seconds_count", (("status", "304"),))] == 1
    wire = 2 * len(NEWS) + len(QUIET) + len(GARBAGE)
    assert m[("seedwatch_fetched_bytes_total", ())] == wire
    assert m[("seedwatch_poll_duration_seconds_count", ())] == 7
    assert ("process_cpu_seconds_total", ()) in m
    success = m[("seedwatch_source_last_success_timestamp_seconds", (("source", "news"),))]
    assert abs(success - time.time()) < 60


def status_rows(document: str) -> dict[str, list[str]]:
    tree = html.fromstring(document)
    rows = {}
    for tr in tree.xpath("//table[@id='sources']/tbody/tr"):
        cells = [" ".join(td.text_content().split()) for td in tr.xpath("td")]
        rows[tr.xpath("string(td[1]/b)")] = cells
    return rows


def check_page(document: str) -> None:
    rows = status_rows(document)
    # what needs attention first: parked, then failing, then the config's order
    assert list(rows) == ["gone", "broken", "garbage", "news", "quiet", "mirror"]
    state = {sid: cells[1] for sid, cells in rows.items()}
    assert state == {
        "news": "ok",
        "quiet": "ok",
        "mirror": "ok",
        "broken": "failing",
        "gone": "parked",
        "garbage": "failing",
    }
    outcome = {sid: cells[3] for sid, cells in rows.items()}
    assert outcome["quiet"] == "not-modified" and outcome["gone"] == "error"
    items = {sid: cells[6] for sid, cells in rows.items()}
    assert items == {
        "news": "3",
        "quiet": "2",
        "mirror": "0",
        "broken": "0",
        "gone": "0",
        "garbage": "0",
    }
    assert rows["broken"][7] == "http-5xx 1" and rows["garbage"][7] == "parse 1"
    assert rows["gone"][8].startswith("parked: HTTP 410 Gone")
    assert "HTTP 500" in rows["broken"][8]
    assert rows["gone"][4].startswith("in ") and "parked (HTTP 410 Gone)" in rows["gone"][4]
    tree = html.fromstring(document)
    chart = tree.xpath("//table[@id='sources']/tbody/tr[4]//svg")[0]  # news
    assert chart.get("aria-label") == "items per day: 0, 0, 0, 0, 0, 0, 3"
    assert tree.xpath("string(//b[@id='health'])") == "degraded"
    assert [li.text_content() for li in tree.xpath("//ul[@id='health-reasons']/li")] == [
        "1 source parked: gone",
        "2 sources failing: broken, garbage",
    ]
    assert "6 sources" in tree.xpath("string(//p)")
    refresh = tree.xpath("//meta[@http-equiv='refresh']/@content")
    assert refresh and int(refresh[0]) > 0
    corpus = {
        th.text_content(): th.getnext().text_content()
        for th in tree.xpath("//table[@id='corpus']//th")
    }
    assert corpus["files"] == "5" and corpus["items written"] == "5"


def test_the_status_page_shows_each_source_and_the_corpus(running: Running) -> None:
    response = running.get("/")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    head = response.text.split("<body>")[0]  # no external assets (http-equiv is no URL)
    assert "<script" not in response.text and "http:" not in head and "https:" not in head
    check_page(response.text)


@pytest.mark.skipif(
    shutil.which("chromium") is None and os.environ.get("CI") != "true",
    reason="Debian's chromium is not installed (CI installs it and never skips this)",
)
def test_the_status_page_in_a_real_headless_browser(running: Running, tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--dump-dom",
            running.base + "/",
        ],
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert proc.returncode == 0, proc.stderr
    check_page(proc.stdout)


def test_the_page_is_rendered_anew_on_each_load(running: Running) -> None:
    before = status_rows(running.get("/").text)
    assert before["broken"][7] == "http-5xx 1"
    running.service.poll(running.service.sources["broken"])
    after = status_rows(running.get("/").text)
    assert after["broken"][7] == "http-5xx 2"


def test_healthz_fails_when_the_scheduler_has_died(running: Running) -> None:
    assert running.service.scheduler is not None
    running.service.scheduler.shutdown(wait=False)
    health = running.get("/healthz")
    assert health.status_code == 503
    assert health.json() == {"status": "failing", "reasons": ["the scheduler is not running"]}
    ready = running.get("/readyz")
    assert ready.status_code == 503 and ready.json()["reasons"] == ["the scheduler is not running"]


def test_the_listen_address_must_be_free(running: Running) -> None:
    taken = running.base.removeprefix("http://")
    with pytest.raises(StartupError, match=r'cannot listen there.*listen = ""'):
        HealthServer(taken, running.service)


class Fixed:
    """A surface that is always healthy: the server's own limits are under test."""

    def health(self) -> tuple[str, list[str]]:
        return "ok", []

    def ready(self) -> tuple[bool, list[str]]:
        return True, []

    def metrics_text(self) -> bytes:
        return b""

    def status_page(self) -> str:
        return "<p>ok</p>"


@pytest.fixture
def small_server() -> Iterator[HealthServer]:
    health = HealthServer("127.0.0.1:0", Fixed(), max_connections=2, idle_timeout=0.5)
    health.start()
    try:
        yield health
    finally:
        health.stop()


def connect(server: HealthServer) -> socket.socket:
    host, port = split_address(server.address)
    return socket.create_connection((host, port), timeout=5)


def test_a_silent_connection_is_closed_after_the_idle_timeout(small_server: HealthServer) -> None:
    with connect(small_server) as silent:
        started = time.monotonic()
        assert silent.recv(1024) == b""  # closed by the server, not by our 5 s timeout
        assert time.monotonic() - started < 4


def test_connections_beyond_the_bound_are_closed_unanswered(small_server: HealthServer) -> None:
    held = [connect(small_server), connect(small_server)]
    time.sleep(0.1)  # both accepted and waiting for a request line
    with connect(small_server) as third:
        third.sendall(b"GET /healthz HTTP/1.0\r\n\r\n")
        try:
            answer = third.recv(1024)
        except ConnectionResetError:
            answer = b""
        assert answer == b""
    for sock in held:
        sock.close()
    deadline = time.monotonic() + 5
    while True:  # the held slots come back once their connections end
        try:
            response = httpx.get(small_server.url("/healthz"), timeout=5)
            break
        except httpx.TransportError:
            assert time.monotonic() < deadline
            time.sleep(0.05)
    assert response.json() == {"status": "ok"}
