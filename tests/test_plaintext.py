"""Parser ``plaintext``: seeds 000 and 003, the SCMP header, sniffing low.

Expected values were written by reading tests/data/seeds/ (and, for the
sniffing tests, the feeds and front-matter fixtures). Inputs defined inline
are hand-made.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from seedwatch.errors import ParseError
from seedwatch.models import Document, Item, Source
from seedwatch.plugins.builtin.plaintext import PlainTextParser
from seedwatch.plugins.manager import build_registry
from seedwatch.text import fingerprint_hex

DATA = Path(__file__).parent / "data"
SEEDS = DATA / "seeds"
FETCHED = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
HK = timezone(timedelta(hours=8))


def seed(prefix: str) -> Path:
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    return path


def doc(
    path: Path, *, media_type: str | None = "text/plain", source: Source | None = None
) -> Document:
    return Document(
        url=path.resolve().as_uri(),
        content=path.read_bytes(),
        fetched=FETCHED,
        media_type=media_type,
        source=source,
    )


def text_doc(text: str | bytes, url: str = "file:///tmp/a.txt", **kw: object) -> Document:
    """A hand-made text document."""
    content = text.encode("utf-8") if isinstance(text, str) else text
    return Document(url=url, content=content, fetched=FETCHED, **kw)  # type: ignore[arg-type]


@pytest.fixture
def parser() -> PlainTextParser:
    return PlainTextParser()


def one(parser: PlainTextParser, document: Document) -> Item:
    items = list(parser.parse(document))
    assert len(items) == 1
    return items[0]


def test_seed_003_scmp_title_and_hong_kong_dates(parser: PlainTextParser) -> None:
    item = one(parser, doc(seed("003")))
    assert item.title == (
        "China's Xiaomi marshals army of start-ups to build online catalogue of tech products"
    )
    assert item.published == datetime(2015, 8, 3, 8, 0, tzinfo=HK)
    assert item.updated == datetime(2018, 6, 21, 15, 17, tzinfo=HK)
    assert item.published is not None and item.published.isoformat() == "2015-08-03T08:00:00+08:00"
    # the header is metadata, not article text
    assert item.text.startswith(
        "Chinese smartphone powerhouse Xiaomi is looking to expand its circle of start-up partners"
    )
    assert "PUBLISHED" not in item.text and "UPDATED :" not in item.text
    assert item.text.endswith("following a similar cooperation in Singapore early last week.")
    # paragraphs kept, separated by one blank line
    assert "\n\n\u201cWe have so far backed 50 start-ups \u2014 all in China \u2014" in item.text
    assert "\n\n\n" not in item.text
    assert item.key == "text:" + fingerprint_hex(item.text)
    assert item.parser == "plaintext"
    assert item.url is None
    assert item.extra["header"] == "scmp"


def test_timezone_option_overrides_hong_kong(parser: PlainTextParser) -> None:
    source = Source(id="scmp-archive", kind="folder", options={"timezone": "UTC"})
    item = one(parser, doc(seed("003"), source=source))
    assert item.published == datetime(2015, 8, 3, 8, 0, tzinfo=UTC)
    assert item.source == "scmp-archive"


def test_seed_000_one_item_every_line_a_line(parser: PlainTextParser) -> None:
    path = seed("000")
    item = one(parser, doc(path))
    assert item.title is None  # the first line is a long sentence, not a title
    lines = [" ".join(line.split()) for line in path.read_text("utf-8").splitlines()]
    assert item.text.split("\n") == [line for line in lines if line]
    assert len(item.text.split("\n")) == 123  # `grep -c . 000_*`: no blank line in the file
    assert item.text.startswith(
        "Smartphone maker Xiaomi has sued the United States government over its inclusion"
    )


def test_sniff_is_low_but_positive_for_text(parser: PlainTextParser) -> None:
    assert parser.sniff(doc(seed("000"))) == pytest.approx(0.1)
    assert parser.sniff(doc(seed("003"), media_type=None)) == pytest.approx(0.1)  # .txt
    assert 0 < parser.sniff(text_doc("Hello there.", url="file:///notes/README")) < 0.1


def test_sniff_is_zero_for_markup_feeds_json_and_binary(parser: PlainTextParser) -> None:
    rss = DATA / "feeds" / "rss2_wordpress_tenderlovemaking.xml"
    assert parser.sniff(doc(rss, media_type="application/rss+xml")) == 0
    assert parser.sniff(doc(rss, media_type="text/plain")) == 0  # XML sent as text/plain
    (html,) = (DATA / "frontmatter" / "jekyll-import_wordpressdotcom").glob("*.html")
    assert parser.sniff(doc(html, media_type="text/html")) == 0
    assert parser.sniff(text_doc('{"a": 1}', media_type="text/plain")) == 0
    assert parser.sniff(text_doc(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", url="file:///x.txt")) == 0


def test_richer_formats_win_over_plaintext() -> None:
    registry = build_registry(load_external=False)
    assert isinstance(registry.parsers["plaintext"], PlainTextParser)
    assert registry.sniff(doc(seed("003"))).name == "plaintext"
    assert registry.sniff(doc(seed("000"))).name == "plaintext"
    assert registry.sniff(doc(seed("001"))).name == "frontmatter"


def test_a_first_line_that_looks_like_a_title(parser: PlainTextParser) -> None:
    # hand-made
    text = "A Short Title Here\n\nFirst paragraph.\n\nSecond paragraph.\n"
    item = one(parser, text_doc(text, url="https://example.org/a.txt"))
    assert item.title == "A Short Title Here"
    assert item.text == "First paragraph.\n\nSecond paragraph."
    assert item.url == "https://example.org/a.txt"


def test_a_sentence_is_not_a_title(parser: PlainTextParser) -> None:
    # hand-made
    text = "This opens the story.\n\nFirst paragraph.\n\nSecond paragraph.\n"
    item = one(parser, text_doc(text))
    assert item.title is None
    assert item.text.startswith("This opens the story.")


def test_an_impossible_header_date_stays_in_the_text(parser: PlainTextParser) -> None:
    # hand-made
    text = "Some headline words here\n\nPUBLISHED : Monday, 31 February, 2015, 8:00am\n\nBody.\n"
    item = one(parser, text_doc(text))
    assert item.published is None
    assert "PUBLISHED : Monday, 31 February, 2015, 8:00am" in item.text


def test_empty_text_and_binary_are_errors(parser: PlainTextParser) -> None:
    with pytest.raises(ParseError, match="empty text"):
        list(parser.parse(text_doc(" \n\n\ufeff\n")))
    with pytest.raises(ParseError, match="NUL"):
        list(parser.parse(text_doc(b"\x00\x01\x02binary")))
