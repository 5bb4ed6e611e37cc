"""The daemon against real local servers: what each answer does to the next poll
and the source's state (304, 429, 503, 410, 301, slow bodies, timeouts, plugin
errors), recovery and parking, and the process: schedule, SIGTERM drain,
SIGHUP reload, systemd notifications, one JSON log line per poll."""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest

from daemons import started
from localserver import LocalServer, Reply, Request
from seedwatch import Document, Item, Parser, hookimpl
from seedwatch.contracts import PollResult
from seedwatch.daemon import config as config_mod
from seedwatch.daemon import runtime
from seedwatch.daemon.cli import main
from seedwatch.daemon.pipeline import Pipeline
from seedwatch.daemon.service import Service
from seedwatch.state.store import SourceState, now
from waiting import wait_for


def recent_rss(count: int, *, start: int = 0, apart: timedelta = timedelta(minutes=1)) -> bytes:
    """A feed whose entries were published ``apart`` from each other, the newest now."""
    items = []
    for n in range(start, start + count):
        when = format_datetime(datetime.now(UTC) - apart * (n - start), usegmt=True)
        words = " ".join(f"w{n}x{i}" for i in range(40))
        items.append(
            f"<item><title>Item {n}</title><link>http://127.0.0.1/post/{n}</link>"
            f'<guid isPermaLink="false">item-{n}</guid><pubDate>{when}</pubDate>'
            f"<description>{words}</description></item>"
        )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        f"<link>http://127.0.0.1/</link><description>d</description>{''.join(items)}"
        "</channel></rss>"
    ).encode()


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value)


def write_config(tmp_path: Path, sources: list[dict[str, Any]], **daemon: Any) -> Path:
    settings = {"jitter": "0s", "listen": "127.0.0.1:0", **daemon}
    lines = ["[daemon]"] + [f"{k} = {toml_value(v)}" for k, v in settings.items()]
    lines += ["[fetch]", 'total_timeout = "5s"']
    for src in sources:
        lines.append("[[sources]]")
        lines += [f"{k} = {toml_value(v)}" for k, v in src.items()]
    path = tmp_path / "seedwatch.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def built(tmp_path: Path) -> Iterator[Callable[..., Pipeline]]:
    pipelines: list[Pipeline] = []

    def build(sources: list[dict[str, Any]], **daemon: Any) -> Pipeline:
        config = config_mod.load(write_config(tmp_path, sources, **daemon))
        pipeline = runtime.build(config, extra_plugins=[BrokenPlugin()])
        pipelines.append(pipeline)
        return pipeline

    yield build
    for p in pipelines:
        p.close()


def poll(
    pipeline: Pipeline, source_id: str, config_sources: list[dict[str, Any]]
) -> tuple[PollResult, SourceState, datetime, datetime]:
    src = next(s for s in config_sources if s["id"] == source_id)
    source = config_mod.from_dict({"sources": [src]}).source(source_id)
    before = now()
    result = pipeline.poll_source(source).result
    after = now()
    return result, pipeline.store.source_state(source_id), before, after


def within(moment: datetime | None, before: datetime, after: datetime, delay: timedelta) -> bool:
    return moment is not None and before + delay <= moment <= after + delay


class BrokenParser(Parser):
    name = "broken"

    def sniff(self, document: Document) -> float:
        return 0.0

    def parse(self, document: Document) -> Iterator[Item]:
        raise KeyError("the plugin's own bug")


class BrokenPlugin:
    @hookimpl
    def register_parsers(self, register: Callable[[Parser], None]) -> None:
        register(BrokenParser())


# -- answers and next polls ------------------------------------------------------------


def test_304_and_cache_control_set_the_next_poll(
    server: LocalServer, built: Callable[..., Pipeline]
) -> None:
    body = recent_rss(3)

    def feed(req: Request) -> Reply:
        if req.headers.get("If-None-Match") == '"v1"':
            return Reply(304, headers={"Cache-Control": "max-age=1800"}, content_type=None)
        return Reply(body=body, headers={"ETag": '"v1"', "Cache-Control": "max-age=600"})

    sources = [{"id": "f", "url": server.route("/f.xml", feed), "min_interval": "1m"}]
    pipeline = built(sources)
    result, state, before, after = poll(pipeline, "f", sources)
    assert result.accepted == 3 and state.last_outcome == "ok"
    # three entries a minute apart would mean polling every minute; the server
    # says the feed stays fresh for 10 minutes
    assert within(state.next_poll, before, after, timedelta(minutes=10))
    assert state.next_poll_reason == "cached for 10m (HTTP caching)"
    result, state, before, after = poll(pipeline, "f", sources)
    assert result.not_modified == 1 and state.last_outcome == "not-modified"
    assert within(state.next_poll, before, after, timedelta(minutes=30))
    assert state.consecutive_errors == 0 and state.error_counts == {}


