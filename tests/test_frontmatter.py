"""Parser ``frontmatter``: real Jekyll/Hugo/WordPress exports, seed 001, drafts,
hostile YAML, and seedwatch's own corpus files.

Expected values were written by reading the files in tests/data/frontmatter/
and tests/data/seeds/ (see tests/data/SOURCES.md), never by printing the
parser's output. Inputs defined inline in this file are hand-made.
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from seedwatch.corpus import render
from seedwatch.errors import ConfigError, ParseError
from seedwatch.models import Document, Item, Quote, Source, ThreadRef
from seedwatch.plugins.builtin.frontmatter import FrontMatterParser
from seedwatch.plugins.manager import build_registry

FM = Path(__file__).parent / "data" / "frontmatter"
SEEDS = Path(__file__).parent / "data" / "seeds"
FETCHED = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def tz(hours: float) -> timezone:
    return timezone(timedelta(hours=hours))


def doc(
    path: Path,
    content: bytes | None = None,
    *,
    source: Source | None = None,
    media_type: str | None = None,
) -> Document:
    return Document(
        url=path.resolve().as_uri(),
        content=path.read_bytes() if content is None else content,
        fetched=FETCHED,
        media_type=media_type,
        source=source,
    )


def hand(name: str, text: str, **kw: object) -> Document:
    """A hand-made post, held in memory under a made-up file:// path."""
    return Document(
        url=f"file:///blog/{name}",
        content=text.encode("utf-8"),
        fetched=FETCHED,
        **kw,  # type: ignore[arg-type]
    )


@pytest.fixture
def parser() -> FrontMatterParser:
    return FrontMatterParser()


def one(parser: FrontMatterParser, document: Document) -> Item:
    items = list(parser.parse(document))
    assert len(items) == 1
    return items[0]


# -- every real fixture: title and date --------------------------------------

REAL = [
    (
        "hugo-from-jekyll-import/2004-12-24-monouml-sin-dependencia-diacanvas.markdown",
        "MonoUML. Sin dependencia diacanvas#",
        datetime(2004, 12, 24, 17, 54, 13, tzinfo=UTC),
    ),
    (
        "hugo/2021-04-24-writing-a-postgres-sql-pretty-printer-in-rust-part-2.md",
        "Writing a Postgres SQL Pretty Printer in Rust: Part 2",
        datetime(2021, 4, 24, 13, 0, 33, tzinfo=tz(-5)),
    ),
    (
        "hugo/hugoisforlovers_toml.md",
        "Getting Started with Hugo",
        datetime(2014, 4, 2, tzinfo=UTC),
    ),
    (
        "jekyll-import_wordpress-db/2010-01-26-google-maps-api-key-binary-dates.markdown",
        "google maps api KEY报错的原因分析与解决",
        datetime(2010, 1, 26, 20, 6, 6, tzinfo=tz(8)),
    ),
    (
        "jekyll-import_wordpressdotcom/2014-03-20-business-activity-monitoring-aplicado-a-"
        "openbravo-erp-usando-wso2-esb-y-wso2-bam.html",
        "Business Activity Monitoring aplicado a Openbravo ERP usando WSO2 ESB y WSO2 BAM",
        datetime(2014, 3, 20, 18, 16, 3, tzinfo=tz(1)),
    ),
    (
        "jekyll-wayback-wordpress/2009-01-19-firefox3-cookies-in-python.md",
        "Reading Firefox 3.x cookies in Python",
        datetime(2009, 1, 19, 12, 58, 28, tzinfo=tz(10)),
    ),
    (
        "wordpress-to-hugo-exporter/2008-02-07-review-of-inside-microsoft-sql-server-20.md",
        "Review of Inside Microsoft SQL Server 2005 Query Tuning and Optimization",
        datetime(2008, 2, 8, 2, 4, 36, tzinfo=UTC),
    ),
    (
        "wordpress-to-hugo-exporter/2012-08-09-2145.md",
        "Théorie sur les files d\u2019attente",
        datetime(2012, 8, 9, 10, 0, 38, tzinfo=UTC),
    ),
    (
        "wordpress-to-jekyll-exporter/2006-09-15-odeo-engineering-against-customer-loyalty.md",
        "Odeo: Engineering Against Customer Loyalty",
        datetime(2006, 9, 15, 7, 41, 11, tzinfo=UTC),
    ),
    (
        "wordpress-to-jekyll-exporter/2009-04-23-luatex-reachs-040.md",
        "LuaTeX reachs 0.40",
        datetime(2009, 4, 23, 7, 12, 21, tzinfo=UTC),
    ),
    (
        "wordpress-to-jekyll-exporter/2013-03-14-deploiement-fin-de-semaine-et-bon-sens.md",
        "Déploiement, fin de semaine et bon sens",
        datetime(2013, 3, 14, 23, 5, 52, tzinfo=UTC),
    ),
    (
        "wordpress-to-jekyll-exporter/2013-06-04-github-quick-file-navigationefbbbfefbbbf.md",
        "Github quick file navigation",
        datetime(2013, 6, 4, 7, 23, 45, tzinfo=UTC),
    ),
]


