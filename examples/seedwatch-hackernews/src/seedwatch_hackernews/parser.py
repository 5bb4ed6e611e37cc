"""The ``hackernews`` parser: documents of the Hacker News API (hacker-news.firebaseio.com/v0).

Two kinds of document:

- an item (``/v0/item/<id>.json``): a story, job, poll, poll option or
  comment; one Item, keyed ``hn:<id>``, whose ``url`` is the item's own page
  on news.ycombinator.com (the link a story points to is ``extra["link"]``).
  Deleted and dead items yield nothing.
- a story list (``/v0/topstories.json``, ``newstories``, ``beststories``,
  ``askstories``, ``showstories``, ``jobstories``): no Items of its own; its
  first ``hn_stories`` ids (source option, default 30, the front page) are the
  pages to fetch next, in a backfill and in a live poll alike.

With the source option ``hn_comments = true``, a backfill also follows every
item's ``kids`` (its comments, then theirs). The parser never fetches
anything itself: it names the URLs, the pipeline fetches them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from seedwatch import ConfigError, Document, Item, ParseError, Parser

from seedwatch_hackernews.htmltext import html_to_text

API_ROOT = "https://hacker-news.firebaseio.com/v0/"
ITEM_PAGE = "https://news.ycombinator.com/item?id={}"
TYPES = frozenset({"story", "comment", "job", "poll", "pollopt"})
LISTS = re.compile(r"(^|/)(top|new|best|ask|show|job)stories\.json$")
ITEM_PATH = re.compile(r"/item/\d+\.json$")
DEFAULT_STORIES = 30
SNIFF_LIMIT = 256 * 1024  # an item is a few KB, a story list 4.5 KB; do not decode big JSON


def _load(document: Document) -> Any:
    try:
        return json.loads(document.content)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ParseError(f"{document.url}: not JSON: {exc}") from None


def _is_item(data: Any) -> bool:
    return (
        isinstance(data, dict)
        and isinstance(data.get("id"), int)
        and isinstance(data.get("time"), int)
        and data.get("type") in TYPES
    )


def _is_story_list(data: Any) -> bool:
    return isinstance(data, list) and all(type(i) is int and i > 0 for i in data)


def _api_root(url: str) -> str:
    """The ``.../v0/`` prefix of the document's URL (a mirror or a test server
    keeps its own host), else the official API."""
    marker = "/v0/"
    path = urlsplit(url).path
    if url.startswith(("http://", "https://")) and marker in path:
        return url[: url.index(marker) + len(marker)]
    return API_ROOT


def _option(document: Document, name: str, default: Any) -> Any:
    return document.source.options.get(name, default) if document.source else default


def _stories(document: Document) -> int:
    value = _option(document, "hn_stories", DEFAULT_STORIES)
    if type(value) is not int or value < 0:
        where = f'source "{document.source.id}"' if document.source else "source"
        raise ConfigError(
            f'{where}: field "hn_stories": expected how many stories of the list to '
            f"fetch, a whole number such as 30, got {value!r}"
        )
    return value


class HackerNewsParser(Parser):
    """Items and story lists of the Hacker News API."""

    name = "hackernews"
    source_options = frozenset({"hn_stories", "hn_comments"})

    def sniff(self, document: Document) -> float:
        head = document.content[:64].lstrip()
        if not head.startswith((b"{", b"[")) or len(document.content) > SNIFF_LIMIT:
            return 0.0
        try:
            data = json.loads(document.content)
        except (ValueError, UnicodeDecodeError):
            return 0.0
        path = urlsplit(document.url).path
        if _is_item(data):
            # id + time + a known type are three signals; the API's path is a fourth
            return 0.95 if ITEM_PATH.search(path) else 0.8
        if _is_story_list(data) and data and LISTS.search(path):
            return 0.9  # a list of ids means nothing alone: the path must say which list
        return 0.0

    def parse(self, document: Document) -> Iterator[Item]:
        data = _load(document)
        if _is_story_list(data):
            return  # a list of ids holds no item of its own: see next_pages
        if data is None:
            raise ParseError(f"{document.url}: the API answered null: no such item")
        if not _is_item(data):
            raise ParseError(
                f"{document.url}: not a Hacker News item (an object with an integer "
                f"'id' and 'time' and a 'type' among {', '.join(sorted(TYPES))}) "
                f"nor a story list"
            )
        if data.get("deleted") or data.get("dead"):
            return
        item = self._item(data)
        if item is not None:
            yield item

    def _item(self, data: dict[str, Any]) -> Item | None:
        title = data.get("title") or None
        link = data.get("url") or None
        text = html_to_text(data.get("text") or "")
        if not text:
            # a link story or job has no text of its own: its title and link stand for it
            text = "\n\n".join(part for part in (title, link) if part)
        if not text:
            return None
        extra: dict[str, Any] = {
            key: data[key]
            for key in ("score", "descendants", "parent", "poll", "parts")
            if key in data
        }
        if link:
            extra["link"] = link
        return Item(
            key=f"hn:{data['id']}",
            guid=str(data["id"]),
            url=ITEM_PAGE.format(data["id"]),
            title=title,
            author=data.get("by"),
            site="Hacker News",
            published=datetime.fromtimestamp(data["time"], tz=UTC),
            text=text,
            tags=(data["type"],),
            extra=extra,
            parser=self.name,
        )

    def _list_pages(self, document: Document, data: list[int]) -> list[str]:
        root = _api_root(document.url)
        return [f"{root}item/{i}.json" for i in data[: _stories(document)]]

    def next_pages(self, document: Document) -> list[str]:
        try:
            data = _load(document)
        except ParseError:
            return []
        if _is_story_list(data):
            return self._list_pages(document, data)
        if _is_item(data) and _option(document, "hn_comments", False) is True:
            root = _api_root(document.url)
            return [f"{root}item/{kid}.json" for kid in data.get("kids") or ()]
        return []

    def live_pages(self, document: Document) -> list[str]:
        try:
            data = _load(document)
        except ParseError:
            return []
        return self._list_pages(document, data) if _is_story_list(data) else []
