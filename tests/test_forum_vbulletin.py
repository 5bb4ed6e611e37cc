"""The ``vbulletin`` parser on real vBulletin 3, 4 and 5 thread pages.

Expected values were read from the pages themselves (tests/data/forum/vbulletin*/).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from seedwatch.errors import ParseError
from seedwatch.models import Document, Item, Quote
from seedwatch.plugins.builtin.forums.common import decode
from seedwatch.plugins.manager import build_registry
from seedwatch.plugins.registry import Registry

DATA = Path(__file__).parent / "data" / "forum"
VB3 = "vbulletin3/animesuki_hibike_euphonium_page152.html"
VB3_URL = "https://forums.animesuki.com/showthread.php?t=128882&page=152"
VOZ = "vbulletin3/vozforums_vi_page1of3.html"
VOZ_URL = "https://vozforums.com/showthread.php?t=6184437"
VB4 = "vbulletin4/militarytimes_bob_dorr_dies.html"
VB5 = "vbulletin5/fandompost_isekai_quartet_page1.html"
# The vozForums page says "The time now is 17:49" (GMT +8): fetched then.
FETCHED = datetime(2017, 7, 3, 9, 49, tzinfo=UTC)
GMT_MINUS_5 = timezone(timedelta(hours=-5))
GMT_PLUS_8 = timezone(timedelta(hours=8))


def document(name: str, url: str | None = None) -> Document:
    path = DATA / name
    return Document(
        url=url or path.as_uri(), content=path.read_bytes(), fetched=FETCHED, media_type="text/html"
    )


@pytest.fixture(scope="module")
def registry() -> Registry:
    return build_registry(load_external=False)


def parse(registry: Registry, doc: Document) -> list[Item]:
    return list(registry.parsers["vbulletin"].parse(doc))


def by_id(items: list[Item]) -> dict[str, Item]:
    return {i.key.rsplit(":", 1)[1]: i for i in items}


def test_sniff_recognises_vbulletin_3_4_5_and_nothing_else(registry: Registry) -> None:
    parser = registry.parsers["vbulletin"]
    for name in (VB3, VOZ, VB4, VB5):
        assert parser.sniff(document(name)) > 0.5, name
        assert registry.sniff(document(name)).name == "vbulletin", name
    for other in [
        "xenforo2/xenforo_community_dark_theme_option.html",
        "xenforo1/sufficientvelocity_renascence_page54.html",
        "phpbb3/ilovephilosophy_biological_will.html",
        "mybb/showthread-tid1-page1.html",
        "mybb/syndication-default-rss2.xml",
        "discourse/posts_json_topic2144_from_post5.json",
    ]:
        assert parser.sniff(document(other)) == 0, other


def test_legacy_encoding_page_decodes_as_the_browser_does() -> None:
    # <meta charset=ISO-8859-1> but byte 0x94 is cp1252's closing quote, as browsers read it
    text = decode(document(VB3))
    assert "You are only entitled to what you can argue for.\u201d" in text


def test_vbulletin3_posts_numbers_and_dates_in_the_boards_zone(registry: Registry) -> None:
    items = parse(registry, document(VB3, VB3_URL))
    assert len(items) == 20  # div#post_message_N, "#3021" to "#3040"
    assert [i.thread.post_number for i in items if i.thread] == list(range(3021, 3041))
    first = items[0]
    assert first.author == "Shirohige"
    # "2016-02-01, 02:21" and the footer's "All times are GMT -5"
    assert first.published == datetime(2016, 2, 1, 2, 21, tzinfo=GMT_MINUS_5)
    assert first.key == "vbulletin:forums.animesuki.com:5768670"
    assert first.url == "https://forums.animesuki.com/showpost.php?p=5768670&postcount=3021"
    assert first.thread is not None
    assert first.thread.id == "128882"
    assert first.thread.title == "(L+CR) Hibike! Euphonium [anime]"
    assert first.thread.url == "https://forums.animesuki.com/showthread.php?t=128882"
    assert items[-1].author == "Kamieichi"
    assert items[-1].text == "Voice acting is totally re-recorded for the movie."
    for item in items:
        assert item.author and item.published and item.text.strip()


def test_vbulletin3_quotes_are_references_not_text(registry: Registry) -> None:
    first = parse(registry, document(VB3, VB3_URL))[0]
    assert first.thread is not None
    host = "forums.animesuki.com"
    # two "Originally Posted by" quotes linking showthread.php?p=N, two without attribution
    assert first.thread.quotes == (
        Quote(author="TinyRedLeaf", key=f"vbulletin:{host}:5768621"),
        Quote(author=None, key=None),
        Quote(author=None, key=None),
        Quote(author="Romanticide", key=f"vbulletin:{host}:5768655"),
    )
    assert "what's offensive to me is that" not in first.text
    assert "Sexual orientation is a broad spectrum" not in first.text
    assert "Originally Posted by" not in first.text
    assert "Quote:" not in first.text
    assert first.text.startswith("Let me reword it from lesbians")
    # <br><br> between paragraphs is a paragraph break
    assert "around each other.\n\nLoving without being sexual?" in first.text


def test_vbulletin3_signatures_and_edit_notes_stay_out(registry: Registry) -> None:
    items = by_id(parse(registry, document(VB3, VB3_URL)))
    for item in items.values():
        assert "You must free yourself from that illusion" not in item.text  # karice67's sig
        assert "Last edited by" not in item.text
    # "Last edited by Shirohige; 2016-02-01 at 03:31."
    assert items["5768696"].updated == datetime(2016, 2, 1, 3, 31, tzinfo=GMT_MINUS_5)
    assert items["5768670"].updated is None


def test_vbulletin3_pagination(registry: Registry) -> None:
    parser = registry.parsers["vbulletin"]
    doc = document(VB3, VB3_URL)
    base = "https://forums.animesuki.com/showthread.php?t=128882&page="
    assert list(parser.next_pages(doc)) == [base + "153"]
    assert list(parser.live_pages(doc)) == [base + "155", base + "154", base + "153"]


def test_vbulletin3_today_resolves_against_fetch_time_in_the_page_zone(registry: Registry) -> None:
    items = parse(registry, document(VOZ, VOZ_URL))
    assert len(items) == 10
    # "Today, 16:21" on a page in "GMT +8", fetched at 17:49 local time on 3 July 2017
    assert items[0].published == datetime(2017, 7, 3, 16, 21, tzinfo=GMT_PLUS_8)
    assert items[0].author == "phutit"
    assert items[0].text.startswith("facebook.com/story.php?story_fbid=1063676457097426")
    assert "Như title ạ. Mong các bác giúp e 1 tay ạ" in items[0].text
    for item in items:
        assert item.author and item.published and item.text.strip()


def test_vbulletin3_image_only_posts_keep_their_images_as_text(registry: Registry) -> None:
    items = parse(registry, document(VOZ, VOZ_URL))
    assert items[1].text == "[image: http://2.pik.vn/2017518b030a-fd3e-4bc4-9d6f-a43130eeff58.jpg]"


def test_vbulletin3_vietnamese_quote(registry: Registry) -> None:
    items = by_id(parse(registry, document(VOZ, VOZ_URL)))
    reply = items["118425229"]
    assert reply.thread is not None
    assert reply.thread.quotes == (Quote(author="phutit", key="vbulletin:vozforums.com:118424225"),)
    assert "Như title" not in reply.text
    # "Sent from LG V20 using vozFApp": the app's signature line goes too
    assert reply.text == "Đức cho tụi nó vô like"


def test_vbulletin4_posts_quotes_signatures(registry: Registry) -> None:
    items = parse(registry, document(VB4))
    assert [i.author for i in items] == [
        "Rainmaker",
        "Mjölnir",
        "sandsjames",
        "Mjölnir",
        "Rainmaker",
        "sandsjames",
        "Mjölnir",
        "Mjölnir",
        "giggawatt",
        "sandsjames",
    ]
    assert [i.thread.post_number for i in items if i.thread] == list(range(1, 11))
    # "06-15-2016, 03:03 PM", "All times are GMT."
    assert items[0].published == datetime(2016, 6, 15, 15, 3, tzinfo=UTC)
    # read from disk: the host comes from <base href="http://forums.militarytimes.com/">
    assert items[0].key == "vbulletin:forums.militarytimes.com:365266"
    for item in items:
        assert "The most important six inches on the battlefield" not in item.text
        assert "Beezow Doo-Doo Zopittybop" not in item.text
        assert item.author and item.published and item.text.strip()
    reply = by_id(items)["365272"]
    assert reply.thread is not None
    assert reply.thread.quotes == (
        Quote(author="sandsjames", key="vbulletin:forums.militarytimes.com:365268"),
    )
    assert "two spaces after a period" not in reply.text
    assert reply.text.startswith('and who could forget..."There is a rat in separate".')
    thread = items[0].thread
    assert thread is not None and thread.id == "9687"
    assert thread.title == "Legendary military columnist, author Bob Dorr dies at 76"


def test_vbulletin4_pagination(registry: Registry) -> None:
    parser = registry.parsers["vbulletin"]
    page2 = (
        "http://forums.militarytimes.com/showthread.php/"
        "9687-Legendary-military-columnist-author-Bob-Dorr-dies-at-76/page2"
    )
    doc = document(VB4, "http://forums.militarytimes.com/showthread.php/9687-x")
    assert list(parser.next_pages(doc)) == [page2]
    assert list(parser.live_pages(doc)) == [page2]


def test_vbulletin5_posts_use_the_epoch_not_the_offsetless_time_attribute(
    registry: Registry,
) -> None:
    items = parse(registry, document(VB5))
    assert len(items) == 15  # li.b-post[data-node-id]
    first = items[0]
    # data-node-publishdate="1554824243"; <time datetime="2019-04-09T08:37:23"> is 7 h off
    assert first.published == datetime(2019, 4, 9, 15, 37, 23, tzinfo=UTC)
    assert first.author == "Buckeye"
    assert first.key == "vbulletin:fandompost.vbulletin.net:727744"
    assert first.url is not None and "p=727744" in first.url
    assert len({i.url for i in items}) == 15
    for item in items:
        assert "MyAnimeList" not in item.text  # General Hentai's signature
        assert "Mikuru Asahina" not in item.text  # another signature
        assert item.author and item.published and item.text.strip()
    reply = by_id(items)["727761"]
    assert reply.thread is not None
    assert reply.thread.quotes == (
        Quote(author="Buckeye", key="vbulletin:fandompost.vbulletin.net:727754"),
    )
    assert "Four-in-one." not in reply.text
    assert reply.text.startswith("Re: Episode 1\n\nO.M.G.")
    assert reply.author == "General Hentai"
    thread = first.thread
    assert thread is not None and thread.id == "727744"
    assert thread.title == "Isekai Quartet Discussion Thread"


def test_vbulletin5_pagination(registry: Registry) -> None:
    parser = registry.parsers["vbulletin"]
    page2 = (
        "https://fandompost.vbulletin.net/forum/anime-manga-discussions/"
        "general-anime-discussions/727744-isekai-quartet-discussion-thread/page2"
    )
    doc = document(VB5, page2.removesuffix("/page2"))
    assert list(parser.next_pages(doc)) == [page2]
    assert list(parser.live_pages(doc)) == [page2]


def test_another_engines_page_is_a_clear_error(registry: Registry) -> None:
    with pytest.raises(ParseError, match="no vBulletin posts found"):
        parse(registry, document("xenforo2/xenforo_community_dark_theme_option.html"))