def test_every_real_fixture_is_listed() -> None:
    on_disk = {
        p.relative_to(FM).as_posix() for p in FM.rglob("*") if p.is_file() and p.parent != FM
    }
    assert on_disk == {name for name, _, _ in REAL}


@pytest.mark.parametrize(("name", "title", "published"), REAL, ids=[r[0] for r in REAL])
def test_real_fixture_title_and_date(
    parser: FrontMatterParser, name: str, title: str, published: datetime
) -> None:
    document = doc(FM / name)
    assert parser.sniff(document) >= 0.9
    item = one(parser, document)
    assert item.title == title
    assert item.published == published
    assert item.published is not None and item.published.utcoffset() == published.utcoffset()
    assert item.parser == "frontmatter"
    assert item.text.strip()
    json.dumps(item.to_json())  # extra and everything else serialise


def test_seed_001_wordpress_export(parser: FrontMatterParser) -> None:
    (seed,) = SEEDS.glob("001_*.txt")
    document = doc(seed, media_type="text/plain")
    item = one(parser, document)
    assert item.title == (
        "Chinese startup Showmac Tech, which makes eSIMs for Xiaomi IoT devices, "
        "raises $15M Series A+"
    )
    assert item.published == datetime(2020, 9, 25, 14, 40, 12, tzinfo=UTC)
    assert item.published.isoformat() == "2020-09-25T14:40:12+00:00"
    assert item.author == "Newb"
    assert item.guid == "https://new.blicio.us/?p=3953"
    assert item.key == "https://new.blicio.us/?p=3953"
    assert item.text.startswith("The eSIM maker for Xiaomi\u2019s IoT line of products raises $15")
    # Markdown link syntax gone, link text kept
    assert "raises $15 million in a Series A+ funding round, which amounts" in item.text
    assert "](https://" not in item.text and "**" not in item.text and "## " not in item.text
    assert "Why is Xiaomi so Invested in IoT & eSIMs?" in item.text
    assert item.extra["image"] == "https://i.imgur.com/8SLwokl.jpg"
    assert item.extra["fifu_image_alt"] == ["Auto Draft"]


def test_author_map_and_mojibake_repaired(parser: FrontMatterParser) -> None:
    item = one(parser, doc(FM / REAL[0][0]))
    assert item.author == "Mario Carrion"  # author.display_name
    # the file holds "espaÃ±ol" and "despuÃ©s": UTF-8 encoded twice
    assert item.tags == ("español", "monouml")
    assert item.text.startswith("Finalmente después de un largo rato de trabajo")
    assert item.extra["mojibake_repaired"] is True
    # no permalink base given: the absolute wordpress_url is the best URL there is
    assert item.url == (
        "http://mario.monouml.org/index.php/2004/12/24/monouml-sin-dependencia-diacanvas/"
    )
    assert item.extra["wordpress_id"] == 70


def test_hugo_shortcodes_dropped_link_text_kept(parser: FrontMatterParser) -> None:
    item = one(parser, doc(FM / REAL[1][0]))
    assert item.author == "Dave Rolsky"
    assert (
        "I was distracted by Go reflection and security issues with Perl IP address modules."
        in item.text
    )
    assert "relref" not in item.text and "{{" not in item.text
    assert item.extra["discuss"][0] == {
        "site": "/r/rust",
        "uri": "https://www.reddit.com/r/rust/comments/mxsko0/"
        "writing_a_postgres_sql_pretty_printer_in_rust/",
    }


def test_permalink_joined_to_base_url(parser: FrontMatterParser) -> None:
    source = Source(id="urth", kind="folder", options={"base_url": "https://blog.urth.org/"})
    item = one(parser, doc(FM / REAL[1][0], source=source))
    assert item.url == (
        "https://blog.urth.org/2021/04/24/writing-a-postgres-sql-pretty-printer-in-rust-part-2"
    )
    assert item.key == item.url  # no guid: the absolute URL is the key
    assert item.source == "urth"


