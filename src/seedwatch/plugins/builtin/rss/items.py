"""An ``Entry`` made an ``Item``: its key (a guid scoped to its feed's host,
the link, or a hash of title and text; FreshRSS output keyed by the article
link) and FreshRSS's own RSS output recognised."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

from seedwatch.models import Item
from seedwatch.plugins.builtin.jsonfeed import Entry
from seedwatch.plugins.builtin.rss.entries import body_text

# FreshRSS (checked against 1.x templates app/views/index/rss.phtml up to
# 1.25.0-dev) puts its own entry id, a microsecond timestamp, in
# <guid isPermaLink="false"> and the original article in <link>. That id is
# internal to one instance (another instance, or the original feed, gives the
# same article another one), so the article link is the stable key. Its
# output is recognised by the self link to its RSS action (``?a=rss``, or
# ``api/query.php?...&f=rss`` for a user query) or the " | FreshRSS" title
# suffix, together with guids that are all such numeric ids.
_FRESHRSS_SELF = re.compile(r"[?&]a=rss(?:&|$)|query\.php\?.*\bf=rss\b")


def is_freshrss_output(result: Mapping[str, Any]) -> bool:
    """Whether a feedparser result is FreshRSS's own RSS output."""
    feed = result["feed"]
    title = dict.get(feed, "title")
    marked = isinstance(title, str) and title.rstrip().endswith("| FreshRSS")
    if not marked:
        for link in dict.get(feed, "links") or ():
            href = link.get("href") or ""
            if link.get("rel") == "self" and _FRESHRSS_SELF.search(href):
                marked = True
                break
    if not marked or not result["entries"]:
        return False
    return all(str(dict.get(e, "id") or "").isdigit() for e in result["entries"])


_FRESHRSS_ONE_FEED = re.compile(r"[?&]get=f_\d+(?:&|$)")


def freshrss_site(result: Mapping[str, Any], title: str | None) -> str | None:
    """The site of FreshRSS output items: the feed's name when the output is one
    feed's (``get=f_N``), without the " | <instance title>" FreshRSS appends;
    ``None`` for a category, a query or all feeds, whose items come from many sites."""
    links = dict.get(result["feed"], "links") or ()
    one_feed = any(
        link.get("rel") == "self" and _FRESHRSS_ONE_FEED.search(link.get("href") or "")
        for link in links
    )
    if not one_feed or not title:
        return None
    return title.rsplit(" | ", 1)[0].strip() or None


# -- items ------------------------------------------------------------------------


def content_key(title: str | None, text: str) -> str:
    """The key of an entry with neither guid nor link: stable across fetches."""
    digest = hashlib.sha256(f"{title or ''}\n{text}".encode()).hexdigest()
    return f"sha256:{digest}"


_GLOBAL_ID = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|tag:|urn:)", re.IGNORECASE)


def scoped_guid(guid: str, scope: str | None) -> str:
    """A guid as a corpus-wide key: URLs, tag: and urn: ids are global already;
    a bare guid ("123", "item-7") is unique only within its feed, so it is
    prefixed with the feed's host."""
    if _GLOBAL_ID.match(guid) or not scope:
        return guid
    return f"{scope}:{guid}"


def make_item(
    entry: Entry,
    *,
    parser: str,
    source: str | None,
    site: str | None,
    link_is_key: bool = False,
    scope: str | None = None,
) -> Item | None:
    """The Item of one entry; ``None`` for an entry with nothing in it at all."""
    text = body_text(entry.body, entry.body_is_html) if entry.body else ""
    extra: dict[str, Any] = {}
    if not text and entry.title:
        text = entry.title
        extra["text_from"] = "title"
    if entry.comments:
        extra["comments"] = entry.comments
    guid_key = scoped_guid(entry.guid, scope) if entry.guid else None
    first, second = (entry.link, guid_key) if link_is_key else (guid_key, entry.link)
    if not text.strip():  # neither text nor title: nothing to keep
        return None
    key = first or second or content_key(entry.title, text)
    return Item(
        key=key,
        text=text,
        parser=parser,
        source=source,
        url=entry.link,
        guid=entry.guid,
        title=entry.title,
        author=", ".join(entry.authors) or None,
        site=site,
        published=entry.published or entry.updated,
        updated=entry.updated,
        html=entry.body if entry.body_is_html else None,
        tags=entry.tags,
        extra=extra,
    )
