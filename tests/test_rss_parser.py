"""The built-in ``rss`` parser: RSS/Atom/RDF through feedparser, JSON Feed, FreshRSS
output, sniffing, bad input and the pages a backfill follows.

Expected values were taken by reading the XML/JSON files, not from the parser.
Inline feeds below are hand-made and marked so.
"""

from __future__ import annotations

import inspect
import logging
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from seedwatch.contracts import Parser
from seedwatch.errors import ParseError
from seedwatch.models import Document, Item, Source
from seedwatch.plugins.builtin.feedparse import run_feedparser
from seedwatch.plugins.builtin.rss import body_text
from seedwatch.plugins.manager import build_registry
from seedwatch.text import html_to_text

DATA = Path(__file__).parent / "data"
FEEDS = DATA / "feeds"
FRESHRSS = DATA / "freshrss"
SEEDS = DATA / "seeds"


@pytest.fixture(scope="module")
def rss() -> Parser:
    return build_registry(load_external=False).parsers["rss"]


def doc(
    content: bytes,
    url: str = "https://example.org/feed.xml",
    media_type: str | None = None,
    headers: dict[str, str] | None = None,
    source: Source | None = None,
) -> Document:
    return Document(
        url=url,
        content=content,
        fetched=datetime.now(UTC),
        media_type=media_type,
        headers=headers or {},
        source=source,
    )


def file_doc(path: Path, media_type: str | None = None, url: str | None = None) -> Document:
    return doc(path.read_bytes(), url=url or path.resolve().as_uri(), media_type=media_type)


def parse(rss: Parser, document: Document) -> list[Item]:
    return list(rss.parse(document))


# -- every real feed: counts, first and last items ---------------------------------


@dataclass(frozen=True)
class Seen:
    """One item as read in the file: title, link, and published date (ISO, with offset)."""

    title: str
    url: str | None
    published: str | None


@dataclass(frozen=True)
class Expect:
    count: int
    site: str | None
    first: Seen
    last: Seen


