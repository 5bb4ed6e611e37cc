"""JSON Feed (https://jsonfeed.org/version/1 and /1.1) for the ``rss`` parser.

Not a plugin: a helper of ``seedwatch.plugins.builtin.rss``. feedparser does
not read JSON Feed, so this module turns one into the same ``Entry`` records
the feedparser path produces; ``rss`` makes the Items. Also owns ``Entry``,
the format-neutral shape of one feed entry, and the date helpers both paths
share.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from seedwatch import jsondoc
from seedwatch.errors import ParseError
from seedwatch.urls import join

# The version URL, and the key as it opens a document (what ``sniff`` looks for).
VERSION_URL = re.compile(r"https?://jsonfeed\.org/version/1(?:\.1)?/?")
VERSION_KEY = re.compile(r'"version"\s*:\s*"https?://jsonfeed\.org/version/1')


@dataclass(frozen=True, slots=True)
class Entry:
    """One feed entry, before it becomes an Item.

    ``link`` is absolute when the feed allowed it; ``body`` is the richer of
    content and summary, ``body_is_html`` says whether it is markup.
    """

    guid: str | None
    link: str | None
    title: str | None
    authors: tuple[str, ...]
    published: datetime | None
    updated: datetime | None
    body: str | None
    body_is_html: bool
    tags: tuple[str, ...]
    comments: str | None = None


@dataclass(frozen=True, slots=True)
class JsonFeed:
    """A parsed JSON Feed: its title, site link, next page and entries."""

    title: str | None
    home: str | None
    next_url: str | None
    entries: list[Entry]


def parse_iso_date(value: object) -> datetime | None:
    """An RFC 3339 date as an aware datetime; ``None`` when absent or invalid.

    A date without an offset is taken as UTC (JSON Feed requires RFC 3339,
    which has one; a missing offset is a publisher's slip, UTC the usual reading).
    """
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _text(value: object) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, int | float) and not isinstance(value, bool):
        # JSON Feed says ``id`` is a string; some generators write a number.
        return str(value)
    return None


def _url(value: object, base: str) -> str | None:
    text = _text(value)
    return join(base, text) if text else None


def _author_names(obj: Mapping[str, Any]) -> tuple[str, ...]:
    raw: list[Any] = []
    if isinstance(obj.get("authors"), list):  # JSON Feed 1.1
        raw = obj["authors"]
    elif isinstance(obj.get("author"), dict):  # JSON Feed 1.0
        raw = [obj["author"]]
    names = (_text(a.get("name")) for a in raw if isinstance(a, dict))
    return tuple(n for n in names if n)


def looks_like_json_feed(data: bytes) -> bool:
    """Whether ``data`` opens as a JSON object (after a BOM and whitespace)."""
    return data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{"


def parse_json_feed(data: bytes, url: str) -> JsonFeed:
    """Read a JSON Feed document; ``ParseError`` naming ``url`` when it is not one."""
    try:
        obj = jsondoc.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ParseError(f"{url}: not a JSON Feed: invalid JSON ({exc})") from exc
    if not isinstance(obj, dict):
        raise ParseError(f"{url}: not a JSON Feed: the top level is not an object")
    version = obj.get("version")
    if not isinstance(version, str) or not VERSION_URL.fullmatch(version.strip()):
        raise ParseError(f"{url}: not a JSON Feed: no jsonfeed.org version key (got {version!r})")
    items = obj.get("items")
    if not isinstance(items, list):
        raise ParseError(f"{url}: JSON Feed without an 'items' list")
    base = _url(obj.get("feed_url"), url) or url
    home = _url(obj.get("home_page_url"), base)
    feed_authors = _author_names(obj)
    entries = [_entry(item, base, feed_authors) for item in items if isinstance(item, dict)]
    return JsonFeed(
        title=_text(obj.get("title")),
        home=home,
        next_url=_url(obj.get("next_url"), base),
        entries=entries,
    )


def _entry(item: Mapping[str, Any], base: str, feed_authors: tuple[str, ...]) -> Entry:
    html = _text(item.get("content_html"))
    plain = _text(item.get("content_text"))
    summary = _text(item.get("summary"))
    body, is_html = (html, True) if html else (plain, False) if plain else (summary, False)
    tags = item.get("tags")
    published = parse_iso_date(item.get("date_published"))
    updated = parse_iso_date(item.get("date_modified"))
    return Entry(
        guid=_text(item.get("id")),
        link=_url(item.get("url"), base) or _url(item.get("external_url"), base),
        title=_text(item.get("title")),
        authors=_author_names(item) or feed_authors,
        published=published or updated,
        updated=updated,
        body=body,
        body_is_html=is_html,
        tags=tuple(dict.fromkeys(t.strip() for t in tags if isinstance(t, str) and t.strip()))
        if isinstance(tags, list)
        else (),
    )
