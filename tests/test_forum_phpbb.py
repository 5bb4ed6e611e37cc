"""The ``phpbb`` parser: a real phpBB 3.0 prosilver topic page, and hand-made
phpBB 3.3 prosilver and 3.0 subsilver2 pages (tests/data/forum/handmade/).

Expected values were read from the pages themselves.
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
ILP = "phpbb3/ilovephilosophy_biological_will.html"
PHPBB33 = "handmade/phpbb33_prosilver_topic.html"
SUBSILVER = "handmade/phpbb30_subsilver2_topic.html"
FETCHED = datetime(2019, 6, 2, 12, 0, tzinfo=UTC)
UTC_DST = timezone(timedelta(hours=1))  # "All times are UTC [ DST ]"


def document(name: str, url: str | None = None) -> Document:
    path = DATA / name
    return Document(
        url=url or path.as_uri(), content=path.read_bytes(), fetched=FETCHED, media_type="text/html"
    )


@pytest.fixture(scope="module")
def registry() -> Registry:
    return build_registry(load_external=False)


def parse(registry: Registry, doc: Document) -> list[Item]:
    return list(registry.parsers["phpbb"].parse(doc))


def by_id(items: list[Item]) -> dict[str, Item]:
    return {i.key.rsplit(":", 1)[1]: i for i in items}


def test_sniff_recognises_prosilver_and_subsilver_and_nothing_else(registry: Registry) -> None:
    parser = registry.parsers["phpbb"]
    for name in (ILP, PHPBB33, SUBSILVER):
        assert parser.sniff(document(name)) > 0.5, name
        assert registry.sniff(document(name)).name == "phpbb", name
    for other in [
        "xenforo2/xenforo_community_dark_theme_option.html",
        "xenforo1/sufficientvelocity_renascence_page54.html",
        "vbulletin3/animesuki_hibike_euphonium_page152.html",
        "vbulletin4/militarytimes_bob_dorr_dies.html",
        "vbulletin5/fandompost_isekai_quartet_page1.html",
        "mybb/showthread-tid1-page1.html",
        "discourse/posts_json_topic2144_from_post5.json",
    ]:
        assert parser.sniff(document(other)) == 0, other


def test_prosilver_30_posts_authors_dates_numbers(registry: Registry) -> None:
    items = parse(registry, document(ILP))
    assert len(items) == 25  # div.post#p2729870 ... #p2730442
    first = items[0]
    assert first.author == "Jakob"
    # "Sun May 26, 2019 4:34 pm" with "All times are UTC [ DST ]"
    assert first.published == datetime(2019, 5, 26, 16, 34, tzinfo=UTC_DST)
    # page 2 of the topic at 25 posts a page (var on_page = '2', per_page = '25')
    assert [i.thread.post_number for i in items if i.thread] == list(range(26, 51))
    # read from disk: the host comes from the page's absolute feed links
    assert first.key == "phpbb:ilovephilosophy.com:2729870"
    assert first.url == "http://ilovephilosophy.com/viewtopic.php?p=2729870#p2729870"
    assert first.thread is not None
    assert first.thread.id == "194998"
    assert first.thread.title == "Biological Will"
    assert first.thread.url == "http://ilovephilosophy.com/viewtopic.php?f=1&t=194998"
    assert items[-1].author == "promethean75"
    assert items[-1].text == "Ohhhh no you don't."
    for item in items:
        assert item.author and item.published and item.text.strip()


def test_prosilver_30_signatures_and_notices_are_not_text(registry: Registry) -> None:
    items = by_id(parse(registry, document(ILP)))
    for item in items.values():
        assert "all acts of love and pleasure are my rituals" not in item.text  # Jakob's
        assert "Even nothing, is something." not in item.text  # Artimas's
        assert "soundcloud" not in item.text  # promethean75's
        assert "Last edited by" not in item.text
    # "Last edited by Jakob on Sun May 26, 2019 5:35 pm, edited 2 times in total."
    assert items["2729877"].updated == datetime(2019, 5, 26, 17, 35, tzinfo=UTC_DST)


def test_prosilver_30_quotes_outermost_only_and_uncited(registry: Registry) -> None:
    items = by_id(parse(registry, document(ILP)))
    cited = items["2729876"]
    assert cited.thread is not None
    assert cited.thread.quotes == (Quote(author="Urwrongx1000", key=None),)
    assert "I don't know if you've read this thread" not in cited.text
    uncited = items["2729875"]
    assert uncited.thread is not None
    assert uncited.thread.quotes == (Quote(author=None, key=None),)
    assert uncited.text.startswith("Well I think we can get a long way in designing")
    nested = items["2730367"]  # promethean75 quoting Silhouette, then Silhouette again
    assert nested.thread is not None
    assert nested.thread.quotes == (
        Quote(author="promethean75", key=None),
        Quote(author="Silhouette", key=None),
    )
    assert "simply defining" not in nested.text
    assert "There seem to be conflicting interpretations of truth" not in nested.text
    assert nested.text.startswith("In spite of your best (and laudible!) efforts")


def test_prosilver_30_image_only_post_and_image_alt_chrome(registry: Registry) -> None:
    items = by_id(parse(registry, document(ILP)))
    gifs = items["2729894"]  # an uncited quote, then four [img] tags with alt="Image"
    assert gifs.text.splitlines() == [
        "[image: https://i.makeagif.com/media/12-16-2015/npz5Cb.gif]",
        "[image: https://i.gifer.com/PNzq.gif]",
        "[image: https://i.gifer.com/PNzq.gif]",
        "[image: https://i.makeagif.com/media/12-16-2015/npz5Cb.gif]",
    ]
    for item in items.values():
        assert "Image" not in item.text.split()


def test_prosilver_30_pagination_by_start_offsets(registry: Registry) -> None:
    parser = registry.parsers["phpbb"]
    doc = document(ILP)
    base = "http://ilovephilosophy.com/viewtopic.php?f=1&t=194998&start="
    assert list(parser.next_pages(doc)) == [base + "50"]
    # "Page 2 of 10": pages 10 down to 3, start=(n-1)*25 (6 to 9 are not linked)
    assert list(parser.live_pages(doc)) == [base + str((n - 1) * 25) for n in range(10, 2, -1)]


def test_prosilver_33_time_elements_data_post_id_quotes_and_zone_names(
    registry: Registry,
) -> None:
    items = parse(registry, document(PHPBB33))
    assert [i.author for i in items] == ["alice", "visitor_ken", "alice"]
    assert items[0].published == datetime(2024, 3, 2, 8, 15, tzinfo=UTC)
    assert items[0].key == "phpbb:radio.example.org:101"
    assert [i.thread.post_number for i in items if i.thread] == [1, 2, 3]
    # code keeps its lines and indentation; the "Code: Select all" label goes
    assert items[0].text == (
        "The filter rings at 7.1 MHz. My settings:\n\n"
        "L1 = 2.2 uH\nC1 = 220 pF\n  trim: +/- 10 pF\n\n"
        "Any idea where the ringing comes from?"
    )
    reply = items[1]
    assert reply.thread is not None
    assert reply.thread.quotes == (Quote(author="alice", key="phpbb:radio.example.org:101"),)
    assert reply.text == "Check the ground return of C1 first.\n\nThen the coax shield."
    # "Last edited ... on Sat Mar 02, 2024 10:40 am" in Europe/Paris (the footer's zone)
    assert reply.updated == datetime(2024, 3, 2, 9, 40, tzinfo=UTC)
    assert items[2].text == "That was it: a cold joint on C1."  # attachment box left out
    for item in items:
        assert "73 de alice" not in item.text


def test_subsilver2_posts_quotes_code_signature(registry: Registry) -> None:
    items = parse(registry, document(SUBSILVER, "http://mill.example.net/viewtopic.php?t=31"))
    assert [i.author for i in items] == ["millwright", "hydro_anne"]
    minus5 = timezone(timedelta(hours=-5))  # "All times are UTC - 5 hours"
    assert items[0].published == datetime(2010, 10, 12, 20, 5, tzinfo=minus5)
    assert (
        items[0].text
        == "The oak bearings on the wheel shaft squeal after rain.\n\nGrease or water?"
    )
    reply = items[1]
    assert reply.thread is not None
    assert reply.thread.quotes == (Quote(author="millwright", key=None),)
    assert reply.text == (
        "Water. Oak bearings run wet; grease traps grit.\n\nsoak: 24 h\n  then run slow"
    )
    assert reply.updated == datetime(2010, 10, 13, 8, 2, tzinfo=minus5)
    assert reply.thread.title == "Water wheel bearings"
    assert reply.thread.id == "31"
    for item in items:
        assert "The mill turns" not in item.text


def test_another_engines_page_is_a_clear_error(registry: Registry) -> None:
    with pytest.raises(ParseError, match="no phpBB posts found"):
        parse(registry, document("vbulletin4/militarytimes_bob_dorr_dies.html"))


def test_login_wall_is_reported_as_a_login_page(registry: Registry) -> None:
    doc = document("handmade/phpbb33_login_required.html")
    assert registry.sniff(doc).name == "phpbb"
    with pytest.raises(ParseError, match="this is a login page"):
        parse(registry, doc)
