"""The ``mybb`` parser on the two pages of a real MyBB 1.8.37 thread.

Expected values were read from the pages themselves (tests/data/forum/mybb/).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from seedwatch.errors import ParseError
from seedwatch.models import Document, Item, Quote
from seedwatch.plugins.manager import build_registry
from seedwatch.plugins.registry import Registry

DATA = Path(__file__).parent / "data" / "forum"
PAGE1 = "mybb/showthread-tid1-page1.html"
PAGE2 = "mybb/showthread-tid1-page2.html"
# The pages say "1 minute ago" for posts titled "11-21-2026, 08:54 PM": fetched just after.
FETCHED = datetime(2026, 11, 21, 20, 56, tzinfo=UTC)
SITE = "http://127.0.0.1:18082"


def document(name: str, fetched: datetime = FETCHED, url: str | None = None) -> Document:
    path = DATA / name
    return Document(
        url=url or path.as_uri(), content=path.read_bytes(), fetched=fetched, media_type="text/html"
    )


@pytest.fixture(scope="module")
def registry() -> Registry:
    return build_registry(load_external=False)


def parse(registry: Registry, doc: Document) -> list[Item]:
    return list(registry.parsers["mybb"].parse(doc))


def test_sniff_recognises_mybb_pages_and_not_its_feed(registry: Registry) -> None:
    parser = registry.parsers["mybb"]
    for name in (PAGE1, PAGE2):
        assert parser.sniff(document(name)) > 0.5
        assert registry.sniff(document(name)).name == "mybb"
    for other in [
        "mybb/syndication-default-rss2.xml",
        "xenforo2/xenforo_community_dark_theme_option.html",
        "phpbb3/ilovephilosophy_biological_will.html",
        "vbulletin3/animesuki_hibike_euphonium_page152.html",
        "vbulletin5/fandompost_isekai_quartet_page1.html",
        "discourse/posts_json_topic2144_from_post5.json",
    ]:
        assert parser.sniff(document(other)) == 0, other


def test_both_pages_give_every_post_once(registry: Registry) -> None:
    items = parse(registry, document(PAGE1)) + parse(registry, document(PAGE2))
    assert [i.author for i in items] == [
        "ada",
        "ada",
        "bram",
        "ada",
        "admin",
        "zoe",
        "ada",
        "Zoë Ørsted",
        "bram",
    ]
    assert [i.thread.post_number for i in items if i.thread] == list(range(1, 10))
    # read from disk: the host comes from the page's absolute feed links
    assert [i.key for i in items] == [f"mybb:127.0.0.1:18082:{n}" for n in range(1, 10)]
    assert items[0].url == f"{SITE}/showthread.php?tid=1&pid=1#pid1"
    assert len({i.url for i in items}) == 9
    for item in items:
        assert item.author and item.published and item.text.strip()
        assert item.thread is not None
        assert item.thread.id == "1"
        assert item.thread.title == "Calibration results for the DHT22 batch"
        assert item.thread.url == f"{SITE}/showthread.php?tid=1"


def test_dates_come_from_the_title_in_the_zone_the_relative_dates_reveal(
    registry: Registry,
) -> None:
    live = f"{SITE}/showthread.php?tid=1"
    items = parse(registry, document(PAGE1, url=live))
    # title="11-21-2026, 08:54 PM", text "1 minute ago", fetched 20:56 UTC: the board is UTC
    assert items[0].published == datetime(2026, 11, 21, 20, 54, tzinfo=UTC)
    # the same page fetched at 01:56 UTC the next day: the board's clock is 5 hours behind
    later = parse(registry, document(PAGE1, datetime(2026, 11, 22, 1, 56, tzinfo=UTC), live))
    assert later[0].published == datetime(
        2026, 11, 21, 20, 54, tzinfo=timezone(timedelta(hours=-5))
    )
    # a saved file's "1 minute ago" says nothing about when it was read: UTC, MyBB's default
    from_disk = parse(registry, document(PAGE1, datetime(2026, 11, 22, 1, 56, tzinfo=UTC)))
    assert from_disk[0].published == datetime(2026, 11, 21, 20, 54, tzinfo=UTC)
    page2 = parse(registry, document(PAGE2))
    assert page2[2].published == datetime(
        2026, 11, 21, 20, 55, tzinfo=UTC
    )  # "Less than 1 minute ago"


def test_code_blocks_keep_their_lines_and_lists_their_items(registry: Registry) -> None:
    items = parse(registry, document(PAGE1))
    assert items[1].text == (
        "unit  raw75  raw33  slope   offset\n"
        "A01   78.2   34.1   0.950   0.71\n"
        "A02   77.9   35.0   0.976  -1.03\n"
        "A03   80.4   33.9   0.902   2.48\n\n"
        "Units A07 and A19 were rejected."
    )
    assert "Code:" not in items[1].text
    assert "- median offset at 75% RH: +3.1" in items[0].text
    assert "- two units rejected (drift > 8%)" in items[0].text


def test_quote_is_a_reference_to_the_quoted_post(registry: Registry) -> None:
    reply = parse(registry, document(PAGE2))[3]
    assert reply.thread is not None
    assert reply.thread.quotes == (Quote(author="zoe", key="mybb:127.0.0.1:18082:6"),)
    assert reply.text == (
        "+1 to a CSV. Ideally with a stable column order so the importer doesn't have to guess."
    )


def test_pagination(registry: Registry) -> None:
    parser = registry.parsers["mybb"]
    assert list(parser.next_pages(document(PAGE1))) == [f"{SITE}/showthread.php?tid=1&page=2"]
    assert list(parser.live_pages(document(PAGE1))) == [f"{SITE}/showthread.php?tid=1&page=2"]
    assert list(parser.next_pages(document(PAGE2))) == []
    assert list(parser.live_pages(document(PAGE2))) == []


def test_unicode_text_survives(registry: Registry) -> None:
    german = parse(registry, document(PAGE2))[2]
    assert german.text == (
        "Ich habe die Werte mit unseren Referenzsensoren verglichen — "
        "Abweichung < 0,5 % nach Kalibrierung. Sehr gut! 👍"
    )


def test_another_engines_page_is_a_clear_error(registry: Registry) -> None:
    with pytest.raises(ParseError, match="no MyBB posts found"):
        parse(registry, document("xenforo2/xenforo_community_dark_theme_option.html"))