def test_base_url_with_a_path_keeps_it(parser: FrontMatterParser) -> None:
    source = Source(id="k", kind="folder", options={"base_url": "http://blog.keiruaprod.fr/blog"})
    item = one(parser, doc(FM / REAL[11][0], source=source))
    assert item.url == (
        "http://blog.keiruaprod.fr/blog/2013/06/04/github-quick-file-navigation%ef%bb%bf%ef%bb%bf/"
    )
    assert item.key == "http://blog.keiruaprod.fr/?p=562"  # the guid wins for the key
    assert "\ufeff" not in (item.title or "")


def test_toml_front_matter_bare_date_is_utc_midnight_and_said_so(
    parser: FrontMatterParser,
) -> None:
    item = one(parser, doc(FM / "hugo/hugoisforlovers_toml.md"))
    assert item.tags == ("go", "golang", "hugo", "development")
    assert item.extra["series"] == "Hugo 101"
    assert item.extra["front_matter"] == "toml"
    assert "date without a time" in item.extra["dates_assumed"]["published"]
    assert item.text.startswith("Step 1. Install Hugo\n\nGo to Hugo releases and download")


def test_binary_dates_and_cjk(parser: FrontMatterParser) -> None:
    item = one(parser, doc(FM / REAL[3][0]))
    assert item.author == "北漂IT民工"
    assert item.tags == ("Google Maps API", "WEB开发")
    assert item.extra["date_gmt"] == "2010-01-26 12:06:06 +0800"
    assert item.url == "http://www.3gcnbeta.com/wordpress/?p=306"
    assert "sensor" in item.text and "<script" not in item.text


def test_wordpress_shortcodes_dropped_inner_text_kept(parser: FrontMatterParser) -> None:
    item = one(parser, doc(FM / REAL[4][0]))
    assert item.author == "Roger CARHUATOCTO"
    assert item.tags == ("BAM", "KPI", "WSO2", "ERP", "SOA")
    assert "[slideshare" not in item.text and "sourcecode" not in item.text
    assert "$ nano /opt/wso2bam-2.4.0/repository/conf/etc/cassandra-auth.xml" in item.text
    assert "InvalidRequestException(why:You have not logged in)" in item.text
    assert "[...]" in item.text  # literal text, not a shortcode
    assert item.extra["meta"]["publicize_twitter_user"] == "Chilcano"
    assert item.extra["parent_id"] == "0"
    assert item.url is None  # relative permalink, no base_url, no guid


def test_offset_without_colon_and_fenced_code(parser: FrontMatterParser) -> None:
    item = one(parser, doc(FM / REAL[5][0]))
    assert item.author == "mithro"
    assert item.tags == ("python",)
    assert "def sqlite2cookie(filename):" in item.text
    assert "```" not in item.text


def test_uppercase_id_is_the_key_without_guid_or_url(parser: FrontMatterParser) -> None:
    path = FM / REAL[6][0]
    assert one(parser, doc(path)).key == f"{path.name}:21"
    source = Source(id="lessthandot", kind="folder", path=str(FM))
    item = one(parser, doc(path, source=source))
    assert item.key == "lessthandot:21"
    assert item.tags == (
        "book",
        "databases",
        "programming",
        "review",
        "sql",
        "Data Modelling and Design",
        "Microsoft SQL Server Admin",
    )
    assert item.extra["views"] == [6603]


def test_no_final_newline(parser: FrontMatterParser, tmp_path: Path) -> None:
    item = one(parser, doc(FM / REAL[7][0]))
    assert item.text.endswith("car ça faisait des mois que je l'avais commencer.")
    source = Source(id="deimos", kind="folder", path=str(FM))
    assert one(parser, doc(FM / REAL[7][0], source=source)).key == (
        "deimos:wordpress-to-hugo-exporter/2012-08-09-2145.md"
    )
    # the source's folder named through a symbolic link: the same key
    link = tmp_path / "blog-link"
    link.symlink_to(FM)
    linked = replace(source, path=str(link))
    assert one(parser, doc(FM / REAL[7][0], source=linked)).key == (
        "deimos:wordpress-to-hugo-exporter/2012-08-09-2145.md"
    )
    luatex = one(parser, doc(FM / REAL[9][0]))
    assert luatex.text.endswith("LuaTeX is scheduled to reach version 1.0 in 2012.")
    assert luatex.guid == luatex.key == "http://www.texdev.net/?p=276"
    assert luatex.tags == ("LuaTeX", "General")


