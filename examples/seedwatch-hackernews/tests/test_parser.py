"""The hackernews parser on real API responses (tests/data/SOURCES.md says where they
come from). Expected values are read off the cassette, not printed from the parser."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from seedwatch import ConfigError, Document, ParseError, Source
from seedwatch.plugins.registry import Registry
from seedwatch.testing import check_parser, make_document

from seedwatch_hackernews.htmltext import html_to_text
from seedwatch_hackernews.parser import HackerNewsParser

API = "https://hacker-news.firebaseio.com/v0/"
TOP = API + "topstories.json"


def item(recorded: dict[str, Document], item_id: int) -> Document:
    return recorded[f"{API}item/{item_id}.json"]


def with_options(document: Document, **options: object) -> Document:
    source = Source(id="hn", url=TOP, parser="hackernews", options=options)
    return make_document(document.content, url=document.url, source=source)


@pytest.fixture
def parser() -> HackerNewsParser:
    return HackerNewsParser()


def test_the_parser_keeps_the_contract_on_every_recorded_response(
    parser: HackerNewsParser, recorded: dict[str, Document]
) -> None:
    items = [doc for url, doc in recorded.items() if "/item/" in url]
    report = check_parser(parser, items)
    assert len(report.items) == 20 and all(len(found) == 1 for found in report.items.values())
    check_parser(parser, [recorded[TOP]], min_items=0)  # a story list holds no item itself


def test_the_plugin_is_what_the_registry_sniffs_for_api_documents(
    seedwatch_registry: Registry, recorded: dict[str, Document]
) -> None:
    assert seedwatch_registry.sniff(item(recorded, 41247023)).name == "hackernews"
    assert seedwatch_registry.sniff(recorded[TOP]).name == "hackernews"


def test_a_link_story_is_its_title_and_link_and_its_url_is_its_hn_page(
    parser: HackerNewsParser, recorded: dict[str, Document]
) -> None:
    [story] = parser.parse(item(recorded, 41247023))
    assert story.key == "hn:41247023" and story.guid == "41247023"
    assert story.url == "https://news.ycombinator.com/item?id=41247023"
    assert story.title == "Show HN: If YouTube had actual channels"
    assert story.author == "hadisafa" and story.site == "Hacker News"
    assert story.published == datetime(2024, 8, 14, 15, 10, 6, tzinfo=UTC)  # time 1723648206
    assert story.text == "Show HN: If YouTube had actual channels\n\nhttps://ytch.xyz"
    assert story.tags == ("story",)
    assert story.extra == {"score": 350, "descendants": 118, "link": "https://ytch.xyz"}


def test_a_text_post_becomes_paragraphs_with_entities_decoded(
    parser: HackerNewsParser, recorded: dict[str, Document]
) -> None:
    [post] = parser.parse(item(recorded, 41244423))
    paragraphs = post.text.split("\n\n")
    assert len(paragraphs) == 6  # five <p> after the opening paragraph
    assert paragraphs[0].startswith("Hey, I'm Martyn and I recently joined Zuplo. OpenAPI is")
    assert paragraphs[0].endswith("and what you should use and when.")
    assert paragraphs[5] == "Feedback is absolutely welcome!"
    assert post.extra["link"] == "https://github.com/zuplo/rate-my-openapi"


def test_links_and_typographic_quotes_survive(
    parser: HackerNewsParser, recorded: dict[str, Document]
) -> None:
    [launch] = parser.parse(item(recorded, 41247211))
    assert launch.title == "Launch HN: Promi (YC S24) \u2013 AI-powered ecommerce discounts"
    assert launch.text.startswith(
        "We\u2019re Peter and Jiaxin, and we\u2019re building Promi (https://www.usepromi.com)."
    )
    assert "Here\u2019s a quick video overview: https://www.youtube.com/watch?v=SHTw9VH8bCw" in (
        launch.text
    )
    assert "link" not in launch.extra  # a Launch HN has no URL of its own
    assert launch.published == datetime(2024, 8, 14, 15, 28, 43, tzinfo=UTC)


def test_a_job_is_tagged_as_one(parser: HackerNewsParser, recorded: dict[str, Document]) -> None:
    [job] = parser.parse(item(recorded, 41245073))
    assert job.tags == ("job",) and job.author == "jboula"
    assert job.title == "Circle Medical (YC S15) Is Hiring Ruby/Rails Engineers in Montreal"
    assert "descendants" not in job.extra and job.extra["score"] == 1


def test_a_story_list_names_the_front_page_items_as_next_and_live_pages(
    parser: HackerNewsParser, recorded: dict[str, Document]
) -> None:
    top = recorded[TOP]
    assert list(parser.parse(top)) == []
    pages = parser.next_pages(top)
    assert len(pages) == 30  # the default: the front page
    assert pages[:2] == [API + "item/41247023.json", API + "item/41247083.json"]
    assert pages[-1] == API + "item/41235789.json"  # the 30th id of the list
    assert parser.live_pages(top) == pages
    assert len(parser.next_pages(with_options(top, hn_stories=20))) == 20


def test_links_stay_on_the_host_the_list_came_from(
    parser: HackerNewsParser, recorded: dict[str, Document]
) -> None:
    mirror = make_document(recorded[TOP].content, url="http://127.0.0.1:8080/v0/topstories.json")
    assert parser.next_pages(mirror)[0] == "http://127.0.0.1:8080/v0/item/41247023.json"


def test_comments_are_followed_in_a_backfill_only_when_asked(
    parser: HackerNewsParser, recorded: dict[str, Document]
) -> None:
    story = item(recorded, 41247238)  # "kids":[41247976]
    assert parser.next_pages(story) == []
    assert parser.next_pages(with_options(story, hn_comments=True)) == [API + "item/41247976.json"]
    assert parser.live_pages(with_options(story, hn_comments=True)) == []


def test_a_bad_hn_stories_option_is_a_config_error_naming_the_source(
    parser: HackerNewsParser, recorded: dict[str, Document]
) -> None:
    with pytest.raises(ConfigError, match=r'source "hn": field "hn_stories".*got \'all\''):
        parser.next_pages(with_options(recorded[TOP], hn_stories="all"))


def test_what_is_not_an_api_document_is_a_parse_error(parser: HackerNewsParser) -> None:
    with pytest.raises(ParseError, match="not JSON"):
        list(parser.parse(make_document(b"<html>")))
    with pytest.raises(ParseError, match="null: no such item"):
        list(parser.parse(make_document(b"null", url=API + "item/1.json")))
    with pytest.raises(ParseError, match="not a Hacker News item"):
        list(parser.parse(make_document(b'{"id": 1, "title": "no type nor time"}')))


def test_deleted_items_yield_nothing(parser: HackerNewsParser) -> None:
    # HAND-MADE, in the shape the API documents for a deleted comment
    # (github.com/HackerNews/API: "deleted: true if the item is deleted").
    deleted = b'{"deleted":true,"id":2,"parent":1,"time":1175714200,"type":"comment"}'
    assert list(parser.parse(make_document(deleted))) == []


def test_shortened_link_texts_become_the_full_url() -> None:
    # HAND-MADE markup in HN's form: long link texts are cut to the URL's start + "..."
    html = 'See <a href="https://example.org/a/long/path/to/a/page">https://example.org/a/lo...</a>'
    assert html_to_text(html) == "See https://example.org/a/long/path/to/a/page"
    assert html_to_text("<pre><code>  x = 1\n  y = 2\n</code></pre>after") == (
        "  x = 1\n  y = 2\n\nafter"
    )
