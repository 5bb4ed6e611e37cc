"""What the parser fuzzer found (tests/test_fuzz_parsers.py), each as its smallest
example: every one raised something other than ParseError, ran away in time, or
yielded an item with no text, before its fix."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest

from fuzzing import DATA, check, registry
from seedwatch import jsondoc, safeyaml
from seedwatch.errors import ParseError
from seedwatch.models import Document, Item
from seedwatch.plugins.builtin import feedparse
from seedwatch.plugins.builtin.forums import dates
from seedwatch.plugins.builtin.forums.base import Pagination
from seedwatch.plugins.builtin.forums.common import Page, number, small_int
from seedwatch.plugins.builtin.frontmatter import parser as frontmatter_parser
from seedwatch.testing.documents import make_document
from seedwatch.urls import join


def items(parser: str, document: Document) -> list[Item]:
    """The parser's items, after the fuzzer's invariant held on the document."""
    return check(registry().parsers[parser], document)


def fixture(path: str) -> bytes:
    return (DATA / path).read_bytes()


def doc(content: bytes | str, url: str = "https://example.org/t/1", media: str = "text/html"):
    return make_document(content, url=url, media_type=media)


# -- links urljoin refuses ------------------------------------------------------------


def test_join_gives_none_for_a_link_that_is_no_url() -> None:
    assert join("https://example.org/a/", "b") == "https://example.org/a/b"
    assert join("https://example.org/", "http://[") is None
    assert join("https://example.org/", "http://example.org:99999999/") is None


_HREF = re.compile(rb'href="[^"]*"')


@pytest.mark.parametrize(
    ("parser", "path"),
    [
        ("invision", "forum/handmade/invision4_topic.html"),
        ("freshrss-html", "freshrss/handmade_user_query_share_html.html"),
        ("xenforo", "forum/xenforo2/xenforo_community_dark_theme_option.html"),
        ("rss", "feeds/atom_github_commits_miniflux.xml"),
    ],
)
def test_a_page_whose_links_are_unclosed_ipv6_brackets_still_parses(parser: str, path: str) -> None:
    content = _HREF.sub(b'href="http://["', fixture(path))
    found = items(parser, doc(content, media="application/xml" if path.endswith("xml") else None))
    assert found
    assert all(item.url is None or "[" not in item.url for item in found)


@pytest.mark.parametrize(
    "target",
    [b"javascript:alert(1)", b"data:text/html,&lt;script&gt;", b"//elsewhere.example/i/?next=2"],
)
def test_a_freshrss_continuation_elsewhere_is_no_next_page(target: bytes) -> None:
    url = "https://example.org/freshrss/i/?a=normal"
    html = fixture("freshrss/normal_view_feed_hackernews_all_nb10.html")
    parser = registry().parsers["freshrss-html"]
    assert len(list(parser.next_pages(doc(html, url=url)))) == 1
    mangled = re.sub(rb'(id="load_more"[^>]*formaction=")[^"]*', rb"\g<1>" + target, html)
    assert mangled != html
    assert list(parser.next_pages(doc(mangled, url=url))) == []


def test_a_json_feed_item_url_that_is_no_url_is_left_out() -> None:
    feed = json.loads(fixture("feeds/jsonfeed_v1_1_handmade.json"))
    feed["items"][0]["url"] = "http://["
    found = items("rss", doc(json.dumps(feed), media="application/feed+json"))
    assert len(found) == len(feed["items"])
    assert found[0].url is None


# -- JSON nested deeper than the stack, and integers int() refuses --------------------

DEEP = "[" * 200_000 + "]" * 200_000


def test_jsondoc_refuses_deep_nesting_and_huge_integers_as_value_errors() -> None:
    with pytest.raises(ValueError):
        jsondoc.loads(DEEP)
    with pytest.raises(ValueError):
        jsondoc.loads("9" * 5000)
    assert jsondoc.loads('{"a": [1]}') == {"a": [1]}


@pytest.mark.parametrize(
    ("parser", "content"),
    [
        ("discourse", '{"post_stream": {"posts": ' + DEEP + "}}"),
        ("greader-json", '{"items": ' + DEEP + "}"),
        ("rss", '{"version": "https://jsonfeed.org/version/1.1", "items": ' + DEEP + "}"),
        ("discourse", '{"post_stream": {"posts": []}, "id": ' + "9" * 5000 + "}"),
        ("greader-json", '{"items": [], "updated": ' + "9" * 5000 + "}"),
    ],
)
def test_hostile_json_is_a_parse_error(parser: str, content: str) -> None:
    with pytest.raises(ParseError):
        list(registry().parsers[parser].parse(doc(content, media="application/json")))


# -- numbers and dates a page states --------------------------------------------------


def test_phpbb_pagination_without_numbered_links() -> None:
    html = """<html><head><title>T - Board</title></head><body>
    <div class="pagination"><strong>1</strong></div>
    <div id="p1" class="post bg2"><div class="postbody"><div class="content">Hello there</div>
    </div></div></body></html>"""
    found = items("phpbb", doc(html, url="https://example.org/viewtopic.php?t=1"))
    assert [i.text for i in found] == ["Hello there"]


def test_numbers_of_thousands_of_digits_are_no_numbers() -> None:
    assert number("#1,326") == 1326
    assert number("#" + "9" * 5000) is None
    assert small_int("²") is None  # isdigit() says yes, int() says no
    assert small_int("12") == 12


def test_a_mybb_post_number_of_5000_digits() -> None:
    html = fixture("forum/mybb/showthread-tid1-page2.html")
    mangled = re.sub(rb">#(\d+)<", b">#" + b"9" * 5000 + b"<", html)
    assert mangled != html
    found = items("mybb", doc(mangled, url="https://example.org/showthread.php?tid=1&page=2"))
    assert found and all(i.thread and i.thread.post_number is None for i in found)


@pytest.mark.parametrize(
    "page",
    [
        "Page 1 of " + "9" * 5000,
        "Page " + "9" * 5000 + " of 3",
    ],
)
def test_a_claimed_page_count_of_5000_digits(page: str) -> None:
    html = fixture("forum/vbulletin3/vozforums_vi_page1of3.html")
    assert b"Page 1 of 3" in html
    mangled = html.replace(b"Page 1 of 3", page.encode())
    assert items("vbulletin", doc(mangled, url="https://example.org/showthread.php?t=1"))


@pytest.mark.parametrize(
    "ago", ["99999999999 minutes ago", "3000000 years ago", "9" * 5000 + " days ago"]
)
def test_a_time_ago_before_any_calendar_is_no_date(ago: str) -> None:
    fetched = datetime(2026, 11, 21, tzinfo=UTC)
    assert dates.from_text(ago, fetched=fetched) is None
    assert dates.from_text("3 years ago", fetched=fetched) == datetime(2023, 11, 22, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Sun May 26, 2019 4:34 pm M", datetime(2019, 5, 26, 16, 34, tzinfo=UTC)),
        ("Sun May 26, 2019 4:34 pm EST", datetime(2019, 5, 26, 16, 34, tzinfo=UTC)),
        ("Sun May 26, 2019 4:34 pm UTC", datetime(2019, 5, 26, 16, 34, tzinfo=UTC)),
        ("Sun May 26, 2019 4:34 pm +0200", datetime(2019, 5, 26, 14, 34, tzinfo=UTC)),
    ],
)
def test_a_zone_name_no_one_knows_leaves_the_date_in_the_boards_zone(
    text: str, expected: datetime
) -> None:
    # dateutil warned "tzname M identified but not understood" (an error under pytest)
    assert dates.from_text(text) == expected


@pytest.mark.parametrize(
    ("parser", "path", "stated", "mangled"),
    [
        (
            "phpbb",
            "forum/handmade/phpbb30_subsilver2_topic.html",
            b"All times are UTC - 5 hours",
            b"All times are UTC - 99999999999999999999 hours",
        ),
        (
            "vbulletin",
            "forum/vbulletin4/militarytimes_bob_dorr_dies.html",
            b"All times are GMT",
            b"All times are GMT +" + b"9" * 400,
        ),
        (
            "vbulletin",
            "forum/vbulletin4/militarytimes_bob_dorr_dies.html",
            b"All times are GMT",
            b"All times are GMT +123",
        ),
    ],
)
def test_a_board_zone_past_fourteen_hours_is_no_zone(
    parser: str, path: str, stated: bytes, mangled: bytes
) -> None:
    page = fixture(path)
    assert stated in page
    found = items(parser, doc(page.replace(stated, mangled)))
    assert [i.text for i in found] == [i.text for i in items(parser, doc(page))]
    assert all(i.published is None or i.published.utcoffset() is not None for i in found)


def test_a_long_mangled_post_date_is_no_date_and_costs_no_time() -> None:
    # dateparser on a 1 MB "date" took minutes (a runaway, not a speed figure)
    assert dates.from_text("Today, " + "x1 " * 300_000) is None
    assert dates.from_text("0-21-2026, 0:55 PM") is None  # digits dateutil refused
    assert dates.from_text("2021 13:999999999999999999999999999999") is None  # decimal error
    assert dates.from_text("Hôm nay, 16:21", fetched=dates.from_iso("2024-05-01T10:00:00Z"))


def test_bylines_nested_in_bylines_cost_no_quadratic_time() -> None:
    # The fuzzer's page: a truncated byline repeated ~80 times, each opening the
    # next, over 20,000 links; searching from every byline took 30 s of CPU.
    html = fixture("forum/handmade/phpbb33_prosilver_topic.html")
    at = html.index(b'<p class="author">')
    nested = b'<div><p class="author"><a class="unread" href="#">' * 80
    links = b'<a href="#x">x</a>' * 20_000
    found = items("phpbb", doc(html[:at] + nested + links + html[at:]))
    assert len(found) == len(items("phpbb", doc(html)))


def test_a_page_link_repeated_50000_times_is_joined_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # The fuzzer's page: one "2" page link repeated ~190,000 times, each made
    # absolute again (urljoin): 10-15 s of CPU. The joins are counted, not
    # timed: 150,000 repeats (24 MB) still cost 8-11 s of CPU to parse and
    # check, too near the fuzzer's 10 s bound to tell the fix by time alone.
    html = fixture("forum/handmade/invision4_topic.html")
    link = re.search(rb"<li class='ipsPagination_page'><a href='([^']*)'[^>]*>2</a></li>", html)
    assert link is not None
    many = html[: link.end()] + link.group(0) * 50_000 + html[link.end() :]
    joined: list[str | None] = []
    real_url = Page.url

    def counted_url(page: Page, href: str | None) -> str | None:
        joined.append(href)
        return real_url(page, href)

    monkeypatch.setattr(Page, "url", counted_url)
    # items() runs parse, next_pages and live_pages, each within the fuzzer's bounds
    assert items("invision", doc(many)) == items("invision", doc(html))
    href = link.group(1).decode().replace("&amp;", "&")
    assert 0 < joined.count(href) <= 12, joined.count(href)  # a few per call, not one a repeat


def test_a_login_wall_behind_100000_nested_forms_is_still_a_login_wall() -> None:
    # The fuzzer's page: a pagination form nested ~200,000 deep; looking for a
    # password field under any form ("//form//input") took 100-150 s of CPU.
    html = fixture("forum/handmade/phpbb33_login_required.html")
    at = html.index(b"<body")
    nested = b'<form action="viewforum.php?f=2&amp;start=25" method="get">' * 100_000
    document = doc(html[:at] + nested + html[at:])
    assert items("phpbb", document) == []  # a ParseError, within the bounds
    with pytest.raises(ParseError, match="this is a login page"):
        list(registry().parsers["phpbb"].parse(document))


def test_a_post_of_sixty_thousand_line_breaks_is_read_in_linear_time() -> None:
    # Finding each "<br><br>" pair by XPath (following-sibling::*[1]) listed every
    # following sibling of every <br>: 3 s for 20,000, quadratic beyond.
    html = fixture("forum/handmade/phpbb33_prosilver_topic.html")
    at = html.index(b'<div class="content">') + len(b'<div class="content">')
    found = items("phpbb", doc(html[:at] + b"word<br>" * 60_000 + html[at:]))
    assert found[0].text.count("word") == 60_000


def test_a_code_block_of_twenty_thousand_lines_is_read_in_linear_time() -> None:
    # "\n+Sent from ...$" (a phone app's signature line) backtracked over every
    # run of line breaks: 12 s of CPU for a MyBB code block of 20,000 "<br />".
    html = fixture("forum/mybb/showthread-tid1-page1.html")
    code = html.index(b"<code>")
    at = code + html[code:].index(b"<br />")  # after the block's first line
    found = items("mybb", doc(html[:at] + b"<br />" * 20_000 + html[at:]))
    assert any("\n" * 10_000 in item.text for item in found)
    body = html.index(b'class="post_body')
    at = body + html[body:].index(b">") + 1
    signed = html[:at] + b"words<br /><br />Sent from my phone using Tapatalk" + html[at:]
    assert not items("mybb", doc(signed))[0].text.endswith("Tapatalk")


def test_page_links_differing_in_a_5000_digit_number_give_no_pattern() -> None:
    # The URL of an unlinked page is built from two linked ones whose numbers
    # differ; int() refused the fuzzer's 5,000-digit one (vbulletin live_pages).
    thread = "https://example.org/showthread.php?t=7&page="
    links = {2: thread + "2", 3: thread + "9" * 5000}
    assert Pagination(current=1, last=5, links=links).url_of(4) is None
    sane = {2: thread + "2", 3: thread + "3"}
    assert Pagination(current=1, last=5, links=sane).url_of(4) == thread + "4"


def test_a_thousand_posts_without_readable_dates_cost_no_minute() -> None:
    # Each dateless byline went to dateparser, which tries every language it
    # knows (tens of ms a text): a page of a thousand such posts took minutes.
    html = fixture("forum/handmade/phpbb33_prosilver_topic.html").decode()
    start, end = html.index('<div id="p101"'), html.index('<div id="p102"')
    post = re.sub(r"<time [^>]*>.*?</time>", "at the usual place", html[start:end])
    posts = "".join(post.replace("101", str(n)) for n in range(1000, 2000))
    found = items("phpbb", doc(html[:start] + posts + html[end:]))
    assert len(found) == 1000 + len(items("phpbb", doc(html))) - 1
    assert all(item.published is None for item in found[:1000])


def test_a_large_feed_whose_bytes_break_its_declared_charset_is_read_without_guessing() -> None:
    # The fuzzer's feed: an attribute of 2 MB of one high byte in a feed that
    # declares UTF-8. feedparser asked chardet (pure Python): 12-37 s of CPU.
    feed = (
        b'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>'
        b"<link>https://example.org/</link><description>d</description><item>"
        b'<title x="' + b"\xde" * 2_000_000 + b'">Caf\xe9</title><guid>a</guid>'
        b"<description>Caf\xe9 cr\xe8me</description></item></channel></rss>"
    )
    [item] = items("rss", doc(feed, url="https://example.org/feed", media="application/rss+xml"))
    # as Document.text reads bytes that fit no declared charset: windows-1252
    assert (item.title, item.text) == ("Caf\xe9", "Caf\xe9 cr\xe8me")


def _malformed_feed(copies: int, inside_first: bytes = b"") -> tuple[bytes, list[bytes]]:
    """A real feed made not well-formed (a bare "&" in its title), its items
    repeated ``copies`` times, ``inside_first`` added to its first item."""
    feed = fixture("feeds/rss2_wordpress_tenderlovemaking.xml")
    start, end = feed.index(b"<item>"), feed.rindex(b"</item>") + len(b"</item>")
    entries = re.findall(rb"<item>.*?</item>", feed[start:end], re.S) * copies
    entries[0] = entries[0].replace(b"</item>", inside_first + b"</item>")
    head = feed[:start].replace(b"<title>Tender Lovemaking", b"<title>Tender & Lovemaking", 1)
    return head + b"".join(entries) + feed[end:], entries


@pytest.mark.parametrize(("bound", "value"), [("MAX_BYTES", 200_000), ("MAX_TAGS", 2_000)])
def test_a_large_malformed_feed_is_read_up_to_its_last_whole_entry_within_the_bounds(
    monkeypatch: pytest.MonkeyPatch, bound: str, value: int
) -> None:
    # the findings: a malformed feed of 20 MiB dense in elements cost feedparser
    # 91 s, one of 3.6 MB holding 400,000 nested elements 11 s; the bounds are
    # lowered here so that the test reads less
    monkeypatch.setattr(feedparse, bound, value)
    content, entries = _malformed_feed(copies=10)
    found = items("rss", doc(content, url="https://example.org/feed", media="application/xml"))
    whole = sum(
        1
        for end in (m.end() for m in re.finditer(rb"</item>", content))
        if end <= feedparse.MAX_BYTES and content.count(b"<", 0, end) < feedparse.MAX_TAGS
    )
    assert 0 < len(found) == whole < len(entries)
    small, _ = _malformed_feed(copies=1)
    expected = items("rss", doc(small, url="https://example.org/feed", media="application/xml"))
    assert [i.text for i in found] == [i.text for i in expected * 10][:whole]


def test_a_malformed_feed_nesting_400000_elements_in_its_second_entry_keeps_its_first() -> None:
    content, _ = _malformed_feed(copies=2, inside_first=b"")
    second = content.index(b"<item>", content.index(b"</item>"))
    content = content[: second + 6] + b"<channel>" * 400_000 + content[second + 6 :]
    assert len(content) < feedparse.MAX_BYTES
    found = items("rss", doc(content, url="https://example.org/feed", media="application/xml"))
    small, _ = _malformed_feed(copies=1)
    expected = items("rss", doc(small, url="https://example.org/feed", media="application/xml"))
    assert [i.text for i in found] == [expected[0].text]


def test_a_malformed_feed_whose_first_entry_passes_the_bound_is_a_parse_error() -> None:
    content, _ = _malformed_feed(copies=1, inside_first=b'<media:content url="x"/>' * 200_000)
    assert len(content) > feedparse.MAX_BYTES
    document = doc(content, url="https://example.org/feed", media="application/xml")
    assert items("rss", document) == []  # in bounded time
    with pytest.raises(ParseError):
        list(registry().parsers["rss"].parse(document))


# -- front-matter ---------------------------------------------------------------------


def test_front_matter_with_an_impossible_date_keeps_the_post_without_a_date() -> None:
    post = "---\ntitle: T\ndate: 2024-13-45\n---\nBody text.\n"
    [item] = items("frontmatter", doc(post, url="file:///x.md", media="text/markdown"))
    assert item.published is None
    assert item.text == "Body text."


def test_front_matter_with_an_unreadable_dateutil_date() -> None:
    post = "---\ntitle: T\ndate: 2021-04-24T13:999999999999999999999999999999:33\n---\nBody.\n"
    [item] = items("frontmatter", doc(post, url="file:///x.md", media="text/markdown"))
    assert item.published is None


@pytest.mark.parametrize("huge", [False, True])
def test_a_markdown_body_of_megabytes_is_kept_as_its_text_not_rendered(huge: bool) -> None:
    # the finding: 20 MiB of Markdown cost markdown-it 14 s of CPU
    post = fixture(
        "frontmatter/hugo/2021-04-24-writing-a-postgres-sql-pretty-printer-in-rust-part-2.md"
    ).decode()
    head, body = post.split("\n---\n", 1)
    copies = frontmatter_parser.MAX_RENDERED_CHARS * 11 // 10 // len(body) if huge else 1
    text = head + "\n---\n" + "\n\n".join([body] * copies)
    [item] = items("frontmatter", doc(text, url="file:///x.md", media="text/markdown"))
    if huge:
        assert item.extra["not_rendered"].startswith("body of ")
        assert "distracted by [Go\nreflection]" in item.text  # the Markdown, as written
        assert item.html is None
    else:
        assert "not_rendered" not in item.extra
        assert "distracted by Go reflection" in item.text  # a link, rendered to its text


def test_front_matter_integers_of_5000_digits() -> None:
    post = "---\ntitle: T\nweight: " + "9" * 5000 + "\n---\nBody.\n"
    [item] = items("frontmatter", doc(post, url="file:///x.md", media="text/markdown"))
    assert item.extra["weight"] == "9" * 5000  # kept as the text it is
    for block in ("+++\nweight = " + "9" * 5000 + "\n+++\nBody.\n", '{"w": ' + DEEP + "}\nBody"):
        with pytest.raises(ParseError):
            list(registry().parsers["frontmatter"].parse(doc(block, url="file:///x.md")))


def test_safeyaml_keeps_impossible_scalars_as_text() -> None:
    loaded = safeyaml.load("a: 2024-13-45\nb: 2024-01-02\nc: 0x1F\nd: " + "1" * 5000)
    assert loaded["a"] == "2024-13-45"
    assert loaded["b"].isoformat() == "2024-01-02"
    assert loaded["c"] == 31
    assert loaded["d"] == "1" * 5000


# -- items with no text ---------------------------------------------------------------


def test_a_forum_post_with_an_empty_body_is_no_item() -> None:
    html = fixture("forum/handmade/invision4_topic.html")
    emptied = re.sub(
        rb"(<div[^>]*data-role='commentContent'[^>]*>).*?(</div>)",
        rb"\1\2",
        html,
        count=1,
        flags=re.S,
    )
    assert emptied != html
    before = items("invision", doc(html, url="https://example.org/topic/1-x/"))
    after = items("invision", doc(emptied, url="https://example.org/topic/1-x/"))
    assert len(after) == len(before) - 1


@pytest.mark.parametrize("cooked", [None, "", "<p> </p>"])
def test_a_discourse_json_post_without_its_html_is_no_item(cooked: str | None) -> None:
    stream = json.loads(fixture("forum/discourse/posts_json_topic2144_from_post5.json"))
    posts = stream["post_stream"]["posts"]
    url = "https://example.org/t/x/2144.json"
    before = items("discourse", doc(json.dumps(stream), url=url, media="application/json"))
    emptied = posts[1]
    if cooked is None:
        del emptied["cooked"]
    else:
        emptied["cooked"] = cooked
    after = items("discourse", doc(json.dumps(stream), url=url, media="application/json"))
    assert [i.key for i in after] == [
        i.key for i in before if not i.key.endswith(f"/{emptied['post_number']}")
    ]


def test_a_greader_entry_without_content_has_its_title_as_text() -> None:
    stream = json.loads(fixture("freshrss/greader-api/reading-list-page4.json"))
    entry = stream["items"][0]
    entry.pop("summary", None)
    entry.pop("content", None)
    [item] = items("greader-json", doc(json.dumps(stream), media="application/json"))
    assert item.text == entry["title"]
    assert item.extra["text_from"] == "title"
    entry.pop("title")
    assert items("greader-json", doc(json.dumps(stream), media="application/json")) == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("published", 10**18),  # OverflowError: beyond time_t
        ("published", 10**12),  # ValueError: year 33658
        ("timestampUsec", "9" * 30),  # OSError (EOVERFLOW) on some platforms, Overflow on others
        ("crawlTimeMsec", "1" + "0" * 17),
        ("timestampUsec", "9" * 400),  # OverflowError: too large for a float
        ("crawlTimeMsec", "1795\u00b9\u00b9\u00b9"),  # ValueError: "¹".isdigit(), int() refuses
        ("crawlTimeMsec", "9" * 5000),  # ValueError: int()'s 4,300-digit limit
    ],
)
def test_a_greader_timestamp_beyond_any_calendar_is_no_date(field: str, value: object) -> None:
    stream = json.loads(fixture("freshrss/greader-api/reading-list-page4.json"))
    entry = stream["items"][0]
    entry.pop("timestampUsec", None)
    entry[field] = value
    [item] = items("greader-json", doc(json.dumps(stream), media="application/json"))
    assert item.title == entry["title"]
    if field == "published":
        assert item.published is None
    else:
        assert "crawled" not in item.extra


def test_markdown_with_thousands_of_unclosed_brackets_is_read_in_bounded_time() -> None:
    body = "[a " * 100_000  # "[[[[..." too
    # markdown-it's link parser scanned ahead from each "[": minutes for 400 kB
    post = "---\ntitle: T\n---\n" + body
    [item] = items("frontmatter", doc(post, url="file:///x.md", media="text/markdown"))
    assert item.text.startswith(body[:50])


def test_a_freshrss_article_without_text_has_its_title_as_text() -> None:
    html = fixture("freshrss/handmade_user_query_share_html.html")
    emptied = re.sub(rb'(<div class="text">).*?(</div>)', rb"\1\2", html, count=1, flags=re.S)
    assert emptied != html
    found = items("freshrss-html", doc(emptied, url="https://example.org/i/?a=rss"))
    assert found[0].extra["text_from"] == "title"
    assert found[0].text == found[0].title


def test_a_freshrss_text_article_without_a_body_has_its_title_as_text() -> None:
    page = fixture("seeds/004_f3d0bba74a0a2456.txt").decode()
    head = "Alibaba cloud biz is on a run rate over $4B\n\nBy Ron Miller\n\n"
    bodiless = page.replace(head, "An article with no body\n\nBy R\n\n" + head, 1)
    assert bodiless != page
    url = "https://example.org/004.txt"
    found = items("freshrss-text", doc(bodiless, url=url, media="text/plain"))
    assert (found[0].title, found[0].text) == ("An article with no body",) * 2
    assert found[0].extra["text_from"] == "title"
    before = items("freshrss-text", doc(page, url=url, media="text/plain"))
    assert [(i.key, i.text) for i in found[1:]] == [(i.key, i.text) for i in before]


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


@pytest.mark.parametrize(
    ("parser", "path", "url", "quote_end"),
    [
        ("discourse", "forum/handmade/discourse_topic_2144_crawler_view.html",
         "https://example.org/t/x/2144", b"</aside>"),
        ("xenforo", "forum/xenforo1/sufficientvelocity_renascence_page54.html",
         "https://example.org/threads/x.1/page-54", b"</blockquote>"),
    ],
)  # fmt: skip
@pytest.mark.parametrize("char", ["\x0b", "\x00", "\x1b", "&#1;", "&#x1b;", "&#1e999;"])
def test_control_characters_next_to_a_quote(
    parser: str, path: str, url: str, quote_end: bytes, char: str
) -> None:
    # lxml refuses them in a tail that drop_tree moves (taking a quote out of a
    # post), whether the page has them raw or as references the HTML parser
    # turns into them ("&#1e999;" is U+0001 then "e999;")
    mangled = fixture(path).replace(quote_end, quote_end + char.encode() + b"after")
    found = items(parser, doc(mangled, url=url))
    assert any("after" in item.text for item in found)
    assert not any(_CONTROL.search(item.text) for item in found)
