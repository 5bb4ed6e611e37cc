"""Recognising a feed by its head and media type: RSS, Atom, RDF, JSON Feed,
and a feed wrapped in an HTML envelope. Reads no more than ``Document.head``."""

from __future__ import annotations

import re

from seedwatch.models import Document
from seedwatch.plugins.builtin.jsonfeed import VERSION_KEY

FEED_MEDIA_TYPES = frozenset(
    {"application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/feed+json"}
)

_SPACE = re.compile(r"\s*")
_TAG = re.compile(r"<(?:[\w.-]+:)?([\w.-]+)")


def root_name(head: str) -> str | None:
    """The local name of the first element of ``head``, after the XML
    declaration, processing instructions, comments and a doctype; ``None``
    when ``head`` does not open with markup. A scan, not one regular
    expression: alternatives repeated under ``*`` backtrack exponentially on
    a run of them that leads nowhere."""
    pos = 0
    while True:
        space = _SPACE.match(head, pos)
        pos = space.end() if space else pos
        if head.startswith("<?", pos):
            close = head.find("?>", pos + 2)
            pos = -1 if close < 0 else close + 2
        elif head.startswith("<!--", pos):
            close = head.find("-->", pos + 4)
            pos = -1 if close < 0 else close + 3
        elif head[pos : pos + 9].lower() == "<!doctype":
            close = head.find(">", pos)
            subset = head.find("[", pos, close if close >= 0 else len(head))
            if subset >= 0:  # an internal subset may hold ">"
                end = head.find("]", subset)
                close = -1 if end < 0 else head.find(">", end)
            pos = -1 if close < 0 else close + 1
        else:
            match = _TAG.match(head, pos)
            return match.group(1) if match else None
        if pos < 0:
            return None


_ATOM_NS = ("http://www.w3.org/2005/Atom", "http://purl.org/atom/ns#")
_RSS1_NS = ("http://purl.org/rss/1.0/", "http://my.netscape.com/rdf/simple/0.9/")
# A feed inside an HTML envelope (a real Atom feed served wrapped in XHTML):
# the element *and* its version attribute or namespace, never the tag alone.
_EMBEDDED_FEED = re.compile(
    r"<rss\b[^>]*\bversion=|<feed\b[^>]*xmlns=[\"']http://www\.w3\.org/2005/Atom", re.I
)


def _media_type(document: Document) -> str:
    return (document.media_type or "").split(";", 1)[0].strip().lower()


def sniff_feed(document: Document) -> float:
    """Confidence that ``document`` is a feed, from its head and media type only."""
    head = document.head().lstrip("\ufeff")
    media = _media_type(document)
    bonus = 0.05 if media in FEED_MEDIA_TYPES else 0.0
    stripped = head.lstrip()
    if stripped.startswith("{"):
        if VERSION_KEY.search(head):
            return 0.95 + bonus
        # The version key may come after a long "items" list; the media type
        # then has to say it.
        return 0.8 if media == "application/feed+json" else 0.0
    root = (root_name(head) or "").lower()
    if root == "rss":
        return 0.95 + bonus
    if root == "feed":
        return 0.95 + bonus if any(ns in head for ns in _ATOM_NS) else 0.5
    if root == "rdf":
        return 0.95 + bonus if any(ns in head for ns in _RSS1_NS) else 0.0
    if root == "html":
        return 0.6 if _EMBEDDED_FEED.search(head) else 0.0
    # Neither a feed nor HTML, but the server calls it a feed: claim it weakly,
    # so that `parse` can say clearly what is wrong with it.
    return 0.1 if media in FEED_MEDIA_TYPES and root == "" else 0.0
