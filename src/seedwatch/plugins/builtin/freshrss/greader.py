"""The ``greader-json`` parser: stream contents from a Google Reader API.

Reads the JSON of ``/reader/api/0/stream/contents/...`` as FreshRSS's
``greader.php`` writes it (checked against recorded FreshRSS 1.24.3 replies;
the fields are the Google Reader ones, so other servers of that API read the
same): one Item per entry of ``items``, with the original article URL
(``canonical``, else ``alternate``), the title and authors with FreshRSS's
full-width ``＜ ＞ ＆`` turned back into ASCII, the feed name (``origin``),
``published`` (FreshRSS gives it to the minute) and the text of
``summary``/``content``. The Google Reader item id is the guid.

No ``next_pages``: following ``continuation`` needs the API's auth header,
so the ``freshrss`` source kind walks the pages itself.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from seedwatch import jsondoc
from seedwatch.contracts import Parser
from seedwatch.errors import ParseError
from seedwatch.models import Document, Item
from seedwatch.plugins.builtin.freshrss.common import (
    GREADER_ITEM_PREFIX,
    item_key,
    join_authors,
    unescape_fullwidth,
)
from seedwatch.text import html_to_text
from seedwatch.units import from_epoch

NAME = "greader-json"

_STATES = "user/-/state/com.google/"
_LABELS = "user/-/label/"


def load_stream(document: Document) -> dict[str, Any]:
    """The decoded stream-contents object of ``document``; ``ParseError`` when
    it is not one (not JSON, or JSON without an ``items`` list)."""
    try:
        data = jsondoc.loads(document.text())
    except ValueError as exc:
        raise ParseError(
            f"{document.url}: not JSON ({exc}); expected a Google Reader stream"
        ) from exc
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise ParseError(
            f"{document.url}: JSON without an 'items' list: not a Google Reader stream"
        )
    return data


def entry_usec(entry: Mapping[str, Any]) -> int | None:
    """When the server received an entry, in microseconds (``timestampUsec``, else
    ``crawlTimeMsec``): the order of the stream and what ``ot=`` filters on."""
    for field, scale in (("timestampUsec", 1), ("crawlTimeMsec", 1000)):
        value = entry.get(field)
        text = str(value) if isinstance(value, (str, int)) else ""
        # ASCII digits only ("¹".isdigit() is true, and int() refuses it), and
        # no more than int() converts.
        if text.isascii() and text.isdigit() and len(text) <= 4000:
            return int(text) * scale
    return None


def _epoch(value: object) -> datetime | None:
    return from_epoch(value) if isinstance(value, int) else None


def entry_published(entry: Mapping[str, Any]) -> datetime | None:
    """The entry's ``published`` date (epoch seconds; FreshRSS 1.24 rounds it to
    the minute), timezone-aware."""
    return _epoch(entry.get("published"))


def _href(entry: Mapping[str, Any]) -> str | None:
    for field in ("canonical", "alternate"):
        links = entry.get(field)
        if isinstance(links, list):
            for link in links:
                if isinstance(link, dict) and isinstance(link.get("href"), str) and link["href"]:
                    href: str = link["href"]
                    return href
    return None


def _str(value: object) -> str | None:
    return (value.strip() or None) if isinstance(value, str) else None


class GReaderJsonParser(Parser):
    """Google Reader API stream contents (FreshRSS, and servers speaking the same API)."""

    name = NAME
    source_options = frozenset[str]()

    def sniff(self, document: Document) -> float:
        head = document.head(4096).lstrip("\ufeff \t\r\n")
        # A stream object has "items"; the subscription, tag and unread-count
        # replies of the same API do not.
        if not head.startswith("{") or '"items"' not in head:
            return 0.0
        score = 0.1
        if GREADER_ITEM_PREFIX in head:
            score += 0.55
        if '"user/-/state/com.google/' in head or '"crawlTimeMsec"' in head:
            score += 0.25
        if document.media_type == "application/json":
            score += 0.04
        return min(score, 0.99)

    def parse(self, document: Document) -> Iterator[Item]:
        data = load_stream(document)
        source = document.source.id if document.source else None
        for n, entry in enumerate(data["items"]):
            if not isinstance(entry, dict):
                raise ParseError(f"{document.url}: entry {n} of 'items' is not an object")
            item = self._item(document, entry, source, n)
            if item.text.strip():  # an entry with neither text nor title holds nothing
                yield item

    def _item(self, document: Document, entry: dict[str, Any], source: str | None, n: int) -> Item:
        gid = _str(entry.get("id"))
        url = _href(entry)
        key = item_key(url, gid, document.url)
        if key is None:
            raise ParseError(f"{document.url}: entry {n} has neither an id nor a link")
        body = entry.get("content") or entry.get("summary") or {}
        html = _str(body.get("content")) if isinstance(body, dict) else None
        title = _str(entry.get("title"))
        author = _str(entry.get("author"))
        origin: dict[str, Any] = entry["origin"] if isinstance(entry.get("origin"), dict) else {}
        site = _str(origin.get("title"))
        categories = [c for c in entry.get("categories") or [] if isinstance(c, str)]
        extra: dict[str, Any] = {
            "labels": [c[len(_LABELS) :] for c in categories if c.startswith(_LABELS)],
            "read": f"{_STATES}read" in categories,
            "starred": f"{_STATES}starred" in categories,
        }
        if _str(origin.get("streamId")):
            extra["stream"] = origin["streamId"]
        usec = entry_usec(entry)
        crawled = from_epoch(usec, per_second=1_000_000)
        if crawled is not None:
            extra["crawled"] = crawled.isoformat()
        text = html_to_text(html) if html else ""
        if not text.strip() and title:  # as the rss parser does: the title is all there is
            text = title
            extra["text_from"] = "title"
        return Item(
            key=key,
            text=text,
            parser=NAME,
            source=source,
            url=url,
            guid=gid,
            title=unescape_fullwidth(title) if title else None,
            author=join_authors(unescape_fullwidth(author)) if author else None,
            site=unescape_fullwidth(site, extended=True) if site else None,
            published=entry_published(entry),
            updated=_epoch(entry.get("updated")),
            html=html,
            extra=extra,
        )
