"""greader-json: the stream contents a real FreshRSS 1.24.3 answered (recorded).

Expected values were read from the recorded JSON in
tests/data/freshrss/greader-api/ (epoch seconds converted with ``date -u -d @N``).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from seedwatch.errors import ParseError
from seedwatch.models import Document, Item
from seedwatch.plugins.builtin.freshrss.greader import GReaderJsonParser
from seedwatch.plugins.manager import build_registry

RECORDED = Path(__file__).parent / "data" / "freshrss" / "greader-api"
API = "http://127.0.0.1:8081/api/greader.php/reader/api/0/stream/contents/"
POSTS = "http://127.0.0.1:8080/posts/"

parser = GReaderJsonParser()


def _doc(content: bytes, url: str = API + "user/-/state/com.google/reading-list?n=5") -> Document:
    return Document(
        url=url,
        content=content,
        fetched=datetime(2026, 11, 21, 21, tzinfo=UTC),
        media_type="application/json",
        charset="utf-8",
    )


def _page(n: int) -> list[Item]:
    return list(parser.parse(_doc((RECORDED / f"reading-list-page{n}.json").read_bytes())))


def test_reading_list_page_1_items_carry_the_original_article_urls() -> None:
    items = _page(1)
    assert [(i.key, i.guid) for i in items] == [
        (f"{POSTS}latest-news/", "tag:google.com,2005:reader/item/000660cf8884c4ee"),
        (f"{POSTS}latest-news/", "tag:google.com,2005:reader/item/000660cf8884c4ed"),
        (f"{POSTS}images-and-links/", "tag:google.com,2005:reader/item/000660cf8884c4ec"),
        (f"{POSTS}multi-author/", "tag:google.com,2005:reader/item/000660cf8884c4eb"),
        (f"{POSTS}no-tags/", "tag:google.com,2005:reader/item/000660cf8884c4ea"),
    ]
    first = items[0]
    assert first.url == f"{POSTS}latest-news/"
    assert first.title == "Latest News: Sensor Network v2"
    assert first.author == "Field Notes Team"  # "team@fieldnotes.example (Field Notes Team)"
    assert first.site == "Field Notes – hardware"
    assert first.published == datetime(2024, 3, 22, 18, 0, tzinfo=UTC)
    assert first.text == "Version 2 of the sensor network goes live next week with 40 new nodes."
    assert first.parser == "greader-json"
    assert first.extra == {
        "labels": ["Hugo tags"],
        "read": False,
        "starred": False,
        "stream": "feed/3",
        "crawled": "2026-11-21T20:52:05.163246+00:00",
    }
    assert items[1].site == "Field Notes (Hugo test site)"


def test_full_width_look_alikes_are_turned_back_into_ascii() -> None:
    escaping = _page(2)[2]
    assert escaping.title == 'Escaping <tags> & "quotes" in Titles'
    assert escaping.text == (
        "Titles with <, >, & and quotes must be escaped in XML feeds. "
        "This post tests exactly that: 5 < 7 && 7 > 5."
    )
    unicode_title = _page(3)[0]
    assert unicode_title.title == "Café Notes: Über-Sensoren, 東京 & Ελληνικά — naïve résumé ✓"
    assert unicode_title.published == datetime(2024, 1, 24, 11, 0, tzinfo=UTC)


def test_text_of_plain_and_html_summaries() -> None:
    marsh = _page(2)[3]
    assert marsh.title == "Field Trip Report: The Marsh Station"
    # One paragraph whose lines the summary separates with newlines.
    assert marsh.text == (
        "We visited the marsh station to replace the solar controller.\n"
        "The boardwalk was under 10 cm of water.\nPhotos to follow."
    )
    (welcome,) = _page(4)
    assert welcome.html == (
        "<p>Welcome to the field notes. This blog collects short write-ups from the lab.</p>"
    )
    assert welcome.text == (
        "Welcome to the field notes. This blog collects short write-ups from the lab."
    )
    assert welcome.published == datetime(2024, 1, 3, 9, 15, tzinfo=UTC)


def test_every_recorded_stream_reply_parses_fully() -> None:
    # Item counts read from the files: 5 + 5 + 5 + 1 on the reading list, 12 in feed/1.
    counts = {f"reading-list-page{n}.json": c for n, c in ((1, 5), (2, 5), (3, 5), (4, 1))}
    counts["feed1-contents.json"] = 12
    for name, count in counts.items():
        items = list(parser.parse(_doc((RECORDED / name).read_bytes())))
        assert len(items) == count, name
        for item in items:
            assert item.url and item.title and item.text and item.published
            assert item.guid and item.guid.startswith("tag:google.com,2005:reader/item/")


def test_an_item_without_a_link_is_keyed_by_host_and_reader_id() -> None:
    data = json.loads((RECORDED / "reading-list-page4.json").read_text())
    del data["items"][0]["canonical"], data["items"][0]["alternate"]
    (item,) = parser.parse(_doc(json.dumps(data).encode()))
    assert item.url is None
    assert item.key == "127.0.0.1:8081/tag:google.com,2005:reader/item/000660cf8884c4df"


@pytest.mark.parametrize(
    "name", ["reading-list-page1.json", "reading-list-page4.json", "feed1-contents.json"]
)
def test_sniff_picks_greader_json_for_recorded_streams(name: str) -> None:
    registry = build_registry(load_external=False)
    assert registry.sniff(_doc((RECORDED / name).read_bytes())).name == "greader-json"


@pytest.mark.parametrize("name", ["subscription-list.json", "tag-list.json", "unread-count.json"])
def test_sniff_is_zero_for_other_api_replies(name: str) -> None:
    assert parser.sniff(_doc((RECORDED / name).read_bytes())) == 0.0


def test_no_next_pages_the_source_kind_walks_continuations() -> None:
    assert list(parser.next_pages(_doc((RECORDED / "reading-list-page1.json").read_bytes()))) == []


@pytest.mark.parametrize(
    "garbage",
    [b"", b"not json", b"[]", b"{}", b'{"items": 5}', b'{"items": [5]}', b'{"items": [{}]}'],
)
def test_garbage_raises_parse_error(garbage: bytes) -> None:
    with pytest.raises(ParseError):
        list(parser.parse(_doc(garbage)))
