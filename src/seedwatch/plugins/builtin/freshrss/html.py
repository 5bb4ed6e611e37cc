"""The ``freshrss-html`` parser: the article lists a FreshRSS instance renders.

Owns the normal, reader and global views (``/i/?a=normal|reader|global``),
the same views filtered to a feed (``get=f_N``) or a category (``get=c_N``),
and user-query share pages (``api/query.php?...&f=html``). One Item per
``.flux`` block (the innermost one: the share page wraps each article's
``div.flux`` in another), with the original article URL (the ``h1.title``
link, not FreshRSS's own entry URL), title, authors, website/feed name, the
``<time datetime>``, tags and the text of ``div.text``. ``next_pages`` is the
"load more" link. A global view lists feeds only (its articles are loaded by
script): zero items, and an info line says so.

Markup checked: the rendered 1.25.0-dev pages in tests/data/freshrss (normal
view with ``ul.flux_header`` / ``li.titleAuthorSummaryDate``, reader view,
global view) and, from FreshRSS's public templates, the 1.19-1.21 normal view
(``div.flux_content`` without ``<header>``, ``li.item.title`` in the flux
header, a date without ``<time>`` in the content), the ``data-link`` /
``data-entry`` attributes and the share page's ``html.phtml`` of later
1.2x versions, and both "load more" forms (``a#load_more`` with ``next=``,
``button#load_more`` with ``formaction``, ``cid=`` in the newest). Each field
is looked up in the newest place first, then in the older ones.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import datetime
from typing import NoReturn
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import lxml.html
from lxml import etree

from seedwatch.contracts import Parser
from seedwatch.errors import ParseError
from seedwatch.models import Document, Item
from seedwatch.plugins.builtin.freshrss.common import greader_item_id, item_key, join_authors
from seedwatch.text import element_to_text, markup_safe
from seedwatch.urls import join, same_site

log = logging.getLogger(__name__)

NAME = "freshrss-html"


def _has(cls: str) -> str:
    """XPath predicate: the element's class attribute holds the token ``cls``."""
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {cls} ')"


_FLUX = f".//div[{_has('flux')}]"
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
_ENTRY_ID = re.compile(r"^flux_(\d+)$")
_FEED_ID = re.compile(r"[?&]get=(f_\d+)")
_BY_LABEL = re.compile(r"^\s*\S{1,12}:\s*|^\s*By\s+")


def _first(el: lxml.html.HtmlElement, *paths: str) -> lxml.html.HtmlElement | None:
    for path in paths:
        found = el.xpath(path)
        if found:
            node: lxml.html.HtmlElement = found[0]
            return node
    return None


def _text(el: lxml.html.HtmlElement | None) -> str | None:
    if el is None:
        return None
    text = " ".join("".join(el.itertext()).split())
    return text or None