EXPECTED: dict[str, Expect] = {
    "atom_github_commits_miniflux.xml": Expect(
        20,
        "Recent Commits to v2:main",
        Seen(
            "Parse podcast categories",
            "https://github.com/miniflux/v2/commit/6d97f8b4582414b6ce69467656824690057d4793",
            "2024-03-12T05:30:27+00:00",  # only <updated>: it stands for published
        ),
        Seen(
            "Reuse a Reader instead of copying to a buffer when parsing an atom feed",
            "https://github.com/miniflux/v2/commit/111e3f2106646cd29f7f74c0102f2a570c598e2e",
            "2024-03-05T01:36:10+00:00",
        ),
    ),
    # Atom inside an XHTML envelope: feedparser loses the feed's <title> there.
    "atom_wrapped_in_xhtml_avian.xml": Expect(
        10,
        None,
        Seen(
            "Down time",
            "http://www.tablix.org/~avian/blog/archives/2014/07/down_time/",
            "2014-07-21T21:14:39+02:00",
        ),
        Seen(
            "Balanced variable phase shift circuit",
            "http://www.tablix.org/~avian/blog/archives/2014/05/balanced_variable_phase_shift_circuit/",
            "2014-05-13T14:28:42+02:00",
        ),
    ),
    "atom_youtube_channel.xml": Expect(
        15,
        "Google",
        Seen(
            "The Google app: Questions Title",
            "http://www.youtube.com/watch?v=5shykyfmb28",
            "2015-05-04T00:01:27+00:00",
        ),
        Seen(
            "Veterans Make Great Googlers. Find your team: Specialists",
            "http://www.youtube.com/watch?v=8ztbpW3THmI",
            "2014-11-11T17:25:52+00:00",
        ),
    ),
    "rss090_rdf_heise.xml": Expect(
        60,
        "heise online News",
        Seen(
            "OLED-TVs: Vorsichtsmaßnahmen gegen Einbrennen",
            "https://www.heise.de/newsticker/meldung/OLED-TVs-Vorsichtsmassnahmen-gegen-Einbrennen-4205274.html?wt_mc=rss.ho.beitrag.rdf",
            None,
        ),
        Seen(
            "Mi Mix 3: Xiaomi-Flaggschiff mit Kamera-Slider und 10 GByte RAM",
            "https://www.heise.de/newsticker/meldung/Mi-Mix-3-Xiaomi-Flaggschiff-mit-Kamera-Slider-und-10-GByte-RAM-4204655.html?wt_mc=rss.ho.beitrag.rdf",
            None,
        ),
    ),
    "rss10_rdf_hrefconsideredharmful.xml": Expect(
        10,
        "HREF Considered Harmful",
        Seen(
            "Chrome, V8 and Strongtalk",
            "http://www.avibryant.com/2008/09/chrome-v8-and-s.html",
            "2008-09-02T12:50:07-07:00",
        ),
        Seen("Moving", "http://www.avibryant.com/2007/07/moving.html", "2007-07-04T23:15:25-07:00"),
    ),
    "rss2_bbc_urdu_rtl.xml": Expect(
        26,
        "BBC News اردو - پاکستان کے لیے امریکی امداد کی بہار و خزاں",
        Seen(
            "امریکی عسکری امداد کی بندش کی وجوہات: انڈیا سے جنگ، جوہری پروگرام"
            " اور اب دہشت گردوں کی پشت پناہی",
            "http://www.bbc.com/urdu/pakistan-42575603",
            "2018-01-05T16:51:00+00:00",
        ),
        Seen(
            "پاکستان امریکہ تعلقات میں ’ڈو مور‘ کا نیا ایڈیشن جو آج تک چل رہا",
            "http://www.bbc.com/urdu/pakistan-42422392",
            "2017-12-20T12:23:23+00:00",
        ),
    ),
    "rss2_dcdate_epoch_invalid.xml": Expect(
        2,
        "Invalid date format feed",
        Seen(
            "Item 0 with an invalid date", "http://example.com/item0", "2017-10-16T15:10:00+00:00"
        ),
        Seen(
            "Item 1 with all valid dates", "http://example.com/item1", "2017-10-17T12:17:00+00:00"
        ),
    ),
    "rss2_discourse_topic_2144.rss": Expect(
        25,
        "KPop Demon Hunters",
        Seen(
            "KPop Demon Hunters",
            "https://discuss.criticalfallibilism.com/t/kpop-demon-hunters/2144/31",
            "2026-01-21T22:40:40+00:00",
        ),
        Seen(
            "KPop Demon Hunters",
            "https://discuss.criticalfallibilism.com/t/kpop-demon-hunters/2144/6",
            "2026-01-11T05:49:30+00:00",
        ),
    ),
    "rss2_dotnet_a10_bom.xml": Expect(
        5,
        "Some Title",
        Seen("Title 5", "http://www.example.com/5", "2020-05-14T10:00:18+00:00"),
        Seen("Title 1", "http://www.example.com/1", "2020-05-07T07:36:53+00:00"),
    ),
    "rss2_golem_iso-8859-1.xml": Expect(
        40,
        "Golem.de",
        Seen(
            "Red Dead Redemption 2: Hinweise auf PC-Umsetzung in App von Rockstar Games",
            "https://www.golem.de/news/red-dead-redemption-2-hinweise-auf-pc-umsetzung-in-app-von-rockstar-games-1810-137358-rss.html",
            "2018-10-28T13:48:00+01:00",
        ),
        Seen(
            "Xiaomi: Das Mi Mix 3 hat keine Notch und eine versteckte Frontkamera",
            "https://www.golem.de/news/xiaomi-das-mi-mix-3-hat-keine-notch-und-eine-versteckte-frontkamera-1810-137319-rss.html",
            "2018-10-25T11:49:00+01:00",
        ),
    ),
    "rss2_guid_ispermalink_variants.xml": Expect(
        4,
        None,
        Seen("Item 1", None, None),  # isPermaLink="false" and no <link>: no URL
        Seen("Item 4", "http://example.com/4", None),
    ),
    "rss2_hackernews_no-guid.xml": Expect(
        30,
        "Hacker News",
        Seen(
            "AWS Lambda Function URLs: Built-In HTTPS Endpoints for Lambda",
            "https://aws.amazon.com/blogs/aws/announcing-aws-lambda-function-urls-built-in-https-endpoints-for-single-function-microservices/",
            "2022-04-06T21:07:47+00:00",
        ),
        Seen(
            "What’s new in Emacs 28.1?",
            "https://www.masteringemacs.org/article/whats-new-in-emacs-28-1",
            "2022-04-06T11:23:33+00:00",
        ),
    ),
    "rss2_huffpost_cdata_whitespace.xml": Expect(
        2,
        "HuffPost Canada - Athena2 - All Posts",
        Seen(
            "Winnipeg High School Orders Custom Hijabs For Muslim Athletes",
            "http://www.huffingtonpost.ca/2017/10/17/winnipeg-high-school-orders-custom-hijabs-for-muslim-athletes_a_23246627/",
            "2017-10-17T22:17:00+00:00",
        ),
        Seen(
            "The Once-In-A-Lifetime Thrill Of Opening For Tom Petty",
            "http://www.huffingtonpost.ca/adrian-sutherland/the-once-in-a-lifetime-thrill-of-opening-for-tom-petty_a_23234370/",
            "2017-10-17T21:38:00+00:00",
        ),
    ),
    "rss2_ibash_windows-1251.xml": Expect(
        50,
        "iBash.Org.Ru",
        Seen(
            "Цитата #17703",
            "http://ibash.org.ru/quote.php?id=17703",
            "2018-03-21T10:27:32+03:00",
        ),
        Seen(
            "Цитата #17220",
            "http://ibash.org.ru/quote.php?id=17220",
            "2018-03-15T09:16:48+03:00",
        ),
    ),
    # 10 <item>s, but the 4th is empty (<title></title><link></link>, an empty
    # description, only a pubDate): nothing to key or keep, so 9 items.
    "rss2_lecerclepsy_no-prolog_iso-8859-1.xml": Expect(
        9,
        "Flux RSS du magazine de psychologie Le Cercle Psy",
        Seen(
            "Perturbateurs endocriniens : quels effets sur le cerveau ?",
            "https://le-cercle-psy.scienceshumaines.com/perturbateurs-endocriniens-quels-effets-sur-le-cerveau_sh_39995",
            "2018-10-17T10:30:00+00:00",
        ),
        Seen(
            "Psychologue à domicile : de la clinique à l'état brut",
            "https://le-cercle-psy.scienceshumaines.com/psychologue-a-domicile-de-la-clinique-a-l-etat-brut_sh_35540",
            "2018-10-17T10:30:00+00:00",
        ),
    ),
    "rss2_wordpress_tenderlovemaking.xml": Expect(
        10,
        "Tender Lovemaking",
        Seen(
            "Nokogiri’s Slop Feature",
            "http://tenderlovemaking.com/2008/12/04/nokogiris-slop-feature/",
            "2008-12-04T17:17:49+00:00",
        ),
        Seen(
            "Meow meow meow meow meow",
            "http://tenderlovemaking.com/2008/06/06/meow-meow-meow-meow-meow/",
            "2008-06-06T19:56:52+00:00",
        ),
    ),
    "mybb_syndication-default-rss2.xml": Expect(
        2,
        "Live Test Forum - All Forums",
        Seen(
            "Pipeline backpressure: bounded channels vs. drop policy",
            "http://127.0.0.1:18082/showthread.php?tid=2",
            "2026-11-21T20:55:27+00:00",
        ),
        Seen(
            "Calibration results for the DHT22 batch",
            "http://127.0.0.1:18082/showthread.php?tid=1",
            "2026-11-21T20:54:32+00:00",
        ),
    ),
    "jsonfeed_v1_1_handmade.json": Expect(
        3,
        "Marsh Station Notes",
        Seen(
            "Uplink restored",
            "https://marsh.example.org/2024/05/uplink",
            "2024-05-02T08:15:00+02:00",
        ),
        Seen("Short note", None, "2024-03-01T12:00:00-05:00"),
    ),
    "jsonfeed_v1_handmade.json": Expect(
        2,
        "Old Style Feed",
        Seen(
            "Linked elsewhere",
            "https://elsewhere.example.com/story",
            "2019-11-30T23:59:59+00:00",
        ),
        Seen("", "https://old.example.net/first", None),
    ),
}

