"""The ``smf`` parser on hand-made SMF 2.1 and 2.0 topic pages
(tests/data/forum/handmade/smf*.html; we have no real saved SMF page).

Expected values were read from the pages themselves.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from seedwatch.errors import ParseError
from seedwatch.models import Document, Item, Quote
from seedwatch.plugins.manager import build_registry
from seedwatch.plugins.registry import Registry

DATA = Path(__file__).parent / "data" / "forum"
SMF21 = "handmade/smf21_topic.html"
SMF20 = "handmade/smf20_topic.html"
FETCHED = datetime(2024, 3, 16, 12, 0, tzinfo=UTC)


def document(name: str, content: bytes | None = None) -> Document:
    path = DATA / name
    return Document(
        url=path.as_uri(),
        content=path.read_bytes() if content is None else content,
        fetched=FETCHED,
        media_type="text/html",
    )


@pytest.fixture(scope="module")
def registry() -> Registry:
    return build_registry(load_external=False)


def parse(registry: Registry, doc: Document) -> list[Item]:
    return list(registry.parsers["smf"].parse(doc))


def test_sniff_recognises_smf_and_nothing_else(registry: Registry) -> None:
    parser = registry.parsers["smf"]
    for name in (SMF21, SMF20):
        assert parser.sniff(document(name)) > 0.5
        assert registry.sniff(document(name)).name == "smf"
    for other in [
        "xenforo2/xenforo_community_dark_theme_option.html",
        "phpbb3/ilovephilosophy_biological_will.html",
        "vbulletin3/animesuki_hibike_euphonium_page152.html",
        "vbulletin4/militarytimes_bob_dorr_dies.html",
        "mybb/showthread-tid1-page1.html",
        "handmade/invision4_topic.html",
    ]:
        assert parser.sniff(document(other)) == 0, other


def test_smf21_posts_authors_dates_numbers(registry: Registry) -> None:
    items = parse(registry, document(SMF21))
    assert [i.author for i in items] == ["crumb", "yeasty", "Ovenmitt"]  # the last a guest
    assert [i.thread.post_number for i in items if i.thread] == [1, 2, 3]
    assert [i.key for i in items] == [f"smf:bakers.example.com:{n}" for n in (301, 305, 309)]
    assert items[0].url == "https://bakers.example.com/index.php?msg=301"
    # "March 14, 2024, 07:12:40 PM": SMF prints no zone, read as UTC
    assert items[0].published == datetime(2024, 3, 14, 19, 12, 40, tzinfo=UTC)
    # "<strong>Today</strong> at 10:15:03 AM", fetched on 16 March
    assert items[2].published == datetime(2024, 3, 16, 10, 15, 3, tzinfo=UTC)
    # "Last Edit: March 14, 2024, 09:01:00 PM by yeasty"
    assert items[1].updated == datetime(2024, 3, 14, 21, 1, tzinfo=UTC)
    assert items[0].thread is not None
    assert items[0].thread.id == "42"
    assert items[0].thread.title == "Sourdough starter keeps dying"
    assert items[0].thread.url == "https://bakers.example.com/index.php?topic=42.0"
    assert items[0].site == "Home Bakers Forum"


def test_smf21_text_without_quotes_signatures_code_headers(registry: Registry) -> None:
    items = parse(registry, document(SMF21))
    assert items[0].text == (
        "Third starter this month. Day 4 it smells like nail polish, day 6 it is dead.\n\n"
        "I feed it like this:\n\n"
        "50 g starter\n  + 50 g rye\n  + 50 g water\n\n"
        "What am I doing wrong?"
    )
    assert items[1].text == (
        "That smell is hunger, not death. Feed it twice a day from day 3.\n\n"
        "And keep it warmer: 26 °C."
    )
    assert items[1].thread is not None
    assert items[1].thread.quotes == (Quote(author="crumb", key="smf:bakers.example.com:301"),)
    # a quote of a quote: only the outer one is this post's
    assert items[2].thread is not None
    assert items[2].thread.quotes == (Quote(author="yeasty", key="smf:bakers.example.com:305"),)
    assert items[2].text == "Same here, twice a day fixed it."
    for item in items:
        assert "Bread is a verb." not in item.text
        assert "Flour, water, salt, time." not in item.text
        assert "Select" not in item.text


def test_smf21_pagination_by_message_offsets(registry: Registry) -> None:
    parser = registry.parsers["smf"]
    doc = document(SMF21)
    base = "https://bakers.example.com/index.php?topic=42."
    assert list(parser.next_pages(doc)) == [base + "3"]
    assert list(parser.live_pages(doc)) == [base + "6", base + "3"]


def test_smf20_reply_numbers_quote_header_and_legacy_encoding(registry: Registry) -> None:
    items = parse(registry, document(SMF20))
    assert [i.author for i in items] == ["fergie", "Grease Müller"]
    assert [i.thread.post_number for i in items if i.thread] == [1, 2]  # "on:", "Reply #1 on:"
    assert items[0].published == datetime(2012, 6, 2, 18, 30, 11, tzinfo=UTC)
    assert items[1].updated == datetime(2012, 6, 3, 8, 10, tzinfo=UTC)  # "Last Edit: ..."
    reply = items[1]
    assert reply.thread is not None
    assert reply.thread.quotes == (Quote(author="fergie", key="smf:tractors.example.net:5501"),)
    # ISO-8859-1 bytes ("Grüße aus München"), declared only in the page's <meta>
    assert reply.text == (
        'Behind the inspection plate on the right, a small "M" stamped at 6° before TDC.\n\n'
        "Grüße aus München"
    )
    assert "TE20, 1952" not in items[0].text  # fergie's signature


def test_post_without_an_author_has_none(registry: Registry) -> None:
    content = (DATA / SMF21).read_bytes().replace(b"\t\t\t\t\t\t\t\tOvenmitt\n", b"")
    items = parse(registry, document(SMF21, content=content))
    assert items[2].author is None
    assert items[2].text == "Same here, twice a day fixed it."


def test_another_engines_page_is_a_clear_error(registry: Registry) -> None:
    with pytest.raises(ParseError, match="no SMF posts found"):
        parse(registry, document("mybb/showthread-tid1-page1.html"))
