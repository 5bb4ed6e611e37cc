"""Feed authors: the RSS ``email (Name)`` and ``Name <email>`` forms give the name,
never the address, on both paths of the ``rss`` parser.

Real feeds (tests/data/feeds/authors, copies of three of the benchmark feeds,
see tests/data/SOURCES.md; and the WordPress feed in tests/data/feeds); the
expected names were read in the files. Inline feeds are hand-made and marked so.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from seedwatch.models import Document, Item
from seedwatch.plugins.builtin.rss import RssParser
from seedwatch.plugins.builtin.rss.authors import author_name

FEEDS = Path(__file__).parent / "data" / "feeds"


def both_paths() -> list[RssParser]:
    slow = RssParser()
    slow.fast = False
    return [RssParser(), slow]


def parse(parser: RssParser, data: bytes) -> list[Item]:
    document = Document(
        url="https://notes.example/index.xml", content=data, fetched=datetime.now(UTC)
    )
    return list(parser.parse(document))


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("team@fieldnotes.example (Field Notes Team)", "Field Notes Team"),  # Hugo's template
        ("nospam@example.com (Hanno Böck)", "Hanno Böck"),
        ("Field Notes Team <team@fieldnotes.example>", "Field Notes Team"),
        ('"Field Notes Team" <team@fieldnotes.example>', "Field Notes Team"),
        ("Field Notes Team (team@fieldnotes.example)", "Field Notes Team"),
        ("  team@fieldnotes.example   (Field Notes Team)  ", "Field Notes Team"),
        ("team@fieldnotes.example", None),
        ("<team@fieldnotes.example>", None),
        ("mailto:team@fieldnotes.example", None),
        ("team@fieldnotes.example ()", None),
        ("Field Notes Team", "Field Notes Team"),
        ("Eliot (Eliot Jones)", "Eliot (Eliot Jones)"),  # no address: left as written
        ("hidden (killjoy)", "hidden (killjoy)"),
        ("", None),
    ],
)
def test_author_forms(raw: str, name: str | None) -> None:
    assert author_name(raw) == name


@pytest.mark.parametrize("parser", both_paths(), ids=["fast", "feedparser"])
@pytest.mark.parametrize(
    ("path", "authors"),
    [
        # <author>nate@barbettini.com (Nate Barbettini)</author> on all 14 items
        ("authors/rss2_hugo_recaffeinate.xml", ["Nate Barbettini"] * 14),
        # <author><name>Dzidas Martinaitis</name><email>blog@dzidas.com</email></author>
        ("authors/atom_jekyll-feed_dzidas.xml", ["Dzidas Martinaitis"] * 10),
        # <author><name></name></author>: jekyll-feed with no site author
        ("authors/atom_jekyll-feed_higher-order-logic.xml", [None] * 3),
        # <dc:creator>Aaron Patterson</dc:creator>
        ("rss2_wordpress_tenderlovemaking.xml", ["Aaron Patterson"] * 10),
    ],
)
def test_real_hugo_jekyll_and_wordpress_authors(
    parser: RssParser, path: str, authors: list[str | None]
) -> None:
    assert [item.author for item in parse(parser, (FEEDS / path).read_bytes())] == authors


# Hand-made RSS 2.0 as Hugo's default rss.xml template renders it (author
# "{{ .Site.Author.email }} ({{ .Site.Author.name }})"), plus the other forms.
HUGO_TEMPLATE = b"""<?xml version="1.0" encoding="utf-8" standalone="yes"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"
 xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>
<title>Field Notes</title><link>https://notes.example/</link>
<managingEditor>team@fieldnotes.example (Field Notes Team)</managingEditor>
<item><title>One</title><link>https://notes.example/1/</link><guid>https://notes.example/1/</guid>
<author>team@fieldnotes.example (Field Notes Team)</author><description>First.</description></item>
<item><title>Two</title><link>https://notes.example/2/</link><guid>https://notes.example/2/</guid>
<author>Ada Lovelace &lt;ada@analytical.engine&gt;</author><description>Second.</description></item>
<item><title>Three</title><link>https://notes.example/3/</link><guid>https://notes.example/3/</guid>
<author>ada@analytical.engine</author><description>Third.</description></item>
<item><title>Four</title><link>https://notes.example/4/</link><guid>https://notes.example/4/</guid>
<dc:creator>Grace Hopper (grace@navy.example)</dc:creator><description>Fourth.</description></item>
</channel></rss>"""


@pytest.mark.parametrize("parser", both_paths(), ids=["fast", "feedparser"])
def test_email_name_forms_give_the_name_and_drop_the_address(parser: RssParser) -> None:
    items = parse(parser, HUGO_TEMPLATE)
    assert [item.author for item in items] == [
        "Field Notes Team",
        "Ada Lovelace",
        None,
        "Grace Hopper",
    ]
    assert not any("@" in (item.to_json().get("author") or "") for item in items)