FEED_FILES = sorted(p.name for p in FEEDS.iterdir() if p.suffix in {".xml", ".rss", ".json"})


def test_every_feed_file_has_expectations() -> None:
    assert set(FEED_FILES) == set(EXPECTED)


@pytest.mark.parametrize("name", FEED_FILES)
def test_real_feed_parses_with_titles_links_and_dates(rss: Parser, name: str) -> None:
    expect = EXPECTED[name]
    items = parse(rss, file_doc(FEEDS / name))
    assert len(items) == expect.count
    for seen, item in ((expect.first, items[0]), (expect.last, items[-1])):
        assert (item.title or "") == seen.title
        assert item.url == seen.url
        published = item.published.isoformat() if item.published else None
        assert published == seen.published
    for item in items:
        assert item.parser == "rss"
        assert item.site == expect.site
        assert item.text.strip(), f"{name}: item {item.key} has no text"
        assert item.published is None or item.published.utcoffset() is not None
        assert item.to_json()  # JSON-serialisable schema


@pytest.mark.parametrize("name", FEED_FILES)
def test_real_feed_is_sniffed_as_a_feed(rss: Parser, name: str) -> None:
    assert rss.sniff(file_doc(FEEDS / name)) >= 0.5


# -- item mapping ----------------------------------------------------------------


def test_guid_is_the_key_and_the_link_the_url(rss: Parser) -> None:
    items = parse(rss, file_doc(FEEDS / "rss2_wordpress_tenderlovemaking.xml"))
    first = items[0]
    assert first.key == "http://tenderlovemaking.com/?p=198"
    assert first.guid == "http://tenderlovemaking.com/?p=198"
    assert first.url == "http://tenderlovemaking.com/2008/12/04/nokogiris-slop-feature/"
    assert first.author == "Aaron Patterson"
    assert first.tags == ("computadora", "nokogiri", "rails")
    assert first.extra == {
        "comments": "http://tenderlovemaking.com/2008/12/04/nokogiris-slop-feature/#comments"
    }


def test_guid_ispermalink_variants(rss: Parser) -> None:
    one, two, three, four = parse(rss, file_doc(FEEDS / "rss2_guid_ispermalink_variants.xml"))
    assert (one.key, one.guid, one.url) == ("http://example.com/1", "http://example.com/1", None)
    assert (two.key, two.url) == ("http://example.com/2", "http://example.com/2")
    # isPermaLink defaults to true in RSS 2.0
    assert (three.key, three.url) == ("http://example.com/3", "http://example.com/3")
    assert (four.key, four.guid, four.url) == (
        "http://example.com/5",
        "http://example.com/5",
        "http://example.com/4",
    )


def test_no_guid_means_the_link_is_the_key(rss: Parser) -> None:
    items = parse(rss, file_doc(FEEDS / "rss2_hackernews_no-guid.xml"))
    assert items[0].guid is None
    assert items[0].key == items[0].url
    assert items[0].text == "Comments"
    assert items[0].extra == {"comments": "https://news.ycombinator.com/item?id=30937433"}
    assert len({i.key for i in items}) == 30