def test_429_with_retry_after_delays_that_source_only(
    server: LocalServer, built: Callable[..., Pipeline]
) -> None:
    limited = server.route(
        "/limited.xml", Reply(429, b"", headers={"Retry-After": "900"}, content_type=None)
    )
    fine = server.route("/fine.xml", Reply(body=recent_rss(2)))
    sources = [
        {"id": "limited", "url": limited, "min_interval": "1m"},
        {"id": "fine", "url": fine, "min_interval": "1m"},
    ]
    pipeline = built(sources)
    result, state, before, after = poll(pipeline, "limited", sources)
    assert result.error_category == "http-4xx"
    assert within(state.next_poll, before, after, timedelta(seconds=900))
    assert state.next_poll_reason == "Retry-After 15m"
    assert state.error_counts == {"http-4xx": 1} and state.consecutive_errors == 1
    result, state, _, _ = poll(pipeline, "fine", sources)
    assert result.error is None and len(server.hits("/fine.xml")) == 1


def test_huge_numbers_in_headers_are_recorded_and_capped_at_max_interval(
    server: LocalServer, built: Callable[..., Pipeline]
) -> None:
    forever = "99999999999999"
    cached = Reply(body=recent_rss(2), headers={"Cache-Control": f"max-age={forever}"})
    busy = Reply(503, b"", headers={"Retry-After": forever}, content_type=None)
    sources = [
        {"id": "cached", "url": server.route("/cached.xml", cached), "max_interval": "2h"},
        {"id": "busy", "url": server.route("/busy.xml", busy), "max_interval": "2h"},
    ]
    pipeline = built(sources)
    result, state, before, after = poll(pipeline, "cached", sources)
    assert result.error is None and state.last_outcome == "ok"
    assert within(state.next_poll, before, after, timedelta(hours=2))
    result, state, before, after = poll(pipeline, "busy", sources)
    assert result.error_category == "http-5xx" and state.last_outcome == "error"
    assert within(state.next_poll, before, after, timedelta(hours=2))
    assert "capped at max_interval" in (state.next_poll_reason or "")


def test_a_retry_after_date_decades_away_is_capped_and_said_in_human_units(
    server: LocalServer, built: Callable[..., Pipeline]
) -> None:
    far = datetime(2099, 1, 1, tzinfo=UTC)
    years = (far - datetime.now(UTC)).days // 365
    busy = Reply(503, b"", headers={"Retry-After": format_datetime(far, usegmt=True)})
    sources = [{"id": "busy", "url": server.route("/busy.xml", busy), "max_interval": "2h"}]
    pipeline = built(sources)
    result, state, before, after = poll(pipeline, "busy", sources)
    assert result.error_category == "http-5xx"
    assert within(state.next_poll, before, after, timedelta(hours=2))
    assert state.next_poll_reason is not None and state.last_error is not None
    assert "Retry-After 2h" in state.next_poll_reason
    assert "capped at max_interval" in state.next_poll_reason
    # the server's wish in years, not a ten-digit number of seconds
    asked = re.search(r"retry after (\d+)y\b", state.last_error)
    assert asked and abs(int(asked.group(1)) - years) <= 1, state.last_error
    assert not re.search(r"\d{6,}", state.last_error + state.next_poll_reason)


def test_503_to_two_sources_of_a_host_defers_its_others_without_a_request(
    server: LocalServer, built: Callable[..., Pipeline]
) -> None:
    down = Reply(503, b"maintenance", headers={"Retry-After": "600"}, content_type=None)
    sources = [
        {"id": name, "url": server.route(f"/{name}.xml", down), "min_interval": "1m"}
        for name in ("a", "b")
    ]
    sources.append({"id": "c", "url": server.route("/c.xml", Reply(body=recent_rss(1)))})
    pipeline = built(sources)
    for name in ("a", "b"):
        result, state, _, _ = poll(pipeline, name, sources)
        assert result.error_category == "http-5xx" and state.consecutive_errors == 1
    result, state, before, after = poll(pipeline, "c", sources)
    assert result.error_category == "deferred" and server.hits("/c.xml") == []
    assert state.last_outcome == "deferred" and state.consecutive_errors == 0
    assert state.error_counts == {}  # not a failure of the source
    assert state.next_poll is not None
    assert before + timedelta(seconds=590) <= state.next_poll <= after + timedelta(seconds=600)


