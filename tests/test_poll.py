"""One poll's data flow, explicit: ``poll_source`` takes what it needs and returns
one ``Poll`` (counts, state recorded, plan); the poll's fetches are recorded by
its own fetcher (whatever thread a source kind fetches from); failures are
classified by their type; plugins hear ``on_startup`` and ``on_shutdown`` once."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest

from feedgen import rss
from localserver import LocalServer, Reply
from seedwatch import Cursor, Page, PollContext, Source, SourceKind, hookimpl
from seedwatch.contracts import PollResult
from seedwatch.daemon import config as config_mod
from seedwatch.daemon import runtime


def config(tmp_path: Path, sources: list[dict[str, Any]]) -> config_mod.Config:
    return config_mod.from_dict(
        {
            "corpus": {"path": "corpus"},
            "state": {"url": "sqlite:///state.db"},
            "daemon": {"jitter": "0s"},
            "sources": sources,
        },
        file=tmp_path / "seedwatch.toml",
    )


class ThreadedKind(SourceKind):
    """Fetches the source's URL from a worker thread of its own."""

    name = "threaded"
    source_options = frozenset[str]()

    def poll(self, source: Source, cursor: Cursor, context: PollContext) -> Iterator[Page]:
        assert source.url is not None
        with ThreadPoolExecutor(1) as pool:
            document = pool.submit(
                lambda: context.fetcher.fetch(str(source.url), source=source)
            ).result()
        yield Page(document, Cursor())


class BrokenKind(SourceKind):
    name = "broken"
    source_options = frozenset[str]()

    def poll(self, source: Source, cursor: Cursor, context: PollContext) -> Iterator[Page]:
        raise KeyError("the kind broke")


class Kinds:
    @hookimpl
    def register_source_kinds(self, register: Callable[[SourceKind], None]) -> None:
        register(ThreadedKind())
        register(BrokenKind())


class Lifecycle:
    def __init__(self) -> None:
        self.events: list[str] = []

    @hookimpl
    def on_startup(self, sources: Sequence[Source]) -> None:
        self.events.append("startup " + ",".join(s.id for s in sources))

    @hookimpl
    def on_shutdown(self) -> None:
        self.events.append("shutdown")


def test_poll_source_returns_the_counts_the_recorded_state_and_the_plan(
    server: LocalServer, tmp_path: Path
) -> None:
    url = server.route("/feed.xml", Reply(body=rss(2)))
    cfg = config(tmp_path, [{"id": "a", "url": url}])
    with runtime.running(cfg) as pipeline:
        seen: list[int] = []
        poll = pipeline.poll_source(
            cfg.source("a"), on_progress=lambda result: seen.append(result.documents)
        )
        assert poll.result.accepted == 2 and seen == [1]
        assert poll.state is not None and poll.plan is not None
        assert poll.state.next_poll == poll.plan.next_poll
        assert poll.state == pipeline.store.source_state("a")
        assert poll.document is not None and poll.document.url == url
        dry = pipeline.poll_source(cfg.source("a"), dry_run=True)
        assert dry.state is None and dry.plan is None and dry.result.rejected == 2


def test_a_polls_fetches_are_its_own_whatever_thread_makes_them(
    server: LocalServer, tmp_path: Path
) -> None:
    # An item of a minute ago: the feed would be polled soon, but its response
    # stays fresh for two hours, which the scheduler learns from the fetch.
    fresh = format_datetime(datetime.now(UTC) - timedelta(minutes=1))
    body = rss(1).replace(b"Sat, 21 Nov 2026 10:00:00 +0000", fresh.encode())
    headers = {"Cache-Control": "max-age=7200"}
    url = server.route("/feed.xml", Reply(body=body, headers=headers))
    cfg = config(tmp_path, [{"id": "a", "kind": "threaded", "url": url, "min_interval": "1m"}])
    with runtime.running(cfg, extra_plugins=[Kinds()]) as pipeline:
        poll = pipeline.poll_source(cfg.source("a"))
    assert poll.result.error is None and poll.state is not None
    assert "HTTP caching" in (poll.state.next_poll_reason or "")


def test_a_source_kind_that_raises_is_a_plugin_failure_naming_the_plugin(
    server: LocalServer, tmp_path: Path
) -> None:
    cfg = config(tmp_path, [{"id": "a", "kind": "broken", "url": "http://127.0.0.1:9/"}])
    with runtime.running(cfg, extra_plugins=[Kinds()]) as pipeline:
        result: PollResult = pipeline.poll_source(cfg.source("a")).result
    assert result.error_category == "plugin"
    assert result.error is not None and "Kinds" in result.error and "the kind broke" in result.error


@pytest.mark.parametrize("sources", [None, ["b"]])
def test_plugins_hear_startup_and_shutdown_once(tmp_path: Path, sources: list[str] | None) -> None:
    cfg = config(
        tmp_path,
        [{"id": "a", "url": "http://127.0.0.1:9/a"}, {"id": "b", "url": "http://127.0.0.1:9/b"}],
    )
    plugin = Lifecycle()
    chosen = None if sources is None else [cfg.source(s) for s in sources]
    with runtime.running(cfg, sources=chosen, extra_plugins=[plugin]):
        assert plugin.events == [f"startup {','.join(sources or ['a', 'b'])}"]
    assert plugin.events[1:] == ["shutdown"]
    with pytest.raises(RuntimeError), runtime.running(cfg, extra_plugins=[plugin]):
        raise RuntimeError("the command failed")
    assert plugin.events[2:] == ["startup a,b", "shutdown"]