def test_item_without_body_takes_its_title_and_says_so(rss: Parser) -> None:
    item = parse(rss, file_doc(FEEDS / "rss2_dcdate_epoch_invalid.xml"))[0]
    assert item.text == "Item 0 with an invalid date"
    assert item.extra == {"text_from": "title"}


def test_unix_epoch_dc_date_is_not_a_date(rss: Parser) -> None:
    item0, item1 = parse(rss, file_doc(FEEDS / "rss2_dcdate_epoch_invalid.xml"))
    assert item0.updated is None  # <dc:date>1518478934</dc:date>
    assert item1.updated == datetime(2017, 10, 17, 22, 17, tzinfo=UTC)


def test_dates_keep_the_publishers_offset(rss: Parser) -> None:
    # Hand-made RSS: a US zone name, an India offset, an ISO date without a zone,
    # and an RFC 822 date without its (required) zone.
    feed = b"""<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>C</title>
<item><title>a</title><link>http://x.example/a</link>
<pubDate>Tue, 10 Jun 2003 04:00:00 PDT</pubDate></item>
<item><title>b</title><link>http://x.example/b</link><dc:date>2024-01-01T10:00:00.5+05:30</dc:date></item>
<item><title>c</title><link>http://x.example/c</link><dc:date>2003-06-10T04:00:00</dc:date></item>
<item><title>d</title><link>http://x.example/d</link>
<pubDate>Tue, 10 Jun 2003 04:00:00</pubDate></item>
</channel></rss>"""
    a, b, c, d = parse(rss, doc(feed))
    assert a.published is not None and a.published.isoformat() == "2003-06-10T04:00:00-07:00"
    assert b.published is not None and b.published.isoformat() == "2024-01-01T10:00:00+05:30"
    assert c.published == datetime(2003, 6, 10, 4, 0, tzinfo=UTC)  # no zone: read as UTC
    assert d.published is None  # feedparser 6.0 cannot place it in time


def test_cdata_whitespace_is_stripped_and_mis_cased_ispermalink_read(rss: Parser) -> None:
    first, second = parse(rss, file_doc(FEEDS / "rss2_huffpost_cdata_whitespace.xml"))
    # a bare guid is unique only within its feed: scoped by the channel link's host
    assert first.key == "www.aol.com:23246627"
    assert first.author == "Canadian Press"
    assert first.tags[:3] == ("Dakota Collegiate", "hijab", "Living")
    assert second.guid is None
    assert second.key == second.url
    assert second.author == "Adrian Sutherland"


def test_content_encoded_is_preferred_and_made_plain_text(rss: Parser) -> None:
    item = parse(rss, file_doc(FEEDS / "rss2_golem_iso-8859-1.xml"))[0]
    assert item.text.startswith("Viele Spieler wünschen sich eine PC-Version von Red Dead")
    assert "<a href" not in item.text
    assert item.html is not None and "137358-177541-177538_rc.jpg" in item.html


def test_atom_xhtml_content_wins_over_a_shorter_summary(rss: Parser) -> None:
    item = parse(rss, file_doc(FEEDS / "atom_wrapped_in_xhtml_avian.xml"))[0]
    assert item.text.startswith("You might have noticed that for the past two days")
    assert "\n\nOn Friday, 18 July at 17:45, two of my Ethernet switches failed" in item.text
    assert item.author == "Tomaž"
    assert item.tags == ("Life",)


def test_windows_1251_with_line_breaks(rss: Parser) -> None:
    item = parse(rss, file_doc(FEEDS / "rss2_ibash_windows-1251.xml"))[0]
    assert item.text.split("\n") == [
        "xxx: есть у кого жаба программер",
        "xxx: кот немного пхп знает?",
        "yyy: то что кот PHP немного знает, я бы ещё может поверил",
        "yyy: но вот жаба-программер - это ты по-моему загнул",
    ]


def test_rdf_item_about_is_the_guid_and_dc_creator_the_author(rss: Parser) -> None:
    item = parse(rss, file_doc(FEEDS / "rss10_rdf_hrefconsideredharmful.xml"))[0]
    assert item.guid == "http://www.avibryant.com/2008/09/chrome-v8-and-s.html"
    assert item.author == "Avi"
    assert item.text.startswith("There's lots to like about Google's new web browser, Chrome")


def test_mybb_author_given_as_an_html_link_is_the_name(rss: Parser) -> None:
    first, second = parse(rss, file_doc(FEEDS / "mybb_syndication-default-rss2.xml"))
    assert (first.author, second.author) == ("bram", "ada")
    assert "- two units rejected (drift > 8%)" in second.text


def test_dotnet_a10_atom_elements_in_rss(rss: Parser) -> None:
    item = parse(rss, file_doc(FEEDS / "rss2_dotnet_a10_bom.xml"))[0]
    assert item.author == "John Doe"
    assert item.guid is None and item.key == "http://www.example.com/5"
    assert item.updated == datetime(2020, 5, 14, 10, 0, 18, tzinfo=UTC)


def test_atom_entry_without_author_takes_the_feeds(rss: Parser) -> None:
    # Hand-made Atom feed: one feed-level author, one entry with none.
    feed = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><id>urn:t</id>