class FreshRSSHtmlParser(Parser):
    """FreshRSS's HTML views and share pages: one Item per ``.flux`` article."""

    name = NAME
    source_options = frozenset[str]()

    def sniff(self, document: Document) -> float:
        if document.media_type and "html" not in document.media_type:
            return 0.0
        data = document.content
        if b"<html" not in data[:8192].lower():
            return 0.0
        ui = b'<script id="jsonVars"' in data and b'"current_view"' in data
        branded = b"FreshRSS" in data[:8192]
        stream = b'id="stream"' in data
        # A FreshRSS login page is claimed too, to say clearly what it is.
        login = b'id="passwordPlain"' in data
        if not (ui or (branded and (stream or login))):
            return 0.0  # a page that merely mentions FreshRSS
        score = 0.4
        if ui:
            score += 0.2
        if stream:
            score += 0.15
        if b"flux_content" in data or b'class="global' in data:
            score += 0.15
        if b"FreshRSS-logo" in data or b"themes/icons/" in data:
            score += 0.05
        return min(score, 0.99)

    def parse(self, document: Document) -> Iterator[Item]:
        root = self._root(document)
        stream = _first(root, "//*[@id='stream']")
        if stream is None:
            self._no_stream(document, root)
        blocks = [b for b in stream.xpath(_FLUX) if not b.xpath(_FLUX)]
        classes = set((stream.get("class") or "").split())
        if not blocks:
            if "global" in classes:
                log.info(
                    "%s: a FreshRSS global view lists feeds, not articles (it loads them "
                    "by script): no items; use the normal or reader view, or the API",
                    document.url,
                )
                return
            if stream.xpath(f".//*[{_has('flux_content')}] | .//article"):
                raise ParseError(
                    f"{document.url}: FreshRSS #stream holds articles but no div.flux blocks: "
                    "a FreshRSS version whose markup we do not know"
                )
            log.info("%s: this FreshRSS view holds no articles", document.url)
            return
        # A share page's stream is "reader api" (index/html.phtml): "api" first.
        view = "user-query" if "api" in classes else None
        view = view or next((v for v in ("normal", "reader") if v in classes), None)
        for block in blocks:
            item = self._item(document, block, view)
            if item.text.strip():  # neither text nor title: nothing to keep
                yield item

    def next_pages(self, document: Document) -> Iterator[str]:
        try:
            root = self._root(document)
        except ParseError:
            return
        more = _first(
            root,
            "//*[@id='load_more']",
            f"//*[{_has('pagination')}]//a[contains(@href, 'next=')]",
        )
        if more is None:
            return
        href = more.get("href") or more.get("formaction")
        url = join(document.url, href) if href else None
        # Only a page of the same instance continues it ("javascript:", "data:"
        # or another host are no continuation of this stream).
        if url and same_site(url, document.url):
            yield _without_ajax(url)

    # -- helpers -------------------------------------------------------------

    def _root(self, document: Document) -> lxml.html.HtmlElement:
        text = _XML_DECL.sub("", document.text())
        if not text.strip():
            raise ParseError(f"{document.url}: empty document, not a FreshRSS page")
        try:
            root: lxml.html.HtmlElement = lxml.html.document_fromstring(markup_safe(text))
        except (etree.ParserError, ValueError) as exc:
            raise ParseError(f"{document.url}: not readable as HTML: {exc}") from exc
        return root

    def _no_stream(self, document: Document, root: lxml.html.HtmlElement) -> NoReturn:
        if root.xpath("//input[@name='passwordPlain'] | //form[contains(@action, 'a=login')]"):
            raise ParseError(
                f"{document.url}: a FreshRSS login page, not a list of articles: make the "
                "view public (anonymous reading), share it as a user query, or use the "
                "`freshrss` source kind with an API password"
            )
        branded = "FreshRSS" in (_text(_first(root, "//title")) or "") or root.xpath(
            "//script[@id='jsonVars']"
        )
        if branded:
            raise ParseError(
                f"{document.url}: a FreshRSS page without the article list (no element "
                "id='stream'): a view or a FreshRSS version whose markup we do not know"
            )
        raise ParseError(f"{document.url}: not a FreshRSS page (no element id='stream')")

    def _item(self, document: Document, block: lxml.html.HtmlElement, view: str | None) -> Item:
        flux_id = block.get("id") or "?"
        content = _first(block, f".//*[{_has('flux_content')}]")
        if content is None:
            raise ParseError(
                f"{document.url}: FreshRSS article {flux_id} has no .flux_content: "
                "a FreshRSS version whose markup we do not know"
            )
        header = _first(block, f".//*[{_has('flux_header')}]")
        heading = _first(content, f".//h1[{_has('title')}]", f".//*[{_has('title')}]")
        # 1.2x: h1.title > a.go_website; older flux headers: li.item.title > a
        # whose text also holds span.author and div.summary.
        title_link = _first(heading, ".//a[@href]") if heading is not None else None
        title = _text(title_link if title_link is not None else heading)
        if title is None and header is not None:
            old = _first(header, f".//li[{_has('title')}]/a", f".//a[{_has('title')}]")
            if old is not None:
                title = (old.text or "").strip() or _text(old)
        href = title_link.get("href") if title_link is not None else None
        href = href or block.get("data-link")
        if not href and header is not None:
            link = _first(
                header,
                f".//a[{_has('title')}][@href]",
                f".//li[{_has('title')}]/a[@href]",
                f".//li[{_has('link')}]/a[@href]",
            )
            href = link.get("href") if link is not None else None
        url = join(document.url, href) if href else None
        text_el = _first(content, f".//div[{_has('text')}]")
        if text_el is None:
            raise ParseError(
                f"{document.url}: FreshRSS article {flux_id} has no div.text (the article "
                "body): a FreshRSS version whose markup we do not know"
            )
        if title is None and url is None:
            raise ParseError(
                f"{document.url}: FreshRSS article {flux_id} has neither a title (h1.title) "
                "nor a link: a FreshRSS version whose markup we do not know"
            )
        match = _ENTRY_ID.match(flux_id)
        entry_id = block.get("data-entry") or (match.group(1) if match else None)
        # an entry id is a microsecond timestamp: 16 digits, 20 at most for 64 bits
        numeric = entry_id if entry_id and entry_id.isdecimal() and len(entry_id) <= 20 else None
        guid = greader_item_id(numeric) if numeric else None
        key = item_key(url, guid, document.url) or f"{NAME}:{flux_id}"
        extra: dict[str, object] = {}
        if entry_id:
            extra["freshrss_entry"] = entry_id
        feed = self._feed(block, content)
        if feed:
            extra["feed"] = feed
        if view:
            extra["view"] = view
        text = element_to_text(text_el)
        if not text.strip() and title:  # as the rss parser does: the title is all there is
            text = title
            extra["text_from"] = "title"
        return Item(
            key=key,
            text=text,
            parser=NAME,
            source=document.source.id if document.source else None,
            url=url,
            guid=guid,
            title=title,
            author=self._authors(content, header),
            site=self._site(content, header),
            published=self._date(content, header),
            html=_inner_html(text_el),
            tags=self._tags(content),
            extra=extra,
        )

    def _authors(
        self, content: lxml.html.HtmlElement, header: lxml.html.HtmlElement | None
    ) -> str | None:
        box = _first(content, f".//div[{_has('author')}]")
        if box is not None:
            # 1.2x: "By:" then one link per author; older: "By: name" as text.
            names = [_text(a) for a in box.xpath(".//a")]
            found = [n for n in names if n]
            if found:
                return join_authors(found)
            plain = _BY_LABEL.sub("", _text(box) or "", count=1)
            return join_authors(plain) if plain else None
        if header is not None:
            raw = header.get("data-article-authors")
            if raw:
                return join_authors(raw)
            return join_authors(_text(_first(header, f".//*[{_has('author')}]")))
        return None

    def _site(
        self, content: lxml.html.HtmlElement, header: lxml.html.HtmlElement | None
    ) -> str | None:
        site = _text(_first(content, f".//*[{_has('website')}]//span", f".//*[{_has('website')}]"))
        if site is None and header is not None:
            site = header.get("data-website-name") or _text(
                _first(header, f".//*[{_has('websiteName')}]", f".//*[{_has('website')}]//span")
            )
        return site

    def _date(
        self, content: lxml.html.HtmlElement, header: lxml.html.HtmlElement | None
    ) -> datetime | None:
        for scope in (content, header):
            if scope is None:
                continue
            for value in scope.xpath(".//time/@datetime"):
                try:
                    when = datetime.fromisoformat(str(value).strip())
                except ValueError:
                    continue
                if when.tzinfo is not None:
                    return when
        return None

    def _tags(self, content: lxml.html.HtmlElement) -> tuple[str, ...]:
        tags: list[str] = []
        for anchor in content.xpath(f".//*[{_has('tags')}]//a"):
            label = _text(anchor) or ""
            if label.startswith("#") and label[1:] and label[1:] not in tags:
                tags.append(label[1:])
        return tuple(tags)

    def _feed(self, block: lxml.html.HtmlElement, content: lxml.html.HtmlElement) -> str | None:
        if block.get("data-feed"):
            return f"f_{block.get('data-feed')}"
        for href in content.xpath(f".//*[{_has('website')}]//a/@href"):
            match = _FEED_ID.search(str(href))
            if match:
                return match.group(1)
        return None


def _inner_html(el: lxml.html.HtmlElement) -> str:
    parts = [el.text or ""]
    parts += [etree.tostring(child, encoding="unicode", method="html") for child in el]
    return "".join(parts).strip()


def _without_ajax(url: str) -> str:
    """``url`` without ``ajax=1``: FreshRSS renders an ajax request without its page
    layout (no head, no jsonVars), and the next page should look like this one."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "ajax"]
    return urlunsplit(parts._replace(query=urlencode(query)))