def test_503_without_retry_after_backs_off_exponentially(
    server: LocalServer, built: Callable[..., Pipeline]
) -> None:
    url = server.route("/f.xml", Reply(503, b"", content_type=None))
    sources = [{"id": "f", "url": url, "min_interval": "1m", "max_interval": "1h"}]
    pipeline = built(sources)
    for failures, nominal in ((1, 1), (2, 2), (3, 4)):
        _, state, before, after = poll(pipeline, "f", sources)
        assert state.consecutive_errors == failures
        assert state.next_poll is not None
        delay = timedelta(minutes=nominal)
        assert before + delay * 0.8 <= state.next_poll <= after + delay * 1.2
    assert state.error_counts == {"http-5xx": 3}


def test_410_parks_at_once_and_sources_resume_brings_it_back(
    server: LocalServer, built: Callable[..., Pipeline], tmp_path: Path
) -> None:
    url = server.route("/gone.xml", Reply(410, b"gone", content_type=None))
    sources = [{"id": "gone", "url": url, "min_interval": "1m"}]
    pipeline = built(sources, probe_interval="12h")
    _, state, before, after = poll(pipeline, "gone", sources)
    assert state.parked and state.parked_reason == "HTTP 410 Gone"
    assert within(state.next_poll, before, after, timedelta(hours=12))
    config = str(tmp_path / "seedwatch.toml")
    main(["--config", config, "sources", "resume", "gone"])
    state = pipeline.store.source_state("gone")
    assert not state.parked and state.consecutive_errors == 0
    assert state.next_poll is not None and state.next_poll <= now()


def test_a_permanent_redirect_seen_three_times_moves_the_stored_url(
    server: LocalServer, built: Callable[..., Pipeline], caplog: pytest.LogCaptureFixture
) -> None:
    old = server.route("/old.xml", Reply(301, headers={"Location": "/new.xml"}, content_type=None))
    new = server.route("/new.xml", Reply(body=recent_rss(2)))
    sources = [{"id": "moving", "url": old, "min_interval": "1m"}]
    pipeline = built(sources)
    for n in (1, 2):
        _, state, _, _ = poll(pipeline, "moving", sources)
        assert (state.redirect_target, state.redirect_count, state.url) == (new, n, None)
    _, state, _, _ = poll(pipeline, "moving", sources)
    assert (state.url, state.url_from) == (new, old)
    assert f"{old} has moved permanently to {new}" in caplog.text
    poll(pipeline, "moving", sources)
    assert len(server.hits("/old.xml")) == 3 and len(server.hits("/new.xml")) == 4


def test_a_body_slower_than_the_total_timeout_fails_as_a_timeout(
    server: LocalServer, built: Callable[..., Pipeline]
) -> None:
    trickle = Reply(body=iter(lambda: b"<", None), chunk_delay=0.2)
    url = server.route("/slow.xml", trickle)
    sources = [{"id": "slow", "url": url, "min_interval": "1m"}]
    pipeline = built(sources)
    started = time.monotonic()
    result, state, before, after = poll(pipeline, "slow", sources)
    assert time.monotonic() - started < 8  # the 5 s total limit, some slack
    assert result.error_category == "timeout" and state.error_counts == {"timeout": 1}
    assert state.next_poll is not None
    assert before + timedelta(seconds=48) <= state.next_poll <= after + timedelta(seconds=72)


def test_parse_and_plugin_errors_are_counted_apart(
    server: LocalServer, built: Callable[..., Pipeline]
) -> None:
    garbage = server.route(
        "/garbage.xml", Reply(body=b"just some words, not a feed", content_type=None)
    )
    page = server.route("/page", Reply(body=b"anything", content_type="text/plain"))
    sources = [
        {"id": "garbage", "url": garbage, "parser": "rss"},
        {"id": "buggy", "url": page, "parser": "broken", "robots": False},
    ]
    pipeline = built(sources)
    result, state, _, _ = poll(pipeline, "garbage", sources)
    assert result.error_category == "parse" and state.error_counts == {"parse": 1}
    result, state, _, _ = poll(pipeline, "buggy", sources)
    assert result.error_category == "plugin" and state.error_counts == {"plugin": 1}
    assert result.error is not None and "KeyError" in result.error


