"""Feed discovery for ``seedwatch sources add``: from a web page to the feeds it offers.

Given a URL, ``discover`` fetches it and says what it is:

- a **feed** (a parser of feeds reads it): that is the source;
- a **forum thread or board** (a forum engine finds posts or a thread list
  on it): a ``kind = "forum"`` source, with the engine's own feed offered
  as well;
- another **page**: its feeds are found, in this order, as feed readers find
  them: ``<link rel="alternate">`` (and ``rel="feed"``) of RSS, Atom, RDF and
  JSON Feed types in the page; when none of them is a feed, a few common
  paths of the site (``/feed/``, ``/rss.xml``, ``/index.xml``...), stopping
  at the first that answers with a feed.

Every candidate is fetched and parsed before it is offered (a link's type
proves nothing: WordPress names its JSON API ``application/json`` too), at
most ``MAX_CHECKED`` of them, through the same fetcher, politeness gate and
robots.txt as the daemon. ``Found.best`` ranks what was verified: the
page's own links before guessed paths, comment feeds last, then the feed
closest to the site's root (the whole site rather than one category),
then the page's order.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import lxml.html

from seedwatch.contracts import Fetcher, Parser
from seedwatch.errors import FetchError, NoParserError, ParseError
from seedwatch.models import Document, Source
from seedwatch.plugins.registry import Registry

log = logging.getLogger("seedwatch.discovery")

FEED_TYPES = {
    "application/rss+xml": "rss",
    "application/atom+xml": "atom",
    "application/rdf+xml": "rdf",
    "application/feed+json": "json",
    "application/json": "json",  # JSON Feed 1.0 used it; verified like every candidate
    "text/xml": "xml",
    "application/xml": "xml",
}
COMMON_PATHS = (
    "/feed/",
    "/feed",
    "/rss.xml",
    "/atom.xml",
    "/feed.xml",
    "/index.xml",
    "/rss",
    "/feed.atom",
    "/index.rss",
)
FEED_PARSERS = frozenset({"rss"})
MAX_CHECKED = 10  # candidates fetched at most: a page may name dozens of feeds


@dataclass(frozen=True, slots=True)
class Feed:
    """A verified feed: its URL, title, how it was found (``link``, ``path``,
    ``forum`` or ``given``), the type the page declared and its item count."""

    url: str
    title: str | None
    how: str
    declared: str | None
    items: int
    order: int = 0

    def rank(self) -> tuple[int, int, int, int]:
        text = f"{self.url} {self.title or ''}".lower()
        comments = "comment" in text
        depth = len([p for p in urlsplit(self.url).path.split("/") if p])
        return (
            {"given": 0, "link": 1, "forum": 1, "path": 2}[self.how],
            comments,
            depth,
            self.order,
        )


@dataclass
class Found:
    """What a URL turned out to be and the feeds found for it."""

    url: str
    what: str  # "feed", "thread", "board" or "page"
    engine: str | None = None
    feeds: list[Feed] = field(default_factory=list)
    candidates: int = 0  # candidates named or guessed
    checked: int = 0  # candidates fetched
    rejected: list[str] = field(default_factory=list)  # candidate: why it is no feed
    links: int = 0  # feed links the page names
    tried_paths: bool = False  # the common feed paths were tried

    @property
    def best(self) -> Feed | None:
        return min(self.feeds, key=Feed.rank) if self.feeds else None

    def ranked(self) -> list[Feed]:
        return sorted(self.feeds, key=Feed.rank)


def page_links(document: Document) -> list[tuple[str, str | None, str | None]]:
    """``(url, title, declared type)`` of the feeds a page's ``<link>`` elements name,
    in page order, each URL once."""
    try:
        root = lxml.html.document_fromstring(document.text())
    except (lxml.etree.ParserError, ValueError):
        return []
    out: list[tuple[str, str | None, str | None]] = []
    seen: set[str] = set()
    base = document.url
    for base_el in root.iter("base"):
        if base_el.get("href"):
            base = urljoin(document.url, base_el.get("href"))
            break
    for link in root.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").split(";")[0].strip().lower()
        href = (link.get("href") or "").strip()
        if not href or not ({"alternate", "feed"} & set(rel)):
            continue
        if kind not in FEED_TYPES and not ("feed" in rel and not kind):
            continue
        url = urljoin(base, href)
        if urlsplit(url).scheme not in ("http", "https") or url in seen:
            continue
        seen.add(url)
        out.append((url, (link.get("title") or "").strip() or None, kind or None))
    return out


class Discovery:
    """Discovers feeds with a fetcher and the registry's parsers."""

    def __init__(self, fetcher: Fetcher, registry: Registry) -> None:
        self.fetcher = fetcher
        self.registry = registry
        self.source = Source(id="discovery", url=None)

    def fetch(self, url: str) -> tuple[Document, str]:
        """The document at ``url``, and the URL to keep for it: where an unbroken
        run of permanent redirects (301, 308) from ``url`` leads, else ``url``.
        A temporary redirect's target is not kept: it may be signed and expire
        (a CDN's or a bucket's ``?signature=``), or be one mirror of several."""
        source = Source(id="discovery", url=url)
        fetch_result = getattr(self.fetcher, "fetch_result", None)
        if fetch_result is None:  # a fetcher that does not say how it got there
            document, kept = self.fetcher.fetch(url, source=source), url
        else:
            result = fetch_result(url, source=source)
            document, kept = result.document, result.permanent_redirect or url
        if document is None:  # only after a conditional request, never sent here
            raise FetchError(f"{url}: not modified", url=url, category="protocol")
        return document, kept

    def discover(self, url: str) -> Found:
        """What ``url`` is and its verified feeds; ``FetchError`` if it cannot be fetched."""
        document, kept = self.fetch(url)
        feed = self._as_feed(document)
        if feed is not None:
            return Found(kept, "feed", feeds=[_given(feed, document, kept)], checked=1)
        forum = self._forum(document, kept)
        if forum is not None:
            return forum
        found = Found(document.url, "page")
        found.links = len(page_links(document))
        self._verify(found, [(u, t, k, "link") for u, t, k in page_links(document)],
                     stop_at_first=False)  # fmt: skip
        if not found.feeds:
            root = f"{urlsplit(document.url).scheme}://{urlsplit(document.url).netloc}"
            found.tried_paths = True
            paths = [(root + path, None, None, "path") for path in COMMON_PATHS]
            self._verify(found, paths, stop_at_first=True)
        return found

    # -- steps ----------------------------------------------------------------

    def _as_feed(self, document: Document) -> tuple[Parser, int, str | None] | None:
        """The feed parser that reads ``document``, its item count and title; None
        when no feed parser claims it or it cannot be read."""
        try:
            parser = self.registry.sniff(document)
        except NoParserError:
            return None
        if parser.name not in FEED_PARSERS:
            return None
        try:
            items = list(parser.parse(document))
        except ParseError:
            return None
        title = next((item.site for item in items if item.site), None)
        return parser, len(items), title

    def _forum(self, document: Document, kept: str) -> Found | None:
        from seedwatch.plugins.builtin.forums.base import ForumParser

        best: tuple[float, ForumParser] | None = None
        for parser in self.registry.parsers.values():
            if isinstance(parser, ForumParser):
                score = parser.sniff_board(document)
                if score > 0 and (best is None or score > best[0]):
                    best = (score, parser)
        if best is None:
            return None
        engine = best[1]
        try:
            if engine.has_posts(document):
                what = "thread"
            elif engine.thread_list(document):
                what = "board"
            else:
                return None
            native = engine.native_feed(document)
        except ParseError:
            return None
        found = Found(kept, what, engine=engine.name)
        if native:
            self._verify(found, [(native, None, None, "forum")], stop_at_first=True)
        return found

    def _verify(
        self,
        found: Found,
        candidates: Sequence[tuple[str, str | None, str | None, str]],
        *,
        stop_at_first: bool,
    ) -> None:
        found.candidates += len(candidates)
        for order, (url, title, declared, how) in enumerate(candidates):
            if found.checked >= MAX_CHECKED:
                log.info("discovery: %d more candidates not checked", len(candidates) - order)
                break
            found.checked += 1
            try:
                document, kept = self.fetch(url)
            except FetchError as exc:
                found.rejected.append(f"{url}: {exc.category}")
                continue
            feed = self._as_feed(document)
            if feed is None:
                found.rejected.append(f"{url}: not a feed")
                continue
            _, count, feed_title = feed
            found.feeds.append(Feed(kept, title or feed_title, how, declared, count, order))
            if stop_at_first:
                return


def _given(feed: tuple[Parser, int, str | None], document: Document, url: str) -> Feed:
    _, count, title = feed
    return Feed(url, title, "given", document.media_type, count)