<author><name>Feed Author</name></author><updated>2024-01-01T00:00:00Z</updated>
<entry><id>urn:e1</id><title>E1</title><updated>2024-01-01T00:00:00Z</updated>
<content type="text">Body one.</content></entry>
<entry><id>urn:e2</id><title>E2</title><updated>2024-01-01T00:00:00Z</updated>
<author><name>A</name></author><author><name>B</name></author>
<content type="text">Body two.</content></entry></feed>"""
    one, two = parse(rss, doc(feed))
    assert one.author == "Feed Author"
    assert two.author == "A, B"


def test_item_without_guid_or_link_gets_a_stable_content_key(rss: Parser) -> None:
    # Hand-made RSS: an item with only a title and a description.
    feed = b"""<rss version="2.0"><channel><title>C</title>
<item><title>Lonely</title><description>Just text.</description></item></channel></rss>"""
    first = parse(rss, doc(feed))[0]
    again = parse(rss, doc(feed))[0]
    assert first.key.startswith("sha256:") and len(first.key) == len("sha256:") + 64
    assert first.key == again.key
    assert first.url is None and first.guid is None


@pytest.mark.parametrize(
    "body",
    [
        "one line",
        "a\r\nb\rc\nd",
        " x \n\n y ",
        "\u00a0\n\u00a0",
        "zero\u200bwidth",
        "tab\there",
        "\n\n",
        "x\u2028y",
        " \u00a0 \nq",
    ],
)
def test_untagged_html_body_gives_what_html_to_text_gives(body: str) -> None:
    # rss skips the tree for HTML bodies without "<" or "&"; same text either way.
    assert body_text(body, is_html=True) == html_to_text(body)


# -- relative links ------------------------------------------------------------------


def test_relative_links_resolve_against_xml_base_then_the_document(rss: Parser) -> None:
    # Hand-made Atom feed with xml:base on one entry.
    feed = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><id>urn:t</id>
<updated>2024-01-01T00:00:00Z</updated>
<entry xml:base="https://cdn.example.net/posts/"><id>urn:1</id><title>1</title>
<link href="one.html"/><updated>2024-01-01T00:00:00Z</updated></entry>
<entry><id>urn:2</id><title>2</title><link href="/two.html"/>
<updated>2024-01-01T00:00:00Z</updated></entry></feed>"""
    one, two = parse(rss, doc(feed, url="https://blog.example.org/feeds/atom.xml"))
    assert one.url == "https://cdn.example.net/posts/one.html"
    assert two.url == "https://blog.example.org/two.html"


def test_rss_relative_links_resolve_against_the_channel_link(rss: Parser) -> None:
    # Hand-made RSS: the feed is served from a feed host, the site is elsewhere.
    feed = b"""<rss version="2.0"><channel><title>C</title><link>https://site.example.org/blog/</link>
<item><title>P</title><link>2024/post</link><comments>2024/post#c</comments>
<description>x</description></item></channel></rss>"""
    item = parse(rss, doc(feed, url="https://feeds.example.net/site"))[0]
    assert item.url == "https://site.example.org/blog/2024/post"
    assert item.key == item.url
    assert item.extra["comments"] == "https://site.example.org/blog/2024/post#c"


# -- encodings and headers ----------------------------------------------------------


def test_no_prolog_iso_8859_1_decodes(rss: Parser) -> None:
    items = parse(rss, file_doc(FEEDS / "rss2_lecerclepsy_no-prolog_iso-8859-1.xml"))
    assert items[3].title == "Caroline Eliacheff : « Dolto reste authentiquement subversive »"


def test_header_charset_is_used_for_a_feed_without_declaration(rss: Parser) -> None:
    # Hand-made: windows-1251 bytes, no XML declaration; only the header says so.
    feed = "<rss version='2.0'><channel><title>Цитаты</title><item><title>Привет</title>"
    feed += "<link>http://x.example/1</link><description>мир</description></item></channel></rss>"
    document = doc(
        feed.encode("windows-1251"),
        media_type="application/rss+xml",
        headers={"Content-Type": "application/rss+xml; charset=windows-1251"},
    )
    item = parse(rss, document)[0]
    assert (item.site, item.title, item.text) == ("Цитаты", "Привет", "мир")


def test_byte_order_mark_beats_a_contradicting_header(rss: Parser) -> None:
    # Hand-made: UTF-8 with BOM, served with a wrong ISO-8859-1 header.
    feed = "\ufeff<?xml version='1.0'?><rss version='2.0'><channel><title>Blog</title>"
    feed += "<item><title>Tomaž Šolc</title><link>http://x.example/1</link></item></channel></rss>"
    document = doc(feed.encode("utf-8"), headers={"content-type": "text/xml; charset=iso-8859-1"})
    assert parse(rss, document)[0].title == "Tomaž Šolc"


def test_leading_newline_before_the_prolog_keeps_the_strict_parser(
    rss: Parser, caplog: pytest.LogCaptureFixture
) -> None:
    # The WordPress file starts with "\n<?xml": no "malformed" warning for that.
    with caplog.at_level(logging.WARNING):
        parse(rss, file_doc(FEEDS / "rss2_wordpress_tenderlovemaking.xml"))
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