def test_a_page_source_disallowed_by_robots_txt_fails_as_refused(
    server: LocalServer, built: Callable[..., Pipeline]
) -> None:
    server.route("/robots.txt", Reply(body=b"User-agent: *\nDisallow: /\n", content_type=None))
    page = server.route("/thread", Reply(body=b"text", content_type="text/plain"))
    sources = [{"id": "page", "url": page, "parser": "plaintext"}]
    pipeline = built(sources)
    result, state, _, _ = poll(pipeline, "page", sources)
    assert result.error_category == "refused" and server.hits("/thread") == []
    assert state.error_counts == {"refused": 1}


def test_run_once_skips_a_parked_source_until_its_probe_is_due(
    server: LocalServer, built: Callable[..., Pipeline], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "seedwatch.service")
    url = server.route("/gone.xml", Reply(410, b"gone", content_type=None))
    sources = [{"id": "gone", "url": url}]
    pipeline = built(sources)
    service = Service(pipeline, [config_mod.from_dict({"sources": sources}).source("gone")])
    assert [r.error_category for r in service.run_once()] == ["http-4xx"]
    assert service.run_once() == []
    assert len(server.hits("/gone.xml")) == 1
    assert "source gone is parked (HTTP 410 Gone): next probe" in caplog.text


# -- recovery -----------------------------------------------------------------------------


def test_a_failing_source_is_parked_then_recovers_by_itself(
    server: LocalServer, built: Callable[..., Pipeline]
) -> None:
    answers = iter([Reply(503, b"down", content_type=None)] * 4)

    def flaky(req: Request) -> Reply:
        return next(answers, Reply(body=recent_rss(2)))

    sources = [{"id": "flaky", "url": server.route("/f.xml", flaky)}]
    sources[0] |= {"min_interval": "0.3s", "max_interval": "1s"}
    pipeline = built(sources, park_after=3, probe_interval="1.5s")
    source = config_mod.from_dict({"sources": sources}).source("flaky")
    service = Service(pipeline, [source], concurrency=2, jitter=timedelta(0), tick=0.2)
    seen: list[SourceState] = []
    original = service.poll

    def watched(src: Any) -> PollResult:
        result = original(src)
        seen.append(pipeline.store.source_state("flaky"))
        return result

    service.poll = watched  # type: ignore[method-assign]
    thread = threading.Thread(target=service.run_forever)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not (seen and seen[-1].last_outcome == "ok"):
            time.sleep(0.05)
    finally:
        service.stop()
        thread.join(10)
    outcomes = [(s.last_outcome, s.consecutive_errors, s.parked) for s in seen]
    assert outcomes[:5] == [
        ("error", 1, False),
        ("error", 2, False),
        ("error", 3, True),  # parked after 3 failures in a row
        ("error", 4, True),  # the first probe fails
        ("ok", 0, False),  # the next probe succeeds: resumed by itself
    ]
    assert seen[4].items_accepted == 2 and seen[4].error_counts == {"http-5xx": 4}
    gaps = [b.at - a.at for a, b in zip(server.requests, server.requests[1:], strict=False)]
    assert gaps[2] >= 1.4 and gaps[3] >= 1.4  # probes at the probe interval, not the back-off


# -- the process ---------------------------------------------------------------------------


