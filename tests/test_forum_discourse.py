"""The ``discourse`` parser: the real JSON API answer (tests/data/forum/discourse/) and
a hand-made crawler-view page holding the same posts (tests/data/forum/handmade/).

Expected values were read from the files themselves.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from seedwatch.errors import ParseError
from seedwatch.models import Document, Item, Quote
from seedwatch.plugins.manager import build_registry
from seedwatch.plugins.registry import Registry

DATA = Path(__file__).parent / "data" / "forum"
POSTS_JSON = "discourse/posts_json_topic2144_from_post5.json"
POSTS_URL = "https://discuss.criticalfallibilism.com/t/2144/posts.json?post_number=5"
CRAWLER = "handmade/discourse_topic_2144_crawler_view.html"
HOST = "discuss.criticalfallibilism.com"
TOPIC = f"https://{HOST}/t/kpop-demon-hunters/2144"
FETCHED = datetime(2026, 1, 12, tzinfo=UTC)


def document(
    name: str, url: str | None = None, media_type: str | None = None, content: bytes | None = None
) -> Document:
    path = DATA / name
    return Document(
        url=url or path.as_uri(),
        content=path.read_bytes() if content is None else content,
        fetched=FETCHED,
        media_type=media_type,
    )


@pytest.fixture(scope="module")
def registry() -> Registry:
    return build_registry(load_external=False)


def parse(registry: Registry, doc: Document) -> list[Item]:
    return list(registry.parsers["discourse"].parse(doc))


def test_sniff_json_by_its_structure_and_the_crawler_view_by_its_markup(
    registry: Registry,
) -> None:
    parser = registry.parsers["discourse"]
    json_doc = document(POSTS_JSON, POSTS_URL, "application/json")
    assert parser.sniff(json_doc) > 0.5
    assert registry.sniff(json_doc).name == "discourse"
    assert parser.sniff(document(POSTS_JSON)) > 0.5  # from disk, no media type
    assert parser.sniff(document(CRAWLER, media_type="text/html")) > 0.5
    assert registry.sniff(document(CRAWLER, media_type="text/html")).name == "discourse"
    for other in [
        "xenforo2/xenforo_community_dark_theme_option.html",
        "phpbb3/ilovephilosophy_biological_will.html",
        "vbulletin5/fandompost_isekai_quartet_page1.html",
        "mybb/showthread-tid1-page1.html",
        "mybb/syndication-default-rss2.xml",
    ]:
        assert parser.sniff(document(other)) == 0, other
    feed = Path(__file__).parent / "data" / "feeds" / "rss2_discourse_topic_2144.rss"
    rss = Document(url=feed.as_uri(), content=feed.read_bytes(), fetched=FETCHED)
    assert parser.sniff(rss) == 0  # Discourse's own RSS is the rss parser's


def test_posts_json_in_descending_order_gives_posts_in_thread_order(registry: Registry) -> None:
    items = parse(registry, document(POSTS_JSON, POSTS_URL, "application/json"))
    assert [i.author for i in items] == ["Elliot", "Eternity", "anonymous45", "Apricus"]
    assert [i.thread.post_number for i in items if i.thread] == [1, 2, 3, 4]
    assert [i.key for i in items] == [f"discourse:{HOST}:2144/{n}" for n in (1, 2, 3, 4)]
    assert [i.url for i in items] == [f"{TOPIC}/{n}" for n in (1, 2, 3, 4)]
    # "created_at": "2026-01-08T19:23:48.342Z"; updated_at is the same: not an edit
    assert items[0].published == datetime(2026, 1, 8, 19, 23, 48, 342000, tzinfo=UTC)
    assert items[0].updated is None
    assert items[0].text == (
        "This is a companion discussion topic for the original entry at "
        "https://curi.us/2607-kpop-demon-hunters"
    )
    assert items[0].extra["discourse_post_id"] == 20089
    for item in items:
        assert item.author and item.published and item.text.strip()
        assert item.thread is not None and item.thread.id == "2144"
        assert item.thread.url == TOPIC


def test_posts_json_read_from_disk_finds_the_host_in_avatar_paths(registry: Registry) -> None:
    items = parse(registry, document(POSTS_JSON))
    assert items[0].key == f"discourse:{HOST}:2144/1"


def test_aside_quotes_reference_the_quoted_post(registry: Registry) -> None:
    items = parse(registry, document(POSTS_JSON, POSTS_URL, "application/json"))
    eternity = items[1]
    assert eternity.thread is not None
    assert eternity.thread.quotes == (Quote(author="Elliot", key=f"discourse:{HOST}:2144/1"),) * 4
    assert "People being different is pretty much the only thing" not in eternity.text
    assert "Elliot:" not in eternity.text
    assert "Hmm. That makes sense." in eternity.text
    assert eternity.text.startswith("~yeah idk how people process this message.")


def test_markdown_blockquotes_are_quotes_too(registry: Registry) -> None:
    apricus = parse(registry, document(POSTS_JSON, POSTS_URL, "application/json"))[3]
    assert apricus.thread is not None
    assert apricus.thread.quotes == (Quote(),) * 3  # "(below quote from the blog post)"
    assert "So of course people aren’t great at actually being nice" not in apricus.text
    assert "Popularity and status in general are interesting topics to me" in apricus.text


def test_crawler_view_gives_the_same_posts_under_the_same_keys(registry: Registry) -> None:
    from_json = parse(registry, document(POSTS_JSON, POSTS_URL, "application/json"))
    from_html = parse(registry, document(CRAWLER, media_type="text/html"))
    assert [i.key for i in from_html] == [i.key for i in from_json]
    assert [i.author for i in from_html] == [i.author for i in from_json]
    assert [i.text for i in from_html] == [i.text for i in from_json]
    assert [i.thread.quotes for i in from_html if i.thread] == [
        i.thread.quotes for i in from_json if i.thread
    ]
    assert from_html[0].published == datetime(2026, 1, 8, 19, 23, 48, tzinfo=UTC)
    assert from_html[0].thread is not None
    assert from_html[0].thread.title == "KPop Demon Hunters"
    assert from_html[0].site == "Critical Fallibilism"


def test_crawler_view_pagination(registry: Registry) -> None:
    parser = registry.parsers["discourse"]
    doc = document(CRAWLER, TOPIC, "text/html")
    assert list(parser.next_pages(doc)) == [f"{TOPIC}?page=2"]
    assert list(parser.live_pages(doc)) == []  # the crawler view names no last page


def test_descending_posts_json_stops_at_the_first_post(registry: Registry) -> None:
    parser = registry.parsers["discourse"]
    assert list(parser.next_pages(document(POSTS_JSON, POSTS_URL, "application/json"))) == []


def _topic_json(stream: list[int]) -> bytes:
    """/t/2144.json as Discourse shapes it: the fixture's posts plus the full stream."""
    posts = json.loads((DATA / POSTS_JSON).read_bytes())["post_stream"]["posts"]
    topic = {
        "post_stream": {"posts": posts, "stream": stream},
        "id": 2144,
        "title": "KPop Demon Hunters",
        "slug": "kpop-demon-hunters",
    }
    return json.dumps(topic).encode()