# -- FreshRSS output ------------------------------------------------------------------


def test_freshrss_output_keys_items_by_the_original_link(rss: Parser) -> None:
    items = parse(rss, file_doc(FRESHRSS / "rss_output_feed_discourse.xml"))
    assert len(items) == 8
    first, last = items[0], items[-1]
    assert first.url == "https://discuss.criticalfallibilism.com/t/kpop-demon-hunters/2144/31"
    assert first.key == first.url
    assert first.guid == "1795294593223489"  # FreshRSS's own id, kept as the guid
    assert first.author == "ActiveMind"
    assert first.published == datetime(2026, 1, 21, 22, 40, 40, tzinfo=UTC)
    assert last.url == "https://discuss.criticalfallibilism.com/t/kpop-demon-hunters/2144/24"
    assert last.guid == "1795294593223482"
    # One feed's output: the site is the feed, without FreshRSS's " | FreshRSS".
    assert {i.site for i in items} == {"KPop Demon Hunters (Discourse)"}


def test_freshrss_category_output(rss: Parser) -> None:
    items = parse(rss, file_doc(FRESHRSS / "rss_output_category_blogs_all_nb23.xml"))
    assert len(items) == 23
    first, last = items[0], items[-1]
    assert first.title == "Parse podcast categories"
    assert (
        first.key
        == "https://github.com/miniflux/v2/commit/6d97f8b4582414b6ce69467656824690057d4793"
    )
    assert first.published == datetime(2024, 3, 12, 5, 30, 27, tzinfo=UTC)
    assert last.title == "Underpant-Free Excitement"
    assert last.key == "http://tenderlovemaking.com/2008/11/18/underpant-free-excitement/"
    assert last.guid == "1795294593223362"
    assert last.tags == ("computadora", "nokogiri")
    # A category mixes sites: no single site name.
    assert {i.site for i in items} == {None}


def test_numeric_guids_without_a_freshrss_marker_stay_guid_keys(rss: Parser) -> None:
    # Hand-made: numeric guids alone do not make a feed FreshRSS's.
    feed = b"""<rss version="2.0"><channel><title>Shop</title><link>https://shop.example/</link>
<item><title>A</title><link>https://shop.example/a</link>
<guid isPermaLink="false">1795294593223489</guid></item>
</channel></rss>"""
    item = parse(rss, doc(feed))[0]
    assert item.key == "shop.example:1795294593223489"


# -- JSON Feed -----------------------------------------------------------------------


def test_json_feed_1_1(rss: Parser) -> None:
    uplink, sensors, note = parse(rss, file_doc(FEEDS / "jsonfeed_v1_1_handmade.json"))
    assert uplink.key == "https://marsh.example.org/2024/05/uplink"
    assert uplink.author == "Ada, Bram"
    assert (
        uplink.text
        == "The uplink is back after three days.\n\nReadings resume & the backlog drains."
    )
    assert uplink.updated == datetime(2024, 5, 3, 10, 0, tzinfo=UTC)
    assert uplink.tags == ("uplink", "outage")
    assert sensors.key == "marsh.example.org:42"  # home_page_url's host scopes a bare id
    assert sensors.published is None  # "not a date"
    assert sensors.text == "Twenty-four sensors were calibrated.\n\nTwo were rejected."
    assert sensors.author == "Site Team"  # the feed's authors
    assert note.text == "Short note"
    assert note.extra == {"text_from": "title"}


def test_json_feed_1_0(rss: Parser) -> None:
    story, first = parse(rss, file_doc(FEEDS / "jsonfeed_v1_handmade.json"))
    assert (story.key, story.author, story.text) == (
        "old.example.net:2",
        "Carol",
        "A story on another site.",
    )
    assert (first.title, first.author, first.text) == (None, "Dave", "First post, no title.")


def test_json_that_is_not_a_json_feed_is_refused(rss: Parser) -> None:
    with pytest.raises(ParseError, match=r"https://example.org/feed.xml: not a JSON Feed"):
        parse(rss, doc(b'{"version": "1.0", "items": []}'))
    with pytest.raises(ParseError, match="invalid JSON"):
        parse(rss, doc(b'{"version": "https://jsonfeed.org/version/1.1", "items": ['))


# -- sniffing ---------------------------------------------------------------------------

# Hand-made HTML page.
HTML_PAGE = b"""<!DOCTYPE html>
<html lang="en"><head><title>A blog</title>
<link rel="alternate" type="application/rss+xml" href="/feed/"></head>
<body><article><h1>Post</h1><p>Text about <code>&lt;rss&gt;</code> feeds.</p></article>
</body></html>"""


@pytest.mark.parametrize("seed", sorted(p.name for p in SEEDS.iterdir()))
def test_seeds_are_not_feeds(rss: Parser, seed: str) -> None:
    assert rss.sniff(doc((SEEDS / seed).read_bytes(), media_type="text/plain")) == 0
    assert rss.sniff(doc((SEEDS / seed).read_bytes())) == 0


def test_html_page_is_not_a_feed_even_when_served_as_one(rss: Parser) -> None:
    assert rss.sniff(doc(HTML_PAGE, media_type="text/html")) == 0
    assert rss.sniff(doc(HTML_PAGE, media_type="application/rss+xml")) == 0


