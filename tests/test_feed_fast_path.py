"""The fast lxml feed reader agrees with feedparser, and hands feedparser what it
does not fully understand.

Both paths of the ``rss`` parser (``RssParser.fast`` on and off) run on every
fixture feed in tests/data, always, and on the 200 real feeds of the benchmark
(``shared/bench/feeds-200``, 44 MB, not copied into the repository): those are
read from beside the repository when that folder exists (in a parent folder of
this checkout, or the folder named by ``SEEDWATCH_BENCH_FEEDS``) and skipped,
saying so, when it does not. Every Item field is compared.

Inline feeds below are hand-made and marked so.
"""

from __future__ import annotations

import codecs
import dataclasses
import os
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest

from seedwatch.errors import ParseError
from seedwatch.models import Document, Item
from seedwatch.plugins.builtin.rss import RssParser
from seedwatch.plugins.builtin.rss.fast import read_feed

DATA = Path(__file__).parent / "data"
FIXTURES = sorted(
    [
        *(p for p in (DATA / "feeds").iterdir() if p.suffix in (".xml", ".rss")),
        *(DATA / "feeds" / "authors").glob("*.xml"),
        *(DATA / "freshrss").glob("rss_output_*.xml"),
    ]
)
# Fixture feeds the fast reader must hand to feedparser, and why.
FIXTURE_FALLBACKS = {
    "atom_wrapped_in_xhtml_avian.xml": "a DOCTYPE and an HTML envelope",
    "rss2_dcdate_epoch_invalid.xml": "not well-formed: the document ends inside <rss>",
    "rss2_lecerclepsy_no-prolog_iso-8859-1.xml": "Latin-1 bytes with no encoding declared",
}


def _bench_folder() -> Path | None:
    named = os.environ.get("SEEDWATCH_BENCH_FEEDS")
    if named:
        return Path(named) if Path(named).is_dir() else None
    for parent in Path(__file__).resolve().parents:
        folder = parent / "shared" / "bench" / "feeds-200"
        if folder.is_dir():
            return folder
    return None


BENCH = _bench_folder()
BENCH_FILES = sorted(p for p in BENCH.iterdir() if p.is_file()) if BENCH else []
ABSENT = pytest.param(
    None,
    marks=pytest.mark.skip(
        reason="shared/bench/feeds-200 not found beside the repository "
        "(set SEEDWATCH_BENCH_FEEDS to its folder)"
    ),
    id="feeds-200-absent",
)

FAST = RssParser()
SLOW = RssParser()
SLOW.fast = False


def doc(data: bytes, url: str = "https://example.org/feed.xml", **headers: str) -> Document:
    return Document(url=url, content=data, fetched=datetime.now(UTC), headers=headers)