def test_list_valued_title_and_entities(parser: FrontMatterParser) -> None:
    item = one(parser, doc(FM / REAL[10][0]))
    assert item.extra["keywords"] == [
        "bon sens, intégration continue, déploiement, tests automatisés"
    ]
    assert "la question de savoir s\u2019il faut ou non" in item.text
    assert "&rsquo;" not in item.text


def test_guid_is_a_pretty_url(parser: FrontMatterParser) -> None:
    item = one(parser, doc(FM / REAL[8][0]))
    assert item.guid == "http://www.softwareas.com/odeo-engineering-against-customer-loyalty"
    assert item.extra["dsq_thread_id"] == ["375573092"]
    assert item.tags == ("Odeo", "Podcasts", "Web2.0", "SoftwareDev")


def test_bom_before_front_matter(parser: FrontMatterParser) -> None:
    path = FM / REAL[9][0]
    document = doc(path, b"\xef\xbb\xbf" + path.read_bytes())
    assert parser.sniff(document) >= 0.9
    assert one(parser, document).title == "LuaTeX reachs 0.40"


# -- sniffing ------------------------------------------------------------------


def test_sniff_refuses_feeds_json_and_plain_text(parser: FrontMatterParser) -> None:
    data = Path(__file__).parent / "data"
    rss = data / "feeds" / "rss2_wordpress_tenderlovemaking.xml"
    assert parser.sniff(doc(rss, media_type="application/rss+xml")) == 0
    assert parser.sniff(doc(rss)) == 0
    (seed3,) = SEEDS.glob("003_*.txt")
    assert parser.sniff(doc(seed3, media_type="text/plain")) == 0
    api = hand("posts.json", '{"post_stream": {"posts": []}}\n', media_type="application/json")
    assert parser.sniff(api) == 0
    # a Markdown file opening with a thematic break is not front-matter
    assert parser.sniff(hand("rule.md", "---\nJust a line of text.\n---\n")) == 0


def test_sniff_prefers_markdown_paths(parser: FrontMatterParser) -> None:
    text = "---\ntitle: Same\n---\nBody.\n"
    assert parser.sniff(hand("a.md", text)) > parser.sniff(hand("a.txt", text)) >= 0.9


# -- hand-made posts -------------------------------------------------------------


def test_json_front_matter(parser: FrontMatterParser) -> None:
    # hand-made: Hugo's JSON front-matter form
    text = (
        '{\n  "title": "JSON post",\n  "date": "2024-05-01T10:00:00+02:00",\n'
        '  "tags": ["a"]\n}\nHello *world*.\n'
    )
    item = one(parser, hand("json.md", text))
    assert item.title == "JSON post"
    assert item.published == datetime(2024, 5, 1, 10, tzinfo=tz(2))
    assert item.text == "Hello world."
    assert parser.sniff(hand("json.md", text)) > 0.5


@pytest.mark.parametrize(
    ("front", "reason"),
    [
        ("draft: true", "draft: true"),
        ("published: false", "published: false"),
        ("status: draft", "status: draft"),
        ("status: private", "status: private"),
    ],
)
def test_drafts_are_skipped_and_logged(
    parser: FrontMatterParser, caplog: pytest.LogCaptureFixture, front: str, reason: str
) -> None:
    # hand-made
    document = hand("draft.md", f"---\ntitle: Not yet\n{front}\n---\nWork in progress.\n")
    with caplog.at_level(logging.INFO, logger="seedwatch"):
        assert list(parser.parse(document)) == []
    assert f"skipping draft file:///blog/draft.md ({reason})" in caplog.text


def test_a_post_without_text_yields_nothing(
    parser: FrontMatterParser, caplog: pytest.LogCaptureFixture
) -> None:
    # hand-made: a Hugo section page
    with caplog.at_level(logging.INFO, logger="seedwatch"):
        assert list(parser.parse(hand("posts/_index.md", "---\ntitle: Posts\n---\n\n"))) == []
    assert "no text after the front-matter" in caplog.text


def test_published_date_is_a_date_not_a_draft_flag(parser: FrontMatterParser) -> None:
    # hand-made
    document = hand(
        "p.md", "---\ntitle: Out\npublished: 2021-02-03T04:05:06+01:00\ndraft: false\n---\nText.\n"
    )
    item = one(parser, document)
    assert item.published == datetime(2021, 2, 3, 4, 5, 6, tzinfo=tz(1))
    assert (
        one(parser, hand("q.md", "---\ntitle: Out\npublished: true\n---\nText.\n")).title == "Out"
    )