def test_markdown_with_front_matter_is_not_a_feed(rss: Parser) -> None:
    # Hand-made Markdown post.
    page = (
        b"---\ntitle: Feeds\ndate: 2024-01-01\n---\n\n# Feeds\n\nAn <rss> element has a channel.\n"
    )
    assert rss.sniff(doc(page, media_type="text/markdown")) == 0


def test_sniff_reads_the_media_type_too(rss: Parser) -> None:
    feed = (FEEDS / "rss2_ibash_windows-1251.xml").read_bytes()
    assert rss.sniff(doc(feed, media_type="application/rss+xml")) > rss.sniff(doc(feed))
    # Not markup, but the server says it is a feed: claimed weakly so that
    # parse can say what is wrong.
    assert 0 < rss.sniff(doc(b"Service unavailable", media_type="application/rss+xml")) < 0.5


def test_rdf_that_is_not_rss_is_not_a_feed(rss: Parser) -> None:
    # Hand-made RDF (a FOAF profile): an RDF root alone is one weak signal.
    rdf = b"""<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
xmlns:foaf="http://xmlns.com/foaf/0.1/"><foaf:Person><foaf:name>X</foaf:name></foaf:Person></rdf:RDF>"""
    assert rss.sniff(doc(rdf)) == 0


def test_json_feed_sniffed_by_version_key_or_media_type(rss: Parser) -> None:
    assert rss.sniff(file_doc(FEEDS / "jsonfeed_v1_handmade.json")) >= 0.9
    other_json = b'{"items": [], "title": "x"}'
    assert rss.sniff(doc(other_json, media_type="application/json")) == 0
    assert rss.sniff(doc(other_json, media_type="application/feed+json")) > 0.5


def test_sniff_is_quick_on_blanks_and_unclosed_markup(rss: Parser) -> None:
    heads = (
        b" " * 4096 + b"x",
        b"<?xml " * 700,
        b"<!--" * 1000,
        b"\n" * 4000 + b"<",
        b"<?a?>" * 800 + b"x",
        b" <!--a--> " * 400 + b"x",
        b"<!DOCTYPE x [" * 300,
    )
    for head in heads:
        started = time.perf_counter()
        assert rss.sniff(doc(head)) == 0
        assert time.perf_counter() - started < 0.5


def test_sniff_looks_only_at_the_head(rss: Parser) -> None:
    # A feed root after 4 KiB of comment is beyond what sniff reads.
    late = b"<!--" + b"x" * 5000 + b"--><rss version='2.0'><channel/></rss>"
    assert rss.sniff(doc(late)) == 0


# -- bad input ---------------------------------------------------------------------------


def test_empty_body_is_a_parse_error_naming_the_url(rss: Parser) -> None:
    with pytest.raises(ParseError, match=r"^https://example.org/feed.xml: empty document"):
        parse(rss, doc(b"  \n"))


def test_html_served_as_a_feed_is_a_parse_error(rss: Parser) -> None:
    with pytest.raises(ParseError) as caught:
        parse(
            rss, doc(HTML_PAGE, url="https://example.org/feed/", media_type="application/rss+xml")
        )
    message = str(caught.value)
    assert message == "https://example.org/feed/: an HTML page, not an RSS/Atom/RDF feed"


def test_binary_garbage_is_a_parse_error(rss: Parser) -> None:
    garbage = random.Random(2).randbytes(8192)
    with pytest.raises(ParseError) as caught:
        parse(rss, doc(garbage, url="https://example.org/x.rss"))
    assert str(caught.value) == "https://example.org/x.rss: binary data, not a feed"
    assert "\n" not in str(caught.value)


def test_xml_that_is_not_a_feed_is_a_parse_error(rss: Parser) -> None:
    with pytest.raises(ParseError, match=r"<config> is not an RSS, Atom or RDF root element"):
        parse(rss, doc(b"<?xml version='1.0'?><config><a>1</a></config>"))


def test_truncated_feed_yields_what_it_can_and_warns(
    rss: Parser, caplog: pytest.LogCaptureFixture
) -> None:
    data = (FEEDS / "rss2_ibash_windows-1251.xml").read_bytes()
    # Cut inside the 4th item's <guid> (ids 17703, 17705, 17707, then 17698).
    cut = data[: data.index(b"id=17698")]
    with caplog.at_level(logging.WARNING, logger="seedwatch.plugins.builtin.rss"):
        items = parse(rss, doc(cut, url="https://ibash.example/rss.xml"))
    # The unfinished 4th item holds nothing yet: three items.
    assert [i.title for i in items] == ["Цитата #17703", "Цитата #17705", "Цитата #17707"]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert warnings[0].startswith("https://ibash.example/rss.xml: malformed feed")


def test_parse_is_a_generator(rss: Parser) -> None:
    assert inspect.isgenerator(rss.parse(file_doc(FEEDS / "rss2_hackernews_no-guid.xml")))


