"""The ``http`` source kind: one conditional fetch per poll, the cursor carries
the validators, a 304 yields a Page without a Document."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from localserver import LocalServer, Reply, Request
from seedwatch.contracts import Cursor, PollContext, SourceKind
from seedwatch.daemon.fetch import FetchSettings, HttpFetcher
from seedwatch.errors import ConfigError, FetchError
from seedwatch.models import Source
from seedwatch.plugins.manager import build_registry

STAMP = "Sat, 21 Nov 2026 10:00:00 GMT"


@pytest.fixture
def kind() -> SourceKind:
    return build_registry(load_external=False).source_kind("http")


@pytest.fixture
def context() -> Iterator[PollContext]:
    with HttpFetcher(FetchSettings(total_timeout=5)) as fetcher:
        yield PollContext(fetcher=fetcher)


def cached_feed(req: Request) -> Reply:
    if req.headers.get("If-None-Match") == '"v1"' or req.headers.get("If-Modified-Since") == STAMP:
        return Reply(304, content_type=None)
    return Reply(
        body=b"<rss><channel/></rss>",
        content_type="application/rss+xml",
        headers={"ETag": '"v1"', "Last-Modified": STAMP},
    )


def test_http_kind_is_a_built_in(kind: SourceKind) -> None:
    registry = build_registry(load_external=False)
    assert registry.owners[("register_source_kinds", "http")] == (
        "seedwatch.plugins.builtin.http_source"
    )
    assert kind.name == "http"


def test_poll_yields_the_document_and_the_new_validators(
    server: LocalServer, kind: SourceKind, context: PollContext
) -> None:
    source = Source(id="feed", url=server.route("/feed", cached_feed))
    (page,) = kind.poll(source, Cursor(mark="kept"), context)
    assert page.document is not None and page.document.content == b"<rss><channel/></rss>"
    assert page.document.source is source
    assert page.cursor == Cursor(etag='"v1"', last_modified=STAMP, mark="kept")


def test_second_poll_with_the_cursor_is_not_modified(
    server: LocalServer, kind: SourceKind, context: PollContext
) -> None:
    source = Source(id="feed", url=server.route("/feed", cached_feed))
    (first,) = kind.poll(source, Cursor(), context)
    (second,) = kind.poll(source, first.cursor, context)
    assert second.document is None and second.cursor == first.cursor
    hit = server.hits("/feed")[1]
    assert (hit.headers["If-None-Match"], hit.headers["If-Modified-Since"]) == ('"v1"', STAMP)


def test_validators_the_server_stops_sending_are_dropped(
    server: LocalServer, kind: SourceKind, context: PollContext
) -> None:
    source = Source(id="feed", url=server.route("/feed", Reply(body=b"<rss/>")))
    (page,) = kind.poll(source, Cursor(etag='"old"', last_modified=STAMP), context)
    assert page.document is not None and page.cursor == Cursor()


def test_backfill_fetches_unconditionally(
    server: LocalServer, kind: SourceKind, context: PollContext
) -> None:
    source = Source(id="feed", url=server.route("/feed", cached_feed))
    backfill = PollContext(fetcher=context.fetcher, backfill=True)
    (page,) = kind.poll(source, Cursor(etag='"v1"', last_modified=STAMP), backfill)
    assert page.document is not None
    assert "If-None-Match" not in server.hits("/feed")[0].headers


def test_a_configured_local_file_is_polled_too(
    kind: SourceKind, context: PollContext, tmp_path: Path
) -> None:
    feed = tmp_path / "feed.rss"
    feed.write_bytes(b"<rss/>")
    for source in (Source(id="by-path", path=str(feed)), Source(id="by-url", url=feed.as_uri())):
        (page,) = kind.poll(source, Cursor(), context)
        assert page.document is not None and page.document.media_type == "application/rss+xml"
        (again,) = kind.poll(source, page.cursor, context)
        assert again.document is None


def test_fetch_errors_reach_the_caller(
    server: LocalServer, kind: SourceKind, context: PollContext
) -> None:
    source = Source(id="gone", url=server.route("/feed", Reply(410)))
    with pytest.raises(FetchError) as info:
        list(kind.poll(source, Cursor(), context))
    assert (info.value.category, info.value.status) == ("http-4xx", 410)


def test_check_wants_a_url(kind: SourceKind) -> None:
    kind.check(Source(id="ok", url="https://example.org/feed"))
    with pytest.raises(ConfigError) as info:
        kind.check(Source(id="nowhere"))
    assert 'source "nowhere" (kind "http"): field "url"' in str(info.value)