def test_naive_dates_are_utc_or_the_source_timezone(parser: FrontMatterParser) -> None:
    # hand-made
    text = "---\ntitle: T\ndate: 2014-03-20 18:16:03\nlast_modified_at: 2014-03-21\n---\nx\n"
    item = one(parser, hand("n.md", text))
    assert item.published == datetime(2014, 3, 20, 18, 16, 3, tzinfo=UTC)
    assert item.updated == datetime(2014, 3, 21, tzinfo=UTC)
    assert item.extra["dates_assumed"] == {
        "published": "date: no UTC offset: taken as UTC",
        "updated": "last_modified_at: date without a time: taken as 00:00 UTC",
    }
    madrid = Source(id="m", kind="folder", options={"timezone": "Europe/Madrid"})
    local = one(parser, hand("n.md", text, source=madrid))
    assert local.published is not None and local.published.utcoffset() == timedelta(hours=1)
    with pytest.raises(ConfigError, match='"timezone"'):
        list(parser.parse(hand("n.md", text, source=replace(madrid, options={"timezone": "Mars"}))))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Thu, 14 May 2020 10:00:18 +0200", datetime(2020, 5, 14, 10, 0, 18, tzinfo=tz(2))),
        ("Jan 5, 2020", datetime(2020, 1, 5, tzinfo=UTC)),
        ("2020", None),  # no month or day: not a date, not 2020-<today>
        ("March 2020", None),
        ("someday", None),
    ],
)
def test_date_strings(parser: FrontMatterParser, value: str, expected: datetime | None) -> None:
    # hand-made
    item = one(parser, hand("d.md", f"---\ntitle: T\ndate: '{value}'\n---\nx\n"))
    assert item.published == expected
    if expected is None:
        assert item.extra["date"] == value  # kept, not lost


def test_author_list_and_caption_shortcode(parser: FrontMatterParser) -> None:
    # hand-made: the [caption] shortcode as the WordPress exporters leave it
    text = (
        "---\ntitle: Shots\nauthors:\n  - name: Ann\n  - Bob\ncategories: news, misc\n---\n"
        '[caption id="attachment_9" align="alignnone" width="300"]<img src="a.png" /> '
        "The harbour at dawn[/caption]\n\nSee [the map](http://example.org/map) [here].\n"
    )
    item = one(parser, hand("c.md", text))
    assert item.author == "Ann, Bob"
    assert item.tags == ("news", "misc")
    assert item.text == "The harbour at dawn\n\nSee the map [here]."


def test_hugo_page_bundle_key(parser: FrontMatterParser) -> None:
    item = one(parser, hand("my-post/index.md", "---\ntitle: B\n---\nx\n"))
    assert item.key == "my-post/index.md:my-post/index.md"
    with_slug = one(parser, hand("my-post/index.md", "---\ntitle: B\nslug: bee\n---\nx\n"))
    assert with_slug.key == "my-post/index.md:bee"


# -- errors ----------------------------------------------------------------------


def test_python_object_tag_is_refused_and_runs_nothing(
    parser: FrontMatterParser, tmp_path: Path
) -> None:
    marker = tmp_path / "created"
    # hand-made hostile post
    text = f"---\ntitle: x\nboom: !!python/object/apply:os.system ['touch {marker}']\n---\nbody\n"
    with pytest.raises(
        ParseError, match=r"post.md: front-matter YAML tag .*python/object.* line 3"
    ):
        list(parser.parse(hand("post.md", text)))
    assert not marker.exists()


def test_billion_laughs_front_matter_is_refused(parser: FrontMatterParser) -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    text = "---\n" + "\n".join(lines) + "\n---\nbody\n"  # hand-made hostile post
    with pytest.raises(ParseError, match="billion laughs"):
        list(parser.parse(hand("lol.md", text)))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("---\ntitle: never closed\nbody\n", "never closed"),
        ("---\n- a\n- list\n---\nbody\n", "not a map of keys"),
        ("---\ntitle: a\nb: c: d\n---\nbody\n", "YAML error at line 3, column 5"),
        ("+++\ntitle = \n+++\nbody\n", "TOML front-matter error"),
        ("No front-matter here.\n", "no front-matter"),
        ("\x00\x01\x02\xff\xfe garbage", "no front-matter"),
    ],
)
def test_unreadable_documents_raise_parse_error(
    parser: FrontMatterParser, text: str, message: str
) -> None:
    with pytest.raises(ParseError, match=message):
        list(parser.parse(hand("bad.md", text)))


