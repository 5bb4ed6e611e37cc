"""freshrss-html: the pages a FreshRSS instance renders.

Expected values were read from the pages in tests/data/freshrss (the real
1.25.0-dev renderings and the hand-made share page): titles and links from
each ``h1.title > a.go_website``, dates from ``<time datetime>``, authors
from ``div.author``.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from seedwatch.errors import ParseError
from seedwatch.models import Document, Item
from seedwatch.plugins.builtin.freshrss.html import FreshRSSHtmlParser
from seedwatch.plugins.manager import build_registry
from seedwatch.text import paragraphs

DATA = Path(__file__).parent / "data" / "freshrss"
NORMAL = DATA / "normal_view_feed_hackernews_all_nb10.html"
READER = DATA / "reader_view_feed_discourse_unread.html"
GLOBAL = DATA / "global_view_unread.html"
SHARE = DATA / "handmade_user_query_share_html.html"
LOGIN = DATA / "handmade_login_page.html"
# Where the pages were rendered (SOURCES.md: loopback, port 8081, /i/).
NORMAL_URL = "http://127.0.0.1:8081/i/?a=normal&get=f_5&state=3&nb=10"
READER_URL = "http://127.0.0.1:8081/i/?a=reader&get=f_4"
GLOBAL_URL = "http://127.0.0.1:8081/i/?a=global"
SHARE_URL = "https://rss.example.net/api/query.php?user=alice&t=1a2b3c4d5e&f=html"

parser = FreshRSSHtmlParser()


def _doc(path: Path, url: str, content: bytes | None = None) -> Document:
    return Document(
        url=url,
        content=path.read_bytes() if content is None else content,
        fetched=datetime(2026, 11, 21, tzinfo=UTC),
        media_type="text/html",
        charset="utf-8",
    )


def _items(path: Path, url: str) -> list[Item]:
    return list(parser.parse(_doc(path, url)))


# -- normal view (feed filter: Hacker News) ------------------------------------

NORMAL_ARTICLES = [
    (
        "Show HN: MetricFlow – open-source metric framework",
        "https://github.com/transform-data/metricflow",
    ),
    (
        "Inside London's first Ketamine therapy clinic",
        "https://www.leafie.co.uk/articles/inside-londons-first-ketamine-therapy-clinic/",
    ),
    (
        "Twitter Bluesky: A Self-Authenticating Social Protocol",
        "https://blueskyweb.xyz/blog/3-6-2022-a-self-authenticating-social-protocol",
    ),
    (
        "AWS Lambda Function URLs: Built-In HTTPS Endpoints for Lambda",
        "https://aws.amazon.com/blogs/aws/announcing-aws-lambda-function-urls-built-in-https-"
        "endpoints-for-single-function-microservices/",
    ),
    (
        "Smarking (YC W15) is hiring staff and engineers to digitize the parking industry",
        "https://jobs.lever.co/smarking/01b7a4c5-28ce-4a4c-9c88-d4cad6c01c76",
    ),
    (
        "Home sweet homepage, a comic about growing up online",
        "https://sailorhg.com/home_sweet_homepage/",
    ),
    ("You can do a lot with an empty file", "https://rachelbythebay.com/w/2022/04/06/text/"),
    ("In defense of simple architectures", "https://danluu.com/simple-architectures/"),
    ("MIPS provides highly scalable RISC processor IP", "https://www.mips.com/"),
    ("The State of Fortran", "https://arxiv.org/abs/2203.15110"),
]


def test_normal_view_yields_one_item_per_flux_block_with_the_original_url() -> None:
    items = _items(NORMAL, NORMAL_URL)
    assert [(i.title, i.url) for i in items] == NORMAL_ARTICLES
    for item in items:
        assert item.key == item.url  # the article's own URL, never FreshRSS's
        assert item.parser == "freshrss-html"
        assert item.site == "Hacker News"
        assert item.author is None  # data-article-authors="" on every block
        assert item.text == "Comments"  # Hacker News items hold only their comments link
        assert item.extra["feed"] == "f_5"
        assert item.extra["view"] == "normal"


def test_normal_view_dates_and_entry_ids() -> None:
    items = _items(NORMAL, NORMAL_URL)
    assert items[0].published == datetime(2022, 4, 6, 22, 12, 3, tzinfo=UTC)
    assert items[-1].published == datetime(2022, 4, 6, 18, 20, 19, tzinfo=UTC)
    assert items[0].extra["freshrss_entry"] == "1795294593223444"
    # The Google Reader id greader.php would give entry 1795294593223444 (hex).
    assert items[0].guid == "tag:google.com,2005:reader/item/000660cf987f0b14"


def test_normal_view_next_page_is_the_load_more_link_made_absolute() -> None:
    pages = list(parser.next_pages(_doc(NORMAL, NORMAL_URL)))
    # formaction="./?a=normal&get=f_5&state=3&nb=10&rid=6b02058f39907&next=1795294593223434&ajax=1"
    assert pages == [
        "http://127.0.0.1:8081/i/?a=normal&get=f_5&state=3&nb=10&rid=6b02058f39907"
        "&next=1795294593223434"
    ]


# -- reader view (feed filter: a Discourse topic) ------------------------------

READER_ARTICLES = [
    (31, "ActiveMind", datetime(2026, 1, 21, 22, 40, 40, tzinfo=UTC)),
    (30, "anonymous105", datetime(2026, 1, 21, 22, 35, 34, tzinfo=UTC)),
    (29, "Elliot", datetime(2026, 1, 21, 21, 38, 39, tzinfo=UTC)),
    (28, "anonymous105", datetime(2026, 1, 21, 19, 30, 37, tzinfo=UTC)),
    (27, "Elliot", datetime(2026, 1, 21, 18, 41, 20, tzinfo=UTC)),
    (26, "anonymous105", datetime(2026, 1, 21, 18, 27, 54, tzinfo=UTC)),
    (25, "ActiveMind", datetime(2026, 1, 21, 2, 26, 9, tzinfo=UTC)),
    (24, "ActiveMind", datetime(2026, 1, 21, 2, 7, 10, tzinfo=UTC)),
]


def test_reader_view_yields_every_article_with_author_date_and_text() -> None:
    items = _items(READER, READER_URL)
    topic = "https://discuss.criticalfallibilism.com/t/kpop-demon-hunters/2144/"
    assert [(i.url, i.author, i.published) for i in items] == [
        (f"{topic}{n}", author, when) for n, author, when in READER_ARTICLES
    ]
    for item in items:
        assert item.title == "KPop Demon Hunters"
        assert item.site == "KPop Demon Hunters (Discourse)"
        assert item.extra["view"] == "reader"
        assert item.extra["feed"] == "f_4"
        assert item.text.endswith("Read full topic")
    first = paragraphs(items[0].text)
    assert (
        "For my physical copies with roughly same font size and page size, WTL is 443 pages "
        "and FH is 727 pages." in first
    )
    assert "\n\n\n" not in items[0].text


def test_reader_view_has_no_more_pages() -> None:
    # Its stream footer says "There are no more articles".
    assert list(parser.next_pages(_doc(READER, READER_URL))) == []


# -- global view ----------------------------------------------------------------


def test_global_view_is_zero_items_with_an_info_note(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="seedwatch.plugins.builtin.freshrss.html"):
        assert _items(GLOBAL, GLOBAL_URL) == []
    assert "global view" in caplog.text
    assert "by script" in caplog.text


# -- user-query share page (hand-made from FreshRSS's templates) ---------------


def test_share_page_yields_the_inner_flux_blocks_only() -> None:
    items = _items(SHARE, SHARE_URL)
    assert [(i.title, i.url) for i in items] == [
        (
            "Nokogiri’s Slop Feature",
            "http://tenderlovemaking.com/2008/12/04/nokogiris-slop-feature/",
        ),
        (
            "Cross Compiling Ruby Gems for win32",
            "http://tenderlovemaking.com/2008/11/21/cross-compiling-ruby-gems-for-win32/",
        ),
        (
            "Underpant-Free Excitement",
            "http://tenderlovemaking.com/2008/11/18/underpant-free-excitement/",
        ),
    ]
    assert [i.tags for i in items] == [
        ("computadora", "nokogiri", "rails"),
        ("computadora", "nokogiri"),
        ("computadora", "nokogiri"),
    ]
    for item in items:
        assert item.author == "Aaron Patterson"
        assert item.site == "Tender Lovemaking"
        assert item.extra["view"] == "user-query"
    assert items[1].published == datetime(2008, 11, 22, 4, 27, 2, tzinfo=UTC)
    # The <ol> of the second post: one "- " paragraph per <li>.
    assert paragraphs(items[1].text)[2:] == [
        "- Get a cross compiler (mingw)",
        "- Cross compile ruby",
        "- Cross compile your gem",
        "- Building your gemspec",
    ]
    assert items[2].text == "Underpant-Free Excitement, or, why Nokogiri works for me."


# -- every real page ------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "url", "blocks"),
    [(NORMAL, NORMAL_URL, 10), (READER, READER_URL, 8), (GLOBAL, GLOBAL_URL, 0)],
)
def test_every_flux_block_of_every_real_page_gives_title_url_and_text(
    path: Path, url: str, blocks: int
) -> None:
    # Block counts read from the pages: `grep -c 'class="flux[ "]'`.
    items = _items(path, url)
    assert len(items) == blocks
    for item in items:
        assert item.title and item.url and item.text
        assert item.published is not None and item.published.tzinfo is not None
    assert len({i.key for i in items}) == blocks


@pytest.mark.parametrize("path", [NORMAL, READER, GLOBAL, SHARE])
def test_sniff_picks_freshrss_html_for_every_page(path: Path) -> None:
    registry = build_registry(load_external=False)
    assert registry.sniff(_doc(path, "http://127.0.0.1:8081/i/")).name == "freshrss-html"


def test_sniff_is_zero_for_other_html_and_for_freshrss_rss_output() -> None:
    forum = Path(__file__).parent / "data" / "seeds" / "002_9f1a0bbdab6c30d1.txt"
    assert parser.sniff(_doc(forum, "file:///x.txt")) == 0.0
    rss = DATA / "rss_output_feed_discourse.xml"
    assert parser.sniff(_doc(rss, "http://127.0.0.1:8081/i/?a=rss")) == 0.0
    plain_html = b"<html><body><main id='stream'><div class='flux'>x</div></main></body></html>"
    assert parser.sniff(_doc(NORMAL, "http://example.org/", plain_html)) == 0.0


# -- markup we do not know, and garbage -------------------------------------------


def test_a_freshrss_page_without_stream_names_what_is_missing() -> None:
    # A future FreshRSS that renamed #stream: the real page with the id changed in memory.
    page = NORMAL.read_bytes().replace(b'id="stream"', b'id="articles"')
    with pytest.raises(ParseError, match="id='stream'"):
        list(parser.parse(_doc(NORMAL, NORMAL_URL, page)))


def test_a_freshrss_page_without_flux_blocks_names_what_is_missing() -> None:
    # A future FreshRSS that renamed .flux: the real page with the class changed in memory.
    page = NORMAL.read_bytes().replace(b'class="flux not_read"', b'class="entry not_read"')
    page = page.replace(b'class="flux"', b'class="entry"')
    with pytest.raises(ParseError, match=r"div\.flux"):
        list(parser.parse(_doc(NORMAL, NORMAL_URL, page)))


def test_a_flux_block_without_its_body_names_what_is_missing() -> None:
    page = READER.read_bytes().replace(b'<div class="text">', b'<div class="body">', 1)
    with pytest.raises(ParseError, match=r"flux_1795294593223489 has no div\.text"):
        list(parser.parse(_doc(READER, READER_URL, page)))


def test_a_login_page_is_a_clear_error() -> None:
    with pytest.raises(ParseError, match="login page"):
        list(parser.parse(_doc(LOGIN, "http://127.0.0.1:8081/i/")))


@pytest.mark.parametrize(
    "garbage", [b"", b"\x00\x01\x02\xff", b"<html><body><p>hello</p></body></html>", b"{}"]
)
def test_garbage_raises_parse_error(garbage: bytes) -> None:
    with pytest.raises(ParseError):
        list(parser.parse(_doc(NORMAL, "http://example.org/", garbage)))


def test_empty_view_is_zero_items() -> None:
    # FreshRSS's "no articles" prompt (index/normal.phtml): #stream with an alert only.
    page = (
        b"<!DOCTYPE html><html><head><title>Main stream \xc2\xb7 FreshRSS</title></head><body>"
        b'<main id="stream" class="normal"><div class="prompt alert alert-warn">'
        b'<h2 class="alert-head">There are no articles to show.</h2></div></main></body></html>'
    )
    assert list(parser.parse(_doc(NORMAL, "http://127.0.0.1:8081/i/", page))) == []


def test_a_page_that_merely_mentions_freshrss_is_not_claimed() -> None:
    page = b"<html><head><title>Why I moved to FreshRSS</title></head><body><p>x</p></body></html>"
    assert parser.sniff(_doc(NORMAL, "https://blog.example.org/", page)) == 0.0
    assert parser.sniff(_doc(LOGIN, "http://127.0.0.1:8081/i/")) > 0.0
