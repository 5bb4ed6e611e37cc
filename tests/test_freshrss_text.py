"""freshrss-text: a FreshRSS page rendered as text (seed 004).

The expected titles and authors were read from the seed itself: each
article is a title line followed by a "By <author>" line.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from seedwatch.errors import ParseError
from seedwatch.models import Document, Item
from seedwatch.plugins.builtin.freshrss.textrender import FreshRSSTextParser
from seedwatch.plugins.manager import build_registry
from seedwatch.text import fingerprint_hex, paragraphs

SEEDS = Path(__file__).parent / "data" / "seeds"
SEED_004 = SEEDS / "004_f3d0bba74a0a2456.txt"

# (title, author) of every article of seed 004, in order, as the seed holds them.
ARTICLES = [
    ("Alibaba cloud biz is on a run rate over $4B", "Ron Miller"),
    (
        "Africa Roundup: Canal+ acquires ROK, Flutterwave and Alipay partner, OPay raises $50M",
        "Jake Bright",
    ),
    ("Aspire raises $32.5M to help SMEs secure fast finance in Southeast Asia", "Manish Singh"),
    ("Flutterwave and Alipay partner on payments between Africa and China", "Jake Bright"),
    ("Tencent brings cloud service to Japan in global push", "Rita Liao"),
    ("Alibaba to help Salesforce localize and sell in China", "Rita Liao"),
    (
        "Cars-as-a-service, Alibaba and ridehailing, mental health, and the future of "
        "financial services",
        "Danny Crichton",
    ),
    ("Meituan, Alibaba, and the new landscape of ride-hailing in China", "Rita Liao"),
    (
        "Image recognition, mini apps, QR codes: how China uses tech to sort its waste",
        "Rita Liao",
    ),
    (
        "Warburg Pincus announces new $4.25 billion fund for China and Southeast Asia",
        "Jon Russell",
    ),
    ("Pinduoduo cements position as China’s second-largest ecommerce player", "Rita Liao"),
    (
        "Splyt wants to connect the world’s ride-hailing apps for easy international roaming",
        "Jon Russell",
    ),
    ("Carrefour sale shifts the balance of power in China’s new retail battle", "Jon Russell"),
    ("Alibaba’s Ant Financial and Hellobike team up on $145M e-bike battery JV", "Rita Liao"),
    ("Moving deeper into enterprise cloud, Intel picks up Barefoot Networks", "Jonathan Shieber"),
    (
        "Alibaba, Mail.Ru, Megafon form AliExpress Russia JV to double down on e-commerce in CIS",
        "Ingrid Lunden",
    ),
    ("Alibaba pumps $100 million into Vmate to grow its video app in India", "Manish Singh"),
    (
        "Alibaba reportedly mulling to raise $20B through a second listing in Hong Kong",
        "Rita Liao",
    ),
    ("TikTok parent Bytedance is reportedly working on its own smartphone", "Rita Liao"),
    ("Tencent’s latest education push is a nod to new collaborative structure", "Rita Liao"),
]


def _doc(path: Path, media_type: str | None = None) -> Document:
    return Document(
        url=path.resolve().as_uri(),
        content=path.read_bytes(),
        fetched=datetime(2026, 11, 21, tzinfo=UTC),
        media_type=media_type,
    )


def _text_doc(text: str) -> Document:
    return Document(url="file:///tmp/page.txt", content=text.encode(), fetched=datetime.now(UTC))


@pytest.fixture(scope="module")
def items() -> list[Item]:
    return list(FreshRSSTextParser().parse(_doc(SEED_004)))


def test_seed_004_yields_its_twenty_articles_with_titles_and_authors(items: list[Item]) -> None:
    assert [(i.title, i.author) for i in items] == ARTICLES


def test_seed_004_items_are_freshrss_text_with_fingerprint_keys(items: list[Item]) -> None:
    for item in items:
        assert item.parser == "freshrss-text"
        assert item.title is not None
        assert item.key == "freshrss-text:" + fingerprint_hex(item.title + "\n\n" + item.text)
    assert len({i.key for i in items}) == 20
    again = list(FreshRSSTextParser().parse(_doc(SEED_004)))
    assert [i.key for i in again] == [i.key for i in items]


def test_the_ui_chrome_is_not_article_text(items: list[Item]) -> None:
    chrome = [
        "About FreshRSS",
        "There are new available articles",
        "Your RSS feeds",
        "Before yesterday",
        "❌",
        "🔒",
    ]
    for item in items:
        for piece in chrome:
            assert piece not in item.text
    assert items[0].text.startswith("Alibaba announced its earnings today")
    assert items[-1].text.endswith("said Tong.")


def test_paragraphs_are_separated_by_one_blank_line(items: list[Item]) -> None:
    # Lines 12 to 28 of the seed: nine paragraphs, the fifth an image caption.
    first = paragraphs(items[0].text)
    assert len(first) == 9
    assert first[4] == "Screenshot 2019 08 15 11.17.26"
    assert "\n\n\n" not in items[0].text


def test_a_paragraph_beginning_with_by_is_not_an_author_line(items: list[Item]) -> None:
    meituan = items[7]
    assert meituan.title == "Meituan, Alibaba, and the new landscape of ride-hailing in China"
    assert any(
        p.startswith("By corraling various ride-booking services") for p in paragraphs(meituan.text)
    )


def test_a_teaser_title_inside_an_article_is_not_a_new_article(items: list[Item]) -> None:
    newsletter = items[6]
    parts = paragraphs(newsletter.text)
    assert "Meituan, Alibaba, and the new landscape of ride-hailing in China" in parts
    assert parts[-1].startswith("Meanwhile, on the other side of the world")
    assert parts[0] == "The future of car ownership: Cars-as-a-service"


def test_no_break_space_separator_lines_are_not_paragraphs(items: list[Item]) -> None:
    # Seed lines 150 and 474 hold only U+00A0: they end the 4th and the 16th article.
    for item in items:
        assert all(p.strip("\u00a0 ") for p in paragraphs(item.text))
    assert items[3].text.endswith("ride-hail services.")
    assert items[15].text.endswith("opens a new era for the Russian market.”")


def test_sniff_wins_on_seed_004_against_every_registered_parser() -> None:
    registry = build_registry(load_external=False)
    document = _doc(SEED_004, "text/plain")
    assert registry.sniff(document).name == "freshrss-text"
    mine = registry.parsers["freshrss-text"].sniff(document)
    others = [p.sniff(document) for n, p in registry.parsers.items() if n != "freshrss-text"]
    assert mine >= 0.9
    assert mine - max(others, default=0.0) >= 0.3


def test_sniff_says_not_mine_to_other_texts_and_to_markup() -> None:
    parser = FreshRSSTextParser()
    for seed in (
        "000_3a0e45d0b25c4292.txt",
        "002_9f1a0bbdab6c30d1.txt",
        "003_3e2d132cdabf0ac4.txt",
    ):
        assert parser.sniff(_doc(SEEDS / seed)) == 0.0
    html = Path(__file__).parent / "data" / "freshrss" / "normal_view_feed_hackernews_all_nb10.html"
    assert parser.sniff(_doc(html, "text/html")) == 0.0
    # One weak signal (a "By" line) is not enough.
    assert parser.sniff(_text_doc("A title\n\nBy Jane Doe\n\nSome text.\n")) == 0.0


def test_a_rendering_without_author_lines_is_a_clear_error() -> None:
    with pytest.raises(ParseError, match="By <author>"):
        list(FreshRSSTextParser().parse(_text_doc("FreshRSS\n\nAbout FreshRSS\n\nJust text.\n")))


@pytest.mark.parametrize("garbage", [b"", b"\x00\xff\xfe garbage", "   \n\n\u00a0\n".encode()])
def test_garbage_raises_parse_error(garbage: bytes) -> None:
    document = Document(url="file:///tmp/x.txt", content=garbage, fetched=datetime.now(UTC))
    with pytest.raises(ParseError):
        list(FreshRSSTextParser().parse(document))


def test_several_authors_and_the_colon_form_of_by() -> None:
    text = (
        "FreshRSS\n\nAbout FreshRSS\n\nFirst title\n\nBy: Ada Lovelace and Charles Babbage\n\n"
        "One paragraph.\n\nSecond title\n\nBy Grace Hopper\n\nAnother paragraph.\n\n❌\n"
    )
    items = list(FreshRSSTextParser().parse(_text_doc(text)))
    assert [(i.title, i.author, i.text) for i in items] == [
        ("First title", "Ada Lovelace, Charles Babbage", "One paragraph."),
        ("Second title", "Grace Hopper", "Another paragraph."),
    ]