def assert_same_items(document: Document) -> None:
    """Both paths give the same Items, or the same ParseError."""
    try:
        slow = list(SLOW.parse(document))
    except ParseError as exc:
        with pytest.raises(ParseError) as fast_error:
            list(FAST.parse(document))
        assert str(fast_error.value) == str(exc)
        return
    fast = list(FAST.parse(document))
    assert len(fast) == len(slow)
    for number, (mine, theirs) in enumerate(zip(fast, slow, strict=True)):
        for field in dataclasses.fields(Item):
            assert getattr(mine, field.name) == getattr(theirs, field.name), (
                f"item {number}, field {field.name}"
            )


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_fixture_feed_gives_the_same_items_both_ways(path: Path) -> None:
    data = path.read_bytes()
    assert_same_items(doc(data, url=path.resolve().as_uri()))
    # The same bytes with a header charset, with a contradicting one, truncated.
    assert_same_items(doc(data, **{"Content-Type": "application/rss+xml; charset=utf-8"}))
    assert_same_items(doc(data, **{"Content-Type": "text/xml"}))
    assert_same_items(doc(data[: len(data) * 2 // 3]))


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_well_formed_fixture_feeds_take_the_fast_path(path: Path) -> None:
    read = read_feed(doc(path.read_bytes(), url=path.resolve().as_uri()))
    if path.name in FIXTURE_FALLBACKS:
        assert read is None, FIXTURE_FALLBACKS[path.name]
    else:
        assert read is not None and read["entries"]


@pytest.mark.parametrize("path", BENCH_FILES or [ABSENT], ids=lambda p: p.name if p else "")
def test_benchmark_feed_gives_the_same_items_both_ways(path: Path) -> None:
    assert_same_items(doc(path.read_bytes(), url=f"https://bench.invalid/{path.name}"))


def test_feeds_read_in_several_threads_at_once_give_the_same_items() -> None:
    # The daemon polls sources in several threads: each parses XML and HTML
    # at the same time as the others.
    documents = [doc(p.read_bytes(), url=p.resolve().as_uri()) for p in FIXTURES] * 4

    def items(document: Document) -> list[Item]:
        try:
            return list(FAST.parse(document))
        except ParseError:
            return []

    alone = [items(d) for d in documents]
    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(pool.map(items, documents))
    assert together == alone
    assert sum(map(len, alone)) > 100


def test_most_benchmark_feeds_take_the_fast_path() -> None:
    if not BENCH_FILES:
        pytest.skip("shared/bench/feeds-200 not found beside the repository")
    fast = [p.name for p in BENCH_FILES if read_feed(doc(p.read_bytes())) is not None]
    # 192 of 200: the rest are not well-formed XML (6), a JSON Feed and one
    # with an <image> inside its items.
    assert len(fast) >= 191


# -- what goes to feedparser -----------------------------------------------------------

# Hand-made RSS 2.0 feed, one item; each test below changes one thing in it.
RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>
<title>Field Notes</title><link>https://notes.example/</link>
<item><title>{title}</title><link>https://notes.example/1</link><guid>urn:n:1</guid>
<pubDate>{date}</pubDate><description>{body}</description></item></channel></rss>"""


def rss(
    title: str = "One", date: str = "Tue, 03 Dec 2024 10:00:00 +0100", body: str = "B"
) -> bytes:
    return RSS.format(title=title, date=date, body=body).encode()


def test_a_plain_feed_takes_the_fast_path_with_its_fields() -> None:
    read = read_feed(doc(rss()))
    assert read is not None and read["version"] == "rss20"
    (entry,) = read["entries"]
    assert (entry["title"], entry["link"], entry["id"]) == (
        "One",
        "https://notes.example/1",
        "urn:n:1",
    )
    assert entry["published_parsed"][:6] == (2024, 12, 3, 9, 0, 0)
    assert read["feed"]["title"] == "Field Notes"


def test_a_bare_doctype_is_taken_out_as_feedparser_does() -> None:
    # Hand-made: the Atom feed of a static site generator that writes an HTML
    # DOCTYPE before the feed element.
    feed = rss().replace(b"<rss", b"<!DOCTYPE html>\n<rss", 1)
    read = read_feed(doc(feed))
    assert read is not None and [e["title"] for e in read["entries"]] == ["One"]
    assert_same_items(doc(feed))
    # feedparser is given the document's URL as its base when "xml:base" is
    # anywhere in the document, the DOCTYPE included: guids then resolve.
    based = rss().replace(b"<rss", b'<!DOCTYPE rss SYSTEM "xml:base">\n<rss', 1)
    based = based.replace(b"urn:n:1", b"23246627")
    assert read_feed(doc(based)) is not None
    assert_same_items(doc(based))


@pytest.mark.parametrize(
    ("why", "data", "headers"),
    [
        ("not well-formed", rss()[:-20], {}),
        ("markup inside a title", rss(title="<b>One</b>"), {}),
        ("a date only feedparser's rarer handlers read", rss(date="2024-W49-2"), {}),
        (
            "a DOCTYPE declaring an entity",
            rss().replace(b"<rss", b'<!DOCTYPE rss [<!ENTITY e "x">]>\n<rss', 1),
            {},
        ),
        (
            "a Netscape RSS 0.91 DOCTYPE (it names the version)",
            rss().replace(
                b"<rss",
                b'<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN"\n'
                b' "http://my.netscape.com/publish/formats/rss-0.91.dtd">\n<rss',
                1,
            ),
            {},
        ),
        (
            "a DOCTYPE not at the start of a line (feedparser leaves it to expat)",
            rss().replace(b"<rss", b"<!-- c --><!DOCTYPE rss>\n<rss", 1),
            {},
        ),
        (
            "a UTF-16 byte-order mark",
            codecs.BOM_UTF16_LE
            + rss().replace(b'"utf-8"', b'"utf-16"').decode().encode("utf-16-le"),
            {},
        ),
        ("text/xml without a charset (RFC 3023: US-ASCII)", rss(), {"Content-Type": "text/xml"}),
        (
            "a header charset contradicting the document",
            rss(),
            {"Content-Type": "application/xml; charset=iso-8859-1"},
        ),
        ("an unknown root element", b"<?xml version='1.0'?><opml><body/></opml>", {}),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_what_the_fast_reader_hands_to_feedparser(
    why: str, data: bytes, headers: dict[str, str]
) -> None:
    assert read_feed(doc(data, **headers)) is None, why
    assert_same_items(doc(data, **headers))


def test_atom_xhtml_content_goes_to_feedparser() -> None:
    # Hand-made Atom feed with type="xhtml" content.
    feed = b"""<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><id>urn:t</id>
<entry><id>urn:e</id><title>E</title><updated>2024-01-01T00:00:00Z</updated>
<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Hi <b>there</b></p></div>
</content></entry></feed>"""
    assert read_feed(doc(feed)) is None
    assert [i.text for i in FAST.parse(doc(feed))] == ["Hi there"]


def test_xml_base_resolves_links_and_permalink_guids_like_feedparser() -> None:
    # Hand-made Atom feed with nested relative xml:base values.
    feed = b"""<feed xmlns="http://www.w3.org/2005/Atom" xml:base="/blog/"><title>T</title>
<id>urn:t</id><entry xml:base="2024/"><id>post-1</id><title>E</title>
<link href="one.html"/><updated>2024-01-01T00:00:00Z</updated></entry></feed>"""
    document = doc(feed, url="https://site.example/feed.atom")
    read = read_feed(document)
    assert read is not None
    assert read["entries"][0]["link"] == "https://site.example/blog/2024/one.html"
    assert_same_items(document)
