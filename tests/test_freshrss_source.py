"""The freshrss source kind against a replay of a real FreshRSS 1.24.3 API.

Expected values were read from the recorded replies in
tests/data/freshrss/greader-api/: the reading list holds 16 items (ids
...c4ee down to ...c4df, timestampUsec 1795294325163246 down to ...231),
pages of 5 chain through continuations ...242, ...237, ...232.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from greader_server import PASSWORD, RECORDED, GReaderServer, recorded_streams
from localserver import LocalServer, Reply
from seedwatch.contracts import Cursor, Page, PollContext
from seedwatch.daemon.fetch import HttpFetcher
from seedwatch.errors import ConfigError, FetchError, ParseError
from seedwatch.models import Item, Source
from seedwatch.plugins.builtin.freshrss.greader import GReaderJsonParser
from seedwatch.plugins.builtin.freshrss.source import FreshRSSSourceKind, api_base

ITEM = "tag:google.com,2005:reader/item/"
READING_LIST = [f"{ITEM}000660cf8884c4{n:02x}" for n in range(0xEE, 0xDE, -1)]
NEWEST = "1795294325163246"


@pytest.fixture
def api(server: LocalServer) -> GReaderServer:
    return GReaderServer(server)


@pytest.fixture
def fetcher() -> Iterator[HttpFetcher]:
    with HttpFetcher() as f:
        yield f


def _source(api: GReaderServer, **options: Any) -> Source:
    return Source(
        id="freshrss-home",
        kind="freshrss",
        url=api.url,
        options={"user": "admin", **options},
        credentials={"password": PASSWORD},
    )


def _poll(
    kind: FreshRSSSourceKind,
    source: Source,
    fetcher: HttpFetcher,
    cursor: Cursor | None = None,
    **context: Any,
) -> list[Page]:
    return list(kind.poll(source, cursor or Cursor(), PollContext(fetcher=fetcher, **context)))


def _items(pages: list[Page]) -> list[Item]:
    return [i for p in pages if p.document for i in GReaderJsonParser().parse(p.document)]


# -- the replay itself ----------------------------------------------------------


def test_greader_server_reproduces_the_recordings(api: GReaderServer) -> None:
    """The filtering the server applies to unrecorded requests gives back every
    recorded page (its items and continuation; "updated" is the clock)."""
    for (stream, query), body in recorded_streams().items():
        recorded = json.loads(body)
        computed = json.loads(api.contents(stream, dict(query)))
        recorded.pop("updated"), computed.pop("updated")
        assert computed == recorded, (stream, query)


# -- walking a stream -------------------------------------------------------------


def test_first_poll_walks_the_whole_reading_list_once(
    api: GReaderServer, fetcher: HttpFetcher, server: LocalServer
) -> None:
    kind = FreshRSSSourceKind()
    pages = _poll(kind, _source(api, page_size=5), fetcher)
    assert len(pages) == 4
    assert [i.guid for i in _items(pages)] == READING_LIST
    assert [r.get("c") for r in api.stream_requests] == [
        None,
        "1795294325163242",
        "1795294325163237",
        "1795294325163232",
    ]
    # The mark moves on the last page only, to the newest timestampUsec.
    assert [p.cursor for p in pages] == [Cursor()] * 3 + [Cursor(mark=NEWEST)]
    for page in pages:
        assert page.document is not None
        assert page.document.media_type == "application/json"
    # Pages 1 to 4 are the recorded bytes.
    assert pages[1].document is not None
    assert pages[1].document.content == (RECORDED / "reading-list-page2.json").read_bytes()
    # ClientLogin was POSTed: the password is in no URL.
    (login,) = server.hits("/api/greader.php/accounts/ClientLogin")
    assert login.method == "POST"
    assert b"Email=admin" in login.body
    assert all(PASSWORD not in r.path for r in server.requests)


def test_same_article_through_two_feeds_is_two_items_with_one_key(
    api: GReaderServer, fetcher: HttpFetcher
) -> None:
    items = _items(_poll(FreshRSSSourceKind(), _source(api), fetcher))
    assert len(items) == 16
    # 16 entries, 12 articles: four came through a tag feed and the main feed.
    assert len({i.key for i in items}) == 12
    assert [i.site for i in items if i.key == "http://127.0.0.1:8080/posts/latest-news/"] == [
        "Field Notes – hardware",
        "Field Notes (Hugo test site)",
    ]


def test_default_page_size_takes_the_stream_in_one_request(
    api: GReaderServer, fetcher: HttpFetcher
) -> None:
    pages = _poll(FreshRSSSourceKind(), _source(api), fetcher)
    assert len(pages) == 1
    assert api.stream_requests[0]["n"] == "100"
    assert len(_items(pages)) == 16


def test_a_poll_with_a_mark_asks_only_for_newer_items(
    api: GReaderServer, fetcher: HttpFetcher
) -> None:
    kind = FreshRSSSourceKind()
    mark = Cursor(mark="1795294325163240")
    pages = _poll(kind, _source(api), fetcher, mark)
    assert api.stream_requests[0]["ot"] == "1795294325"  # the mark in whole seconds
    # Entries received after the mark: timestampUsec 246 down to 241.
    assert [i.guid for i in _items(pages)] == READING_LIST[:6]
    assert pages[-1].cursor == Cursor(mark=NEWEST)


def test_a_second_poll_brings_nothing_new(api: GReaderServer, fetcher: HttpFetcher) -> None:
    kind = FreshRSSSourceKind()
    source = _source(api, page_size=5)
    first = _poll(kind, source, fetcher)
    second = _poll(kind, source, fetcher, first[-1].cursor)
    assert _items(second) == []
    assert second[-1].cursor == Cursor(mark=NEWEST)
    assert api.logins == 1  # the token of the first poll is reused


def test_a_feed_stream_is_the_recorded_feed_reply(api: GReaderServer, fetcher: HttpFetcher) -> None:
    pages = _poll(FreshRSSSourceKind(), _source(api, stream="feed/1", page_size=20), fetcher)
    assert len(pages) == 1
    assert pages[0].document is not None
    assert pages[0].document.content == (RECORDED / "feed1-contents.json").read_bytes()
    items = _items(pages)
    assert len(items) == 12
    assert {i.site for i in items} == {"Field Notes (Hugo test site)"}


def test_a_label_stream_holds_the_items_of_that_category(
    api: GReaderServer, fetcher: HttpFetcher, server: LocalServer
) -> None:
    pages = _poll(FreshRSSSourceKind(), _source(api, stream="label/Hugo tags"), fetcher)
    # The four entries of feeds 2 and 3 (unread-count.json: "Hugo tags" count 4).
    assert [i.guid for i in _items(pages)] == [
        f"{ITEM}000660cf8884c4ee",
        f"{ITEM}000660cf8884c4e9",
        f"{ITEM}000660cf8884c4e3",
        f"{ITEM}000660cf8884c4e1",
    ]
    assert any("/user/-/label/Hugo%20tags?" in r.path for r in server.requests)


def test_starred_is_empty_here(api: GReaderServer, fetcher: HttpFetcher) -> None:
    pages = _poll(FreshRSSSourceKind(), _source(api, stream="starred"), fetcher)
    assert len(pages) == 1
    assert _items(pages) == []


# -- backfill ---------------------------------------------------------------------


def test_backfill_since_a_date_stops_at_that_date(api: GReaderServer, fetcher: HttpFetcher) -> None:
    since = datetime(2024, 3, 1, tzinfo=UTC)
    pages = _poll(
        FreshRSSSourceKind(), _source(api, page_size=5), fetcher, backfill=True, since=since
    )
    assert api.stream_requests[0]["ot"] == "1709251200"
    # Published on or after 2024-03-01: the five entries of page 1 (the last,
    # "A Post Without Tags", at 2024-03-01 09:00); "A Long Read on Time Zones"
    # (2024-02-23) and everything older are left out.
    items = _items(pages)
    assert [i.guid for i in items] == READING_LIST[:5]
    assert min(i.published for i in items if i.published) == datetime(2024, 3, 1, 9, tzinfo=UTC)
    assert pages[-1].cursor == Cursor(mark=NEWEST)


def test_backfill_since_after_the_last_item_is_one_empty_page(
    api: GReaderServer, fetcher: HttpFetcher
) -> None:
    since = datetime(2026, 11, 22, tzinfo=UTC)  # the instance received everything the day before
    pages = _poll(FreshRSSSourceKind(), _source(api), fetcher, backfill=True, since=since)
    assert len(pages) == 1
    assert _items(pages) == []


def test_backfill_cut_short_by_max_pages_leaves_no_mark(
    api: GReaderServer, fetcher: HttpFetcher
) -> None:
    pages = _poll(
        FreshRSSSourceKind(), _source(api, page_size=5), fetcher, backfill=True, max_pages=2
    )
    assert len(pages) == 2
    assert [i.guid for i in _items(pages)] == READING_LIST[:10]
    assert pages[-1].cursor == Cursor()


# -- errors -----------------------------------------------------------------------


def test_a_wrong_password_says_so(api: GReaderServer, fetcher: HttpFetcher) -> None:
    source = replace(_source(api), credentials={"password": "nope"})
    with pytest.raises(FetchError, match="wrong or missing API password") as caught:
        _poll(FreshRSSSourceKind(), source, fetcher)
    assert caught.value.status == 401


def test_a_missing_password_is_a_config_error(api: GReaderServer, fetcher: HttpFetcher) -> None:
    source = replace(_source(api), credentials={})
    with pytest.raises(ConfigError, match="missing API password"):
        _poll(FreshRSSSourceKind(), source, fetcher)
    assert api.server.requests == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"url": "ftp://rss.example.net/"}, '"url"'),
        ({"options": {"stream": "reading-list"}}, '"options.user"'),
        ({"options": {"user": "admin", "stream": "everything"}}, '"options.stream"'),
        ({"options": {"user": "admin", "page_size": 0}}, '"options.page_size"'),
    ],
)
def test_bad_config_names_the_field(api: GReaderServer, change: dict[str, Any], field: str) -> None:
    with pytest.raises(ConfigError, match=field):
        FreshRSSSourceKind().check(replace(_source(api), **change))


def test_an_expired_token_mid_walk_logs_in_again_once(
    api: GReaderServer, fetcher: HttpFetcher
) -> None:
    api.expire_after = 2  # hand-made: each token serves two requests
    pages = _poll(FreshRSSSourceKind(), _source(api, page_size=5), fetcher)
    assert [i.guid for i in _items(pages)] == READING_LIST
    assert api.logins == 2


def test_a_token_refused_after_a_fresh_login_fails_clearly(
    api: GReaderServer, fetcher: HttpFetcher
) -> None:
    api.expire_after = 1  # hand-made: page 2 needs a new login, page 3 would need another
    walk = FreshRSSSourceKind().poll(
        _source(api, page_size=5), Cursor(), PollContext(fetcher=fetcher)
    )
    got = [next(walk), next(walk)]
    with pytest.raises(FetchError, match="refused the API token again"):
        next(walk)
    assert [i.guid for i in _items(got)] == READING_LIST[:10]
    assert api.logins == 2


def test_an_html_login_page_instead_of_the_api(api: GReaderServer, fetcher: HttpFetcher) -> None:
    api.login_page = True  # hand-made: a proxy sign-in in front of the API
    with pytest.raises(ParseError, match=r"HTML page \(a login page\?\)"):
        _poll(FreshRSSSourceKind(), _source(api), fetcher)


def test_an_html_page_in_the_middle_of_a_walk(api: GReaderServer, fetcher: HttpFetcher) -> None:
    kind = FreshRSSSourceKind()
    _poll(kind, _source(api), fetcher)  # logged in; the token is kept
    api.login_page = True
    with pytest.raises(ParseError, match="instead of the Google Reader API"):
        _poll(kind, _source(api), fetcher)


def test_an_endless_continuation_loop_is_stopped(api: GReaderServer, fetcher: HttpFetcher) -> None:
    api.ignore_continuation = True  # hand-made: the server answers page 1 to every c=
    walk = FreshRSSSourceKind().poll(
        _source(api, page_size=5), Cursor(), PollContext(fetcher=fetcher)
    )
    first = next(walk)
    with pytest.raises(ParseError, match="continuation 1795294325163242 again"):
        next(walk)
    assert [i.guid for i in _items([first])] == READING_LIST[:5]
    assert len(api.stream_requests) == 2


def test_neither_password_nor_token_is_logged(
    api: GReaderServer, fetcher: HttpFetcher, caplog: pytest.LogCaptureFixture
) -> None:
    api.expire_after = 2
    with caplog.at_level(logging.DEBUG):
        _poll(FreshRSSSourceKind(), _source(api, page_size=5), fetcher)
        with pytest.raises(FetchError):
            _poll(
                FreshRSSSourceKind(),
                replace(_source(api), credentials={"password": "nope"}),
                fetcher,
            )
    assert caplog.records
    assert PASSWORD not in caplog.text
    assert "admin/" not in caplog.text  # tokens look like "admin/<sha1>"


@pytest.mark.parametrize(
    ("url", "endpoint"),
    [
        ("https://rss.example.net", "https://rss.example.net/api/greader.php"),
        ("https://rss.example.net/", "https://rss.example.net/api/greader.php"),
        ("https://rss.example.net/i/", "https://rss.example.net/api/greader.php"),
        ("https://example.net/FreshRSS/p/", "https://example.net/FreshRSS/p/api/greader.php"),
        ("https://rss.example.net/api/greader.php", "https://rss.example.net/api/greader.php"),
    ],
)
def test_api_endpoint_from_the_instance_url(url: str, endpoint: str) -> None:
    assert api_base(url) == endpoint


def test_client_login_is_not_posted_again_to_another_origin(
    api: GReaderServer, fetcher: HttpFetcher, server: LocalServer
) -> None:
    # A 307 repeats the POST, body and all: the API password must not follow it
    # to another origin (here the same host on another port).
    with LocalServer() as elsewhere:
        elsewhere.route("/steal", Reply(body=b"Auth=stolen\n", content_type="text/plain"))
        server.route(
            "/api/greader.php/accounts/ClientLogin",
            Reply(307, headers={"Location": elsewhere.url("/steal")}, content_type=None),
        )
        with pytest.raises(FetchError) as info:
            _poll(FreshRSSSourceKind(), _source(api), fetcher)
        assert elsewhere.requests == []
    assert info.value.category == "refused"
    assert PASSWORD not in str(info.value)