def test_ten_thousand_items(rss: Parser) -> None:
    # Generated (hand-made) feed of 10,000 items.
    parts = [
        b"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>Big</title>"
    ]
    parts.extend(
        b"<item><title>Item %d</title><link>https://big.example/%d</link>"
        b"<pubDate>Mon, 01 Jan 2024 00:00:00 +0000</pubDate>"
        b"<description>&lt;p&gt;Body %d&lt;/p&gt;</description></item>" % (n, n, n)
        for n in range(10_000)
    )
    parts.append(b"</channel></rss>")
    items = rss.parse(doc(b"".join(parts)))
    count = 0
    last = None
    for count, last in enumerate(items, 1):  # noqa: B007
        pass
    assert count == 10_000
    assert last is not None and (last.title, last.text) == ("Item 9999", "Body 9999")


# -- the buffered expat reader -------------------------------------------------------

AGREEMENT_FILES = [
    *(FEEDS / n for n in FEED_FILES if not n.endswith(".json")),
    FRESHRSS / "rss_output_feed_discourse.xml",
    FRESHRSS / "rss_output_category_blogs_all_nb23.xml",
]


@pytest.mark.parametrize("path", AGREEMENT_FILES, ids=lambda p: p.name)
def test_buffered_reader_gives_what_feedparser_parse_gives(path: Path) -> None:
    data = path.read_bytes()
    for document in (
        doc(data),
        doc(data[: len(data) // 2]),  # truncated: bozo, loose parser
        doc(data, headers={"Content-Type": "text/xml"}),  # RFC 3023 us-ascii default
    ):
        fast = run_feedparser(document)
        plain = run_feedparser(document, buffered=False)
        assert fast["entries"] == plain["entries"]
        assert fast["feed"] == plain["feed"]
        assert fast["version"] == plain["version"]
        assert bool(fast.get("bozo")) == bool(plain.get("bozo"))
        assert repr(fast.get("bozo_exception")) == repr(plain.get("bozo_exception"))


# -- backfill pages --------------------------------------------------------------------


def test_rfc5005_prev_archive_and_next_links(rss: Parser) -> None:
    # Hand-made Atom: archive links at feed level, a "next" link inside an entry
    # (an entry's link is not a page of the feed).
    feed = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><id>urn:t</id>
<link rel="self" href="https://example.org/feed/2024-05"/>
<link rel="prev-archive" href="2024-04"/>
<link rel="next" href="https://example.org/feed/page/2"/>
<updated>2024-01-01T00:00:00Z</updated>
<entry><id>urn:1</id><title>1</title><link rel="next" href="https://elsewhere.example/x"/>
<updated>2024-01-01T00:00:00Z</updated></entry></feed>"""
    pages = list(rss.next_pages(doc(feed, url="https://example.org/feed/2024-05")))
    assert pages == ["https://example.org/feed/2024-04", "https://example.org/feed/page/2"]


def test_atom_next_link_in_an_rss_channel(rss: Parser) -> None:
    # Hand-made RSS with atom:link rel="next".
    feed = b"""<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>C</title>
<atom:link rel="next" href="?page=2"/><item><title>a</title></item></channel></rss>"""
    pages = list(rss.next_pages(doc(feed, url="https://example.org/rss?page=1")))
    assert pages == ["https://example.org/rss?page=2"]


def test_wordpress_full_page_goes_on_with_paged(rss: Parser) -> None:
    data = (FEEDS / "rss2_wordpress_tenderlovemaking.xml").read_bytes()  # generator WordPress 2.7
    assert list(rss.next_pages(doc(data, url="http://tenderlovemaking.com/feed/"))) == [
        "http://tenderlovemaking.com/feed/?paged=2"
    ]
    assert list(rss.next_pages(doc(data, url="http://tenderlovemaking.com/feed/?paged=3"))) == [
        "http://tenderlovemaking.com/feed/?paged=4"
    ]
    # A blog set to 20 per page: these 10 items are its last page.
    source = Source(
        id="tl", url="http://tenderlovemaking.com/feed/", options={"feed_page_size": 20}
    )
    assert list(rss.next_pages(doc(data, source=source))) == []


def test_feeds_without_paging_have_no_next_pages(rss: Parser) -> None:
    for name in ("rss2_golem_iso-8859-1.xml", "atom_github_commits_miniflux.xml"):
        assert list(rss.next_pages(file_doc(FEEDS / name))) == []
    assert list(rss.next_pages(doc(b"\x00\x01garbage"))) == []


def test_json_feed_next_url(rss: Parser) -> None:
    pages = list(rss.next_pages(file_doc(FEEDS / "jsonfeed_v1_1_handmade.json")))
    assert pages == ["https://marsh.example.org/feed-page2.json"]
    assert list(rss.next_pages(file_doc(FEEDS / "jsonfeed_v1_handmade.json"))) == []


def test_bare_guids_of_two_feeds_do_not_collide(rss: Parser) -> None:
    def feed(site: str) -> bytes:
        return (
            f'<rss version="2.0"><channel><title>T</title><link>https://{site}/</link>'
            f'<item><title>A</title><guid isPermaLink="false">1</guid></item>'
            f"</channel></rss>"
        ).encode()

    a = parse(rss, doc(feed("one.example")))[0]
    b = parse(rss, doc(feed("two.example")))[0]
    assert (a.key, b.key) == ("one.example:1", "two.example:1")
    assert a.guid == b.guid == "1"