# -- seedwatch's own corpus files ---------------------------------------------------


def test_corpus_file_written_by_hand_round_trips(parser: FrontMatterParser) -> None:
    # hand-made corpus file, as the corpus sink writes them (DESIGN.md, "The corpus")
    text = (
        "---\n"
        "seedwatch: 1\n"
        "key: discuss.example.org-post-2144-31\n"
        "source: kpop\n"
        "parser: discourse\n"
        "url: https://discuss.example.org/t/x/2144/31\n"
        "guid: discuss.example.org-post-2144-31\n"
        "title: 'Re: KPop Demon Hunters'\n"
        "author: ann\n"
        "site: Critical Fallibilism\n"
        "published: '2025-07-01T10:00:00+00:00'\n"
        "updated: '2025-07-02T11:30:00+02:00'\n"
        "fetched: '2026-11-21T12:00:00+00:00'\n"
        "tags:\n- movies\n- '2025'\n"
        "thread:\n"
        "  id: '2144'\n"
        "  title: KPop Demon Hunters\n"
        "  url: https://discuss.example.org/t/x/2144\n"
        "  post_number: 31\n"
        "  quotes:\n"
        "  - author: bob\n"
        "    key: discuss.example.org-post-2144-30\n"
        "revision_of: discuss.example.org-post-2144-31@1\n"
        "---\n"
        "# Not a heading: corpus bodies are plain text\n"
        "\n"
        "Second  paragraph, kept *verbatim*.\n"
    )
    document = hand("007_0123456789abcdef.txt", text, media_type="text/plain")
    assert parser.sniff(document) == 1.0  # ours for sure: no other parser outbids it
    assert one(parser, document) == Item(
        key="discuss.example.org-post-2144-31",
        text="# Not a heading: corpus bodies are plain text\n\nSecond  paragraph, kept *verbatim*.",
        parser="discourse",
        source="kpop",
        url="https://discuss.example.org/t/x/2144/31",
        guid="discuss.example.org-post-2144-31",
        title="Re: KPop Demon Hunters",
        author="ann",
        site="Critical Fallibilism",
        published=datetime(2025, 7, 1, 10, tzinfo=UTC),
        updated=datetime(2025, 7, 2, 11, 30, tzinfo=tz(2)),
        tags=("movies", "2025"),
        thread=ThreadRef(
            id="2144",
            title="KPop Demon Hunters",
            url="https://discuss.example.org/t/x/2144",
            post_number=31,
            quotes=(Quote(author="bob", key="discuss.example.org-post-2144-30"),),
        ),
        extra={
            "fetched": "2026-11-21T12:00:00+00:00",
            "revision_of": "discuss.example.org-post-2144-31@1",
        },
    )


def test_corpus_file_rendered_by_the_corpus_module_round_trips(parser: FrontMatterParser) -> None:
    original = Item(
        key="text:abc",
        text="First paragraph: with a colon.\n\n---\n\nA rule above, and 'quotes'.",
        parser="plaintext",
        title="yes",  # a YAML 1.1 boolean if left unquoted
        published=datetime(2015, 8, 3, 8, tzinfo=tz(8)),
        tags=("no", "2015-08-03"),
    )
    rendered = render(original, FETCHED)
    item = one(parser, hand("003_3e2d132cdabf0ac4.txt", rendered, media_type="text/plain"))
    assert item == replace(original, extra={"fetched": FETCHED.isoformat()})


def test_corpus_file_from_a_newer_seedwatch_is_refused(parser: FrontMatterParser) -> None:
    with pytest.raises(ParseError, match="seedwatch: 2"):
        list(parser.parse(hand("x.txt", "---\nseedwatch: 2\nkey: k\n---\ntext\n")))
    with pytest.raises(ParseError, match="no 'key'"):
        list(parser.parse(hand("x.txt", "---\nseedwatch: 1\n---\ntext\n")))


def test_registered_as_a_default_plugin() -> None:
    registry = build_registry(load_external=False)
    assert isinstance(registry.parsers["frontmatter"], FrontMatterParser)
    (seed,) = SEEDS.glob("001_*.txt")
    assert registry.sniff(doc(seed, media_type="text/plain")).name == "frontmatter"
