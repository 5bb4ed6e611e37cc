"""The ``rss`` parser: the fast reader (``fast``), feedparser or ``jsonfeed``
run on a document, its entries made Items, a document that is no feed
explained, further pages."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import feedparser

from seedwatch.contracts import Parser
from seedwatch.errors import ParseError
from seedwatch.hookspecs import hookimpl
from seedwatch.models import Document, Item
from seedwatch.plugins.builtin.feedparse import run_feedparser
from seedwatch.plugins.builtin.jsonfeed import looks_like_json_feed, parse_json_feed
from seedwatch.plugins.builtin.rss.entries import one_line, read_entries, resolve
from seedwatch.plugins.builtin.rss.fast import read_feed
from seedwatch.plugins.builtin.rss.items import freshrss_site, is_freshrss_output, make_item
from seedwatch.plugins.builtin.rss.paging import feed_next_pages
from seedwatch.plugins.builtin.rss.sniff import root_name, sniff_feed
from seedwatch.urls import host_of

# The name it logged under as one module, kept for users' logging config.
log = logging.getLogger("seedwatch.plugins.builtin.rss")


def _not_a_feed(document: Document, result: Mapping[str, Any]) -> ParseError:
    root = root_name(document.head().lstrip("\ufeff"))
    sample = document.content[:1024]
    if root is not None and root.lower() == "html":
        reason = "an HTML page, not an RSS/Atom/RDF feed"
    elif b"\x00" in sample or sum(b < 9 or 13 < b < 32 for b in sample) > len(sample) // 20:
        reason = "binary data, not a feed"
    elif root is None:
        reason = "not XML: no root element"
    elif result.get("bozo_exception") is not None:
        reason = f"malformed XML with no feed entries ({result['bozo_exception']})"
    else:
        reason = f"<{root}> is not an RSS, Atom or RDF root element"
    return ParseError(f"{document.url}: {reason}")


class RssParser(Parser):
    """RSS 0.9x/1.0/2.0, Atom 0.3/1.0, RDF and JSON Feed 1.0/1.1."""

    name = "rss"
    source_options = frozenset({"feed_page_size"})
    # Well-formed feeds are read by the fast lxml reader; feedparser reads the
    # rest (and everything when this is off: what the fast reader must agree with).
    fast = True

    def sniff(self, document: Document) -> float:
        return sniff_feed(document)

    def parse(self, document: Document) -> Iterator[Item]:
        data = document.content
        if not data.strip():
            raise ParseError(f"{document.url}: empty document, not a feed")
        source = document.source.id if document.source else None
        if looks_like_json_feed(data):
            feed = parse_json_feed(data, document.url)
            scope = host_of(feed.home or document.url)
            for entry in feed.entries:
                item = make_item(
                    entry, parser=self.name, source=source, site=feed.title, scope=scope
                )
                if item is None:
                    log.info("%s: skipped an item with no id, url, title or text", document.url)
                else:
                    yield item
            return
        result = (read_feed(document) if self.fast else None) or run_feedparser(document)
        feed = result["feed"]
        entries = result["entries"]
        if not result.get("version") and not entries:
            raise _not_a_feed(document, result)
        if result.get("bozo"):
            self._log_bozo(document, result)
        title = dict.get(feed, "title")
        site = None
        if isinstance(title, str):
            site = one_line(title, (dict.get(feed, "title_detail") or {}).get("type")) or None
        feed_link = resolve(dict.get(feed, "link"), document.url)
        # RSS links are relative to the site (the channel link) when they are
        # relative at all; Atom's to xml:base, which feedparser already
        # applied, then to the document.
        is_rss = not str(result.get("version") or "").startswith("atom")
        base = (feed_link if is_rss and feed_link else None) or document.url
        freshrss = is_freshrss_output(result)
        if freshrss:
            site = freshrss_site(result, site)
        for entry in read_entries(result, base):
            item = make_item(
                entry,
                parser=self.name,
                source=source,
                site=site,
                link_is_key=freshrss,
                scope=host_of(feed_link or document.url),
            )
            if item is None:
                log.info("%s: skipped an entry with no guid, link, title or text", document.url)
            else:
                yield item

    @staticmethod
    def _log_bozo(document: Document, result: Mapping[str, Any]) -> None:
        exc = result.get("bozo_exception")
        if isinstance(exc, feedparser.CharacterEncodingOverride | feedparser.NonXMLContentType):
            # The document decoded and parsed as XML; only the declared type or
            # charset was wrong. Worth knowing, not worth a warning.
            log.info("%s: %s", document.url, exc)
        else:
            log.warning(
                "%s: malformed feed (%s); parsed %d entries anyway",
                document.url,
                exc,
                len(result["entries"]),
            )

    def next_pages(self, document: Document) -> Iterable[str]:
        if looks_like_json_feed(document.content):
            try:
                feed = parse_json_feed(document.content, document.url)
            except ParseError:
                return []
            return [feed.next_url] if feed.next_url and feed.next_url != document.url else []
        return feed_next_pages(document)


@hookimpl
def register_parsers(register: Callable[[Parser], None]) -> None:
    register(RssParser())
