"""The ``invision`` parser on a hand-made Invision Community 4 topic page
(tests/data/forum/handmade/invision4_topic.html; we have no real saved IPS page).

Expected values were read from the page itself.
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
IPS = "handmade/invision4_topic.html"
TOPIC = "https://cars.example.org/topic/512-replacing-the-timing-belt-on-a-2009-civic/"
FETCHED = datetime(2023, 11, 17, tzinfo=UTC)


def document(name: str) -> Document:
    path = DATA / name
    return Document(
        url=path.as_uri(), content=path.read_bytes(), fetched=FETCHED, media_type="text/html"
    )


@pytest.fixture(scope="module")
def registry() -> Registry:
    return build_registry(load_external=False)


def parse(registry: Registry, doc: Document) -> list[Item]:
    return list(registry.parsers["invision"].parse(doc))


def test_sniff_recognises_invision_and_nothing_else(registry: Registry) -> None:
    parser = registry.parsers["invision"]
    assert parser.sniff(document(IPS)) > 0.5
    assert registry.sniff(document(IPS)).name == "invision"
    for other in [
        "xenforo2/xenforo_community_dark_theme_option.html",
        "xenforo1/sufficientvelocity_renascence_page54.html",
        "phpbb3/ilovephilosophy_biological_will.html",
        "vbulletin5/fandompost_isekai_quartet_page1.html",
        "mybb/showthread-tid1-page1.html",
        "handmade/smf21_topic.html",
    ]:
        assert parser.sniff(document(other)) == 0, other


def test_posts_authors_dates_urls(registry: Registry) -> None:
    items = parse(registry, document(IPS))
    assert [i.author for i in items] == ["kenji", "brakeDan", "Pat"]  # Pat is a guest
    assert [i.key for i in items] == [f"invision:cars.example.org:{n}" for n in (7001, 7004, 7010)]
    assert items[0].url == f"{TOPIC}?do=findComment&comment=7001"
    assert items[0].published == datetime(2023, 11, 15, 9, 13, 20, tzinfo=UTC)
    assert items[1].updated == datetime(2023, 11, 15, 10, 20, tzinfo=UTC)  # "Edited ... by"
    # page 1 at 25 posts a page (data-ipsPagination-perPage)
    assert [i.thread.post_number for i in items if i.thread] == [1, 2, 3]
    thread = items[0].thread
    assert thread is not None
    assert thread.id == "512"
    assert thread.title == "Replacing the timing belt on a 2009 Civic"
    assert thread.url == TOPIC
    assert items[0].site == "Example Car Club"


def test_text_quotes_code_lists_spoilers(registry: Registry) -> None:
    items = parse(registry, document(IPS))
    assert items[0].text == (
        "Doing the belt and water pump this weekend. Torque for the crank bolt?\n\n"
        "Parts list so far:\n\n- Gates timing belt kit\n\n- Aisin water pump"
    )
    reply = items[1]
    assert reply.thread is not None
    assert reply.thread.quotes == (Quote(author="kenji", key="invision:cars.example.org:7001"),)
    assert reply.text == (
        "36 lbf-ft, then 90 degrees more. Use a new bolt:\n\nstep 1: 36 lbf-ft\nstep 2: +90 deg"
    )
    assert items[2].text == "Thanks, did mine today.\n\nI forgot the new bolt."
    for item in items:
        assert "Edited" not in item.text
        assert "Measure twice" not in item.text  # brakeDan's signature
        assert "180k and counting" not in item.text  # kenji's signature
        assert "reacted" not in item.text


def test_pagination(registry: Registry) -> None:
    parser = registry.parsers["invision"]
    doc = document(IPS)
    assert list(parser.next_pages(doc)) == [f"{TOPIC}page/2/"]
    assert list(parser.live_pages(doc)) == [f"{TOPIC}page/3/", f"{TOPIC}page/2/"]


def test_another_engines_page_is_a_clear_error(registry: Registry) -> None:
    with pytest.raises(ParseError, match="no Invision Community posts found"):
        parse(registry, document("handmade/smf21_topic.html"))
