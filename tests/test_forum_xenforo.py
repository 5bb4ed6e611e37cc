"""The ``xenforo`` parser on real XenForo 1 and 2 thread pages.

Expected values were read from the pages themselves (tests/data/forum/xenforo*/).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from seedwatch.contracts import MAX_LIVE_PAGES
from seedwatch.errors import ParseError
from seedwatch.models import Document, Item, Quote
from seedwatch.plugins.manager import build_registry
from seedwatch.plugins.registry import Registry

DATA = Path(__file__).parent / "data" / "forum"
XF2 = "xenforo2/xenforo_community_dark_theme_option.html"
XF1 = "xenforo1/sufficientvelocity_renascence_page54.html"
FETCHED = datetime(2019, 7, 3, 20, 0, tzinfo=UTC)


def document(name: str, *, url: str | None = None, content: bytes | None = None) -> Document:
    path = DATA / name
    return Document(
        url=url or path.as_uri(),
        content=path.read_bytes() if content is None else content,
        fetched=FETCHED,
        media_type="text/html",
    )


@pytest.fixture(scope="module")
def registry() -> Registry:
    return build_registry(load_external=False)


def parse(registry: Registry, doc: Document) -> list[Item]:
    return list(registry.parsers["xenforo"].parse(doc))


def test_sniff_recognises_both_versions_and_nothing_else(registry: Registry) -> None:
    parser = registry.parsers["xenforo"]
    assert parser.sniff(document(XF2)) > 0.5
    assert parser.sniff(document(XF1)) > 0.5
    for other in [
        "phpbb3/ilovephilosophy_biological_will.html",
        "vbulletin3/animesuki_hibike_euphonium_page152.html",
        "vbulletin4/militarytimes_bob_dorr_dies.html",
        "vbulletin5/fandompost_isekai_quartet_page1.html",
        "mybb/showthread-tid1-page1.html",
        "discourse/posts_json_topic2144_from_post5.json",
    ]:
        assert parser.sniff(document(other)) == 0, other
    assert registry.sniff(document(XF2)).name == "xenforo"
    assert registry.sniff(document(XF1)).name == "xenforo"


def test_xenforo2_one_item_per_post_with_author_date_number(registry: Registry) -> None:
    items = parse(registry, document(XF2))
    # 8 article.message--post blocks; authors from their data-author attributes
    assert [i.author for i in items] == [
        "dieketzer",
        "krstep",
        "dieketzer",
        "anotheralias",
        "T3G Silas",
        "Azofan",
        "AndyB",
        "sub_ubi",
    ]
    assert [i.thread.post_number for i in items if i.thread] == list(range(1, 9))
    first = items[0]
    # <time datetime="2010-11-21T10:51:58+0000" data-time="1290336718">
    assert first.published == datetime(2010, 11, 21, 10, 51, 58, tzinfo=UTC)
    assert first.key == "xenforo:xenforo.com:114210"
    assert first.url == "https://xenforo.com/community/threads/a-dark-theme-option.8276/post-114210"
    assert first.text.startswith(
        "it would be great if by default a dark theme shipped with xenforo."
    )
    assert first.thread is not None
    assert first.thread.id == "8276"
    assert first.thread.title == "a dark theme option"
    assert first.thread.url == "https://xenforo.com/community/threads/a-dark-theme-option.8276/"
    assert first.site == "XenForo community"
    assert items[-1].text == "i want this added to xenforo.com itself"
    for item in items:
        assert item.parser == "xenforo"
        assert item.author and item.published and item.text.strip()


def test_xenforo2_reaction_bars_are_not_post_text(registry: Registry) -> None:
    items = parse(registry, document(XF2))
    for item in items:
        assert "Reactions" not in item.text
        assert "Niro" not in item.text  # "Niro, Dadparvar, siONtI and 12 others"
        assert "Like" not in item.text


def test_xenforo2_keys_and_urls_are_unique(registry: Registry) -> None:
    items = parse(registry, document(XF2))
    assert len({i.key for i in items}) == len(items)
    assert len({i.url for i in items}) == len(items)


def test_key_uses_the_fetch_host_or_the_pages_own_canonical_url(registry: Registry) -> None:
    from_disk = parse(registry, document(XF2))
    fetched = parse(
        registry,
        document(XF2, url="https://xenforo.com/community/threads/a-dark-theme-option.8276/"),
    )
    assert [i.key for i in from_disk] == [i.key for i in fetched]
    # XenForo 1 page read from disk: the host comes from its <base href>/canonical
    assert parse(registry, document(XF1))[0].key == (
        "xenforo:forums.sufficientvelocity.com:2146286"
    )


def test_xenforo1_posts_dates_in_the_visitors_zone(registry: Registry) -> None:
    items = parse(registry, document(XF1))
    assert len(items) == 25  # li.message#post-2146286 ... #post-2146619
    first = items[0]
    assert first.author == "TheBleachDoctor"
    assert first.thread is not None and first.thread.post_number == 1326
    assert first.url == "https://forums.sufficientvelocity.com/posts/2146286/"
    # span.DateTime title="Oct 30, 2014 at 10:48 PM"; serverTimeInfo now=1499113436,
    # today=1499058000: the visitor's midnight is 05:00 UTC, so the page is in UTC-5.
    assert first.published == datetime(2014, 10, 30, 22, 48, tzinfo=timezone(timedelta(hours=-5)))
    assert items[-1].author == "Entropy Judge"
    assert items[-1].thread is not None and items[-1].thread.post_number == 1350
    for item in items:
        assert item.author and item.published and item.text.strip()
    assert first.thread is not None
    assert first.thread.id == "10402"
    assert first.thread.title == "Renascence: A Homura Quest"


def test_xenforo1_quotes_are_references_not_text(registry: Registry) -> None:
    items = {i.key.rsplit(":", 1)[1]: i for i in parse(registry, document(XF1))}
    crow = items["2146297"]
    assert crow.thread is not None
    host = "forums.sufficientvelocity.com"
    assert crow.thread.quotes == (
        Quote(author="Higure", key=f"xenforo:{host}:2146285"),
        Quote(author="TheBleachDoctor", key=f"xenforo:{host}:2146286"),
    )
    assert "Okay, I need rolls for OOC behavior" not in crow.text
    assert "OOC behavior? which part?" in crow.text
    assert "I think thats wrong dok." in crow.text
    for item in items.values():
        assert "Click to expand" not in item.text
        assert "said:" not in item.text


def test_xenforo1_signatures_and_last_edited_are_removed(registry: Registry) -> None:
    items = {i.key.rsplit(":", 1)[1]: i for i in parse(registry, document(XF1))}
    for item in items.values():
        assert "KITTEN CABAL" not in item.text  # TheBleachDoctor's signature table
        assert "Hope springs eternal" not in item.text  # Higure's signature
        assert "Last edited" not in item.text
        assert "[IMG]" not in item.text
    edited = items["2146541"]  # "Last edited: Dec 4, 2014 at 2:29 AM"
    assert edited.updated == datetime(2014, 12, 4, 2, 29, tzinfo=timezone(timedelta(hours=-5)))
    assert edited.text.startswith("[X] Do nothing")
    assert edited.text.rstrip().endswith("[...to be continued in a minute or two.]")


def test_xenforo1_pagination_next_and_live_pages(registry: Registry) -> None:
    parser = registry.parsers["xenforo"]
    doc = document(XF1)
    base = "https://forums.sufficientvelocity.com/threads/renascence-a-homura-quest.10402/"
    assert list(parser.next_pages(doc)) == [base + "page-55"]
    live = list(parser.live_pages(doc))
    # "Page 54 of 347": newest first, from the last page back, MAX_LIVE_PAGES of them
    assert live[:3] == [base + "page-347", base + "page-346", base + "page-345"]
    assert live[-1] == base + f"page-{347 - MAX_LIVE_PAGES + 1}"
    assert len(live) == MAX_LIVE_PAGES


def test_xenforo2_single_page_thread_has_no_further_pages(registry: Registry) -> None:
    parser = registry.parsers["xenforo"]
    assert list(parser.next_pages(document(XF2))) == []
    assert list(parser.live_pages(document(XF2))) == []


def test_another_engines_page_is_a_clear_error(registry: Registry) -> None:
    with pytest.raises(ParseError, match=r"no XenForo posts found: expected article\.message"):
        parse(registry, document("phpbb3/ilovephilosophy_biological_will.html"))


def test_login_wall_is_reported_as_a_login_page(registry: Registry) -> None:
    doc = document("handmade/xenforo2_login_required.html")
    assert registry.parsers["xenforo"].sniff(doc) > 0
    with pytest.raises(ParseError, match="login page"):
        parse(registry, doc)


def test_truncated_page_parses_the_posts_it_holds(registry: Registry) -> None:
    content = (DATA / XF2).read_bytes()
    cut = content.index(b'data-content="post-115610"')  # the 5th post's opening tag
    items = parse(registry, document(XF2, content=content[: cut + 2000]))
    assert [i.author for i in items][:4] == ["dieketzer", "krstep", "dieketzer", "anotheralias"]
    assert 4 <= len(items) <= 5


def test_garbage_is_a_parse_error(registry: Registry) -> None:
    with pytest.raises(ParseError):
        parse(registry, document(XF2, content=b"\x00\x01\x02 not html at all"))


# XenForo 2.2's page navigation, written after its page_nav template (our real
# XenForo 2 page is a one-page thread), inserted into that page by the test below.
T = "/community/threads/a-dark-theme-option.8276/"
XF2_PAGE_NAV = f"""
<link rel="next" href="{T}page-3" />
<div class="block-outer"><div class="pageNavWrapper pageNavWrapper--mixed ">
<div class="pageNav  pageNav--skipEnd">
  <a href="{T}" class="pageNav-jump pageNav-jump--prev">Prev</a>
  <ul class="pageNav-main">
    <li class="pageNav-page "><a href="{T}">1</a></li>
    <li class="pageNav-page pageNav-page--current "><a href="{T}page-2">2</a></li>
    <li class="pageNav-page pageNav-page--later"><a href="{T}page-3">3</a></li>
    <li class="pageNav-page pageNav-page--skip"><a title="Go to page">…</a></li>
    <li class="pageNav-page "><a href="{T}page-6">6</a></li>
  </ul>
  <a href="{T}page-3" class="pageNav-jump pageNav-jump--next">Next</a>
</div></div></div>
""".encode()


def test_xenforo2_page_navigation(registry: Registry) -> None:
    content = (DATA / XF2).read_bytes()
    at = content.index(b'<div class="block-outer"></div>')
    doc = document(
        XF2,
        url="https://xenforo.com/community/threads/a-dark-theme-option.8276/page-2",
        content=content[:at] + XF2_PAGE_NAV + content[at:],
    )
    parser = registry.parsers["xenforo"]
    base = "https://xenforo.com/community/threads/a-dark-theme-option.8276/"
    assert list(parser.next_pages(doc)) == [base + "page-3"]
    assert list(parser.live_pages(doc)) == [base + f"page-{n}" for n in (6, 5, 4, 3)]