def daemon(config: Path, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "seedwatch", "--config", str(config), "run"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    started.append(proc)
    return proc


def stop(proc: subprocess.Popen[str]) -> str:
    try:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    return err


def test_daemon_polls_on_schedule_and_logs_one_json_line_per_poll(
    server: LocalServer, tmp_path: Path
) -> None:
    # Dated when fetched, so a second apart whenever the daemon gets to start:
    # a slow start on a loaded machine must not read as a feed slowing down.
    fresh = lambda _: Reply(body=recent_rss(3, apart=timedelta(seconds=1)))  # noqa: E731
    url = server.route("/f.xml", fresh)
    config = write_config(
        tmp_path, [{"id": "gen", "url": url, "min_interval": "1s", "max_interval": "10s"}]
    )
    proc = daemon(config)
    assert wait_for(lambda: len(server.hits("/f.xml")) >= 3), "polled every second"
    err = stop(proc)
    assert proc.returncode == 0, err
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert lines, err  # stderr is not a terminal: JSON lines
    polls = [line for line in lines if line["logger"] == "seedwatch.service" and "outcome" in line]
    assert len(polls) >= 3
    first = polls[0]
    assert (first["source"], first["outcome"], first["items"], first["new"]) == ("gen", "ok", 3, 3)
    assert first["duration"] >= 0 and first["next_poll"]
    messages = [line["message"] for line in lines]
    assert "received SIGTERM" in messages and "stopped" in messages
    assert len(list((tmp_path / "corpus").iterdir())) == 3


def test_sigterm_drains_the_poll_in_flight(server: LocalServer, tmp_path: Path) -> None:
    url = server.route("/slow.xml", Reply(body=recent_rss(3), delay=2.0))
    proc = daemon(write_config(tmp_path, [{"id": "gen", "url": url}]))
    assert wait_for(lambda: len(server.hits("/slow.xml")) >= 1)
    err = stop(proc)  # while the server is still answering
    assert proc.returncode == 0, err
    assert len(list((tmp_path / "corpus").iterdir())) == 3, "the poll in flight finished"


def test_sigterm_gives_up_on_a_poll_after_the_drain_timeout(
    server: LocalServer, tmp_path: Path
) -> None:
    url = server.route("/stuck.xml", Reply(body=recent_rss(1), delay=30.0))
    config = write_config(tmp_path, [{"id": "stuck", "url": url}], drain_timeout="1s")
    config.write_text(config.read_text().replace('total_timeout = "5s"', 'total_timeout = "60s"'))
    proc = daemon(config)
    assert wait_for(lambda: len(server.hits("/stuck.xml")) >= 1)
    started = time.monotonic()
    err = stop(proc)
    assert proc.returncode == 0, err
    assert time.monotonic() - started < 10
    assert "gave up waiting after 1s for 1 poll(s) in flight" in err


def test_sighup_reloads_added_and_removed_sources(server: LocalServer, tmp_path: Path) -> None:
    a = server.route("/a.xml", Reply(body=recent_rss(1, apart=timedelta(seconds=1))))
    b = server.route("/b.xml", Reply(body=recent_rss(1, start=50, apart=timedelta(seconds=1))))
    fast = {"min_interval": "1s", "max_interval": "2s"}
    config = write_config(tmp_path, [{"id": "a", "url": a, **fast}])
    proc = daemon(config)
    try:
        assert wait_for(lambda: len(server.hits("/a.xml")) >= 1)
        write_config(tmp_path, [{"id": "b", "url": b, **fast}])
        proc.send_signal(signal.SIGHUP)
        assert wait_for(lambda: len(server.hits("/b.xml")) >= 2), "the added source is polled"
        polled_a = len(server.hits("/a.xml"))
        time.sleep(2.5)
        assert len(server.hits("/a.xml")) == polled_a, "the removed source is not"
        config.write_text("[[sources]\nbroken")
        proc.send_signal(signal.SIGHUP)
        assert wait_for(lambda: len(server.hits("/b.xml")) >= 4), "a bad config changes nothing"
    finally:
        err = stop(proc)
    assert proc.returncode == 0, err
    assert "added b; removed a" in err and "reload failed; the running config stays" in err


def test_systemd_notifications_ready_watchdog_stopping(server: LocalServer, tmp_path: Path) -> None:
    url = server.route("/f.xml", Reply(body=recent_rss(1)))
    address = str(tmp_path / "notify.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(address)
        sock.settimeout(15)
        env = {
            **os.environ,
            "NOTIFY_SOCKET": address,
            "WATCHDOG_USEC": "400000",
        }
        proc = daemon(write_config(tmp_path, [{"id": "f", "url": url}]), env=env)
        try:
            messages = [sock.recv(4096).decode() for _ in range(3)]
            proc.send_signal(signal.SIGTERM)
            while "STOPPING=1" not in messages[-1]:
                messages.append(sock.recv(4096).decode())
        finally:
            err = stop(proc)
    assert proc.returncode == 0, err
    assert messages[0].startswith("READY=1\nSTATUS=polling 1 source(s)")
    assert "WATCHDOG=1" in messages[1:]
    assert messages[-1].startswith("STOPPING=1")