def test_small_actions_are_not_posts(registry: Registry) -> None:
    data = json.loads((DATA / POSTS_JSON).read_bytes())
    closing = dict(data["post_stream"]["posts"][0], post_number=5, post_type=3, cooked="")
    closing["action_code"] = "closed.enabled"  # "closed this topic"
    data["post_stream"]["posts"].insert(0, closing)
    doc = document(POSTS_JSON, POSTS_URL, "application/json", content=json.dumps(data).encode())
    assert [i.thread.post_number for i in parse(registry, doc) if i.thread] == [1, 2, 3, 4]


def test_topic_json_names_the_posts_it_did_not_load(registry: Registry) -> None:
    parser = registry.parsers["discourse"]
    loaded = [20089, 20102, 20104, 20110]
    rest = list(range(20200, 20226))  # 26 more posts
    doc = document(
        POSTS_JSON,
        f"https://{HOST}/t/2144.json",
        "application/json",
        content=_topic_json(loaded + rest),
    )
    items = parse(registry, doc)
    assert items[0].title == "KPop Demon Hunters"
    following = list(parser.next_pages(doc))
    assert len(following) == 2  # 20 + 6 posts
    assert following[0].startswith(f"https://{HOST}/t/2144/posts.json?post_ids%5B%5D=20200&")
    assert following[1].endswith("post_ids%5B%5D=20225")
    assert list(parser.live_pages(doc)) == following[::-1]  # newest first


def test_empty_post_stream_is_a_page_with_no_posts(registry: Registry) -> None:
    doc = document(
        POSTS_JSON, POSTS_URL, "application/json", content=b'{"post_stream":{"posts":[]}}'
    )
    assert parse(registry, doc) == []
    assert list(registry.parsers["discourse"].next_pages(doc)) == []


def test_bad_json_is_a_parse_error(registry: Registry) -> None:
    for content in (b'{"post_stream": ', b'{"post_stream": {"stream": []}}', b"[1, 2]"):
        with pytest.raises(ParseError):
            parse(registry, document(POSTS_JSON, POSTS_URL, "application/json", content=content))


def test_another_engines_page_is_a_clear_error(registry: Registry) -> None:
    with pytest.raises(ParseError, match="no Discourse posts found"):
        parse(registry, document("mybb/showthread-tid1-page1.html", media_type="text/html"))
