"""The ``forum-text`` parser on seed 002 (a XenForo thread rendered as text).

Expected values were read from tests/data/seeds/002_9f1a0bbdab6c30d1.txt: 13 lines
holding only a no-break space separate 13 posts and the page footer.
"""

from __future__ import annotations

import contextlib
import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from seedwatch.errors import NoParserError, ParseError
from seedwatch.models import Document, Item
from seedwatch.plugins.manager import build_registry
from seedwatch.plugins.registry import Registry
from seedwatch.text import fingerprint_hex

SEEDS = Path(__file__).parent / "data" / "seeds"
FORUM = Path(__file__).parent / "data" / "forum"
TITLE = "China cannot rely on foreign technology for national security purposes"
FETCHED = datetime(2026, 1, 1, tzinfo=UTC)


def seed(prefix: str) -> Document:
    path = next(SEEDS.glob(f"{prefix}_*.txt"))
    return Document(
        url=path.as_uri(), content=path.read_bytes(), fetched=FETCHED, media_type="text/plain"
    )


@pytest.fixture(scope="module")
def registry() -> Registry:
    return build_registry(load_external=False)


@pytest.fixture(scope="module")
def items(registry: Registry) -> list[Item]:
    return list(registry.parsers["forum-text"].parse(seed("002")))


def test_sniff_needs_the_card_not_just_the_separators(registry: Registry) -> None:
    parser = registry.parsers["forum-text"]
    assert parser.sniff(seed("002")) > 0.5
    assert registry.sniff(seed("002")).name == "forum-text"
    # seed 004 (FreshRSS text) holds two no-break-space lines too
    for other in ("000", "001", "003", "004"):
        assert parser.sniff(seed(other)) == 0, other
    # with or without a FreshRSS text parser registered, forum-text does not win it
    with contextlib.suppress(NoParserError):
        assert registry.sniff(seed("004")).name != "forum-text"
    for page in (
        "xenforo2/xenforo_community_dark_theme_option.html",
        "mybb/syndication-default-rss2.xml",
    ):
        path = FORUM / page
        doc = Document(url=path.as_uri(), content=path.read_bytes(), fetched=FETCHED)
        assert parser.sniff(doc) == 0, page


def test_thirteen_posts_the_first_by_taishang_with_his_member_card(items: list[Item]) -> None:
    assert len(items) == 13  # the 14th block is the footer: "Latest posts", "Back"
    first = items[0]
    assert first.author == "TaiShang"
    assert first.extra["member"] == {
        "rank": "ELITE MEMBER",
        "joined": "Apr 30, 2014",
        "messages": "27,848",
        "reaction_score": "70",
        "country": "China",
        "location": "Taiwan, Province Of China",
    }
    assert first.title == TITLE
    assert first.text.startswith(f"{TITLE}: expert\n\nBy Yang Sheng Source:Global Times")
    assert first.text.endswith('in important sectors," she added.')
    for chrome in ("What's new", "ELITE MEMBER", "Reaction score", "Joined"):
        assert chrome not in first.text
    assert [i.thread.post_number for i in items if i.thread] == list(range(1, 14))
    for item in items:
        assert item.parser == "forum-text"
        assert item.text.strip()
        assert "Latest posts" not in item.text
        assert item.thread is not None and item.thread.title == TITLE


def test_key_is_title_number_and_text_fingerprint(items: list[Item]) -> None:
    first = items[0]
    expected = hashlib.blake2b(
        "\x1f".join([TITLE, "1", fingerprint_hex(first.text)]).encode(), digest_size=16
    ).hexdigest()
    assert first.key == f"forum-text:{expected}"
    assert len({i.key for i in items}) == 13


def test_last_edited_at_a_blocks_top_belongs_to_the_post_before(items: list[Item]) -> None:
    # the 8th block opens with "Last edited:": the 7th post (Donald and the Congress...) was edited
    assert items[6].text.startswith("Donald and the Congress refuse to let ZTE die:")
    assert items[6].extra.get("edited") is True
    assert "edited" not in items[7].extra
    for item in items:
        assert "Last edited" not in item.text


def test_a_post_opening_with_an_earlier_posts_text_quotes_it(items: list[Item]) -> None:
    third, fourth = items[2], items[3]
    assert third.thread is not None and third.thread.quotes == ()
    assert fourth.thread is not None
    assert [q.key for q in fourth.thread.quotes] == [third.key]
    assert fourth.text.startswith("You have no one to blame but yourselves.")
    assert "Biggest idiot = ZTE" not in fourth.text
    # the 7th post quotes the 2nd ("this ZTE case ... Time is of the essence")
    assert items[6].thread is not None
    assert [q.key for q in items[6].thread.quotes] == [items[1].key]
    assert "Time is of the essence" not in items[6].text
    # the 13th quotes the 12th, which quoted the 8th
    assert items[12].thread is not None
    assert [q.key for q in items[12].thread.quotes] == [items[11].key]
    assert items[12].text.startswith("No. You are wrong.")
    assert items[11].thread is not None
    assert [q.key for q in items[11].thread.quotes] == [items[7].key]


def test_interleaved_quotes_inside_a_post(items: list[Item]) -> None:
    tenth = items[9]  # quotes the 4th post twice, answering in between
    assert tenth.thread is not None
    assert [q.key for q in tenth.thread.quotes] == [items[3].key, items[3].key]
    assert tenth.text.startswith("LOL. In fact currently Chinese government")
    assert "Wrong analysis." in tenth.text
    assert "Your greed overrode" not in tenth.text
    assert "First...China took after JPN" not in tenth.text


def test_text_without_separators_is_a_parse_error(registry: Registry) -> None:
    with pytest.raises(ParseError, match="no-break space"):
        list(registry.parsers["forum-text"].parse(seed("003")))
