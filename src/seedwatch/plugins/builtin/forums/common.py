"""HTML helpers the forum engines share: loading and decoding a page, the site
host in post keys, XPath helpers, quotes, code blocks and paragraph breaks.

Keys are ``<engine>:<site host>:<post id>``. The site host is the document
URL's host; for a page read from disk (``file://``) it is the host of the
page's own canonical URL, ``og:url``, ``<base href>`` or feed link, and
``local`` when the page names none.
"""

from __future__ import annotations

import codecs
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, cast
from urllib.parse import urlsplit

import lxml.html
from lxml import etree
from lxml.html import HtmlElement

from seedwatch.errors import ParseError
from seedwatch.models import Document, Quote
from seedwatch.text import markup_safe
from seedwatch.urls import join

_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([\w.:-]+)", re.I)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
# WHATWG encoding labels: browsers decode these as windows-1252 (vBulletin 3
# pages declare ISO-8859-1 and contain cp1252 curly quotes).
_AS_CP1252 = frozenset({"iso-8859-1", "iso8859-1", "latin1", "latin-1", "us-ascii", "ascii"})
_DEFAULT_PORTS = {"http": "80", "https": "443"}
_WS = re.compile(r"\s+")
_SPACES = re.compile(r"[ \t\r\n\f]+")  # HTML whitespace, not the no-break space
_VISIBLE_TEXT = etree.XPath(".//text()[not(ancestor::script) and not(ancestor::style)]")


def has_class(name: str) -> str:
    """An XPath predicate body: the element's class list contains ``name``."""
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


def text_of(el: HtmlElement | None) -> str:
    """An element's text content without scripts and styles, whitespace collapsed."""
    if el is None:
        return ""
    parts = cast(list[str], _VISIBLE_TEXT(el))
    return _WS.sub(" ", "".join(parts)).strip()


@functools.lru_cache(maxsize=1024)
def _compiled(xpath: str) -> etree.XPath:
    return etree.XPath(xpath)


def find(el: HtmlElement, xpath: str) -> list[HtmlElement]:
    """The elements an XPath selects (typed for the engines' benefit). Expressions
    are compiled once: the same few dozen run on every post of every page.

    To find one thing inside a part of a post, search the first such part,
    ``(.//div[...])[1]//time``, not ``.//div[...]//time``: libxml2 merges the
    matches under every such part, and a hostile page nesting the part a few
    hundred times over made that quadratic (minutes for a megabyte)."""
    return cast(list[HtmlElement], _compiled(xpath)(el))


def first(el: HtmlElement, xpath: str) -> HtmlElement | None:
    found = find(el, xpath)
    return found[0] if found else None


def attr(el: HtmlElement, xpath: str) -> str | None:
    """The first string an XPath ending in ``/@attr`` selects, stripped."""
    found = cast(list[str], _compiled(xpath)(el))
    return str(found[0]).strip() if found else None


def drop(el: HtmlElement) -> None:
    """Remove ``el`` and its content, keeping the text that follows it."""
    if el.getparent() is not None:
        el.drop_tree()


def drop_all(root: HtmlElement, xpath: str) -> None:
    for el in find(root, xpath):
        drop(el)


def break_paragraphs(body: HtmlElement) -> None:
    """BBCode boards separate paragraphs with ``<br><br>``: make each such pair a
    paragraph break (an empty block), since a lone ``<br>`` is only a line break."""
    # Walked in Python: the XPath ".//br[following-sibling::*[1][self::br]]"
    # listed every following sibling of each <br>, quadratic in a post of
    # thousands of them (minutes for a fuzzed page).
    pairs = [br for br in body.iter("br") if _next_element_is_br(br)]
    for br in pairs:
        if not (br.tail or "").strip():
            br.tag = "p"


def _next_element_is_br(el: HtmlElement) -> bool:
    after = el.getnext()
    while after is not None and not isinstance(after.tag, str):  # a comment, a PI
        after = after.getnext()
    return after is not None and after.tag == "br"


def as_pre(el: HtmlElement) -> None:
    """Turn a code block written with ``<br>`` and ``&nbsp;`` (MyBB, phpBB 3.0,
    SMF) into a ``<pre>`` so its lines and indentation survive rendering.

    As a browser shows it: ``<br>`` ends a line, ``&nbsp;`` is a kept space, and
    other whitespace (the newline after each ``<br>`` in the source) collapses."""
    parts: list[str] = []

    def walk(node: HtmlElement) -> None:
        if node.tag == "br":
            parts.append("\n")
        if node.text and isinstance(node.tag, str):
            parts.append(_SPACES.sub(" ", node.text))
        for child in node:
            walk(child)
            if child.tail:
                parts.append(_SPACES.sub(" ", child.tail))

    walk(el)
    lines = [line.strip(" ") for line in "".join(parts).split("\n")]
    pre = lxml.html.Element("pre")
    pre.text = "\n".join(lines).replace("\u00a0", " ").strip("\n")
    pre.tail = el.tail
    parent = el.getparent()
    if parent is not None:
        parent.replace(el, pre)


# -- decoding and loading ------------------------------------------------------------


def decode(document: Document) -> str:
    """The page as text: BOM, then the fetcher's charset, then the page's own
    ``<meta charset>``, then UTF-8, then cp1252 (``Document.text``)."""
    charset = document.charset
    if not charset:
        match = _META_CHARSET.search(document.content[:4096])
        if match:
            charset = match.group(1).decode("ascii", "replace")
    if charset:
        charset = charset.strip().lower()
        if charset in _AS_CP1252:
            charset = "cp1252"
        try:
            codecs.lookup(charset)
        except LookupError:
            charset = None
    return replace(document, charset=charset).text()


def netloc(url: str | None) -> str | None:
    """``host[:port]`` of an http(s) URL, lower-cased, default port left out."""
    if not url:
        return None
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not host:
        return None
    if port is not None and str(port) != _DEFAULT_PORTS[parts.scheme]:
        return f"{host}:{port}"
    return host


@dataclass
class Page:
    """One parsed thread page and what every engine needs to know about it."""

    document: Document
    root: HtmlElement
    html: str
    base: str  # what relative links resolve against
    host: str  # the site host in post keys
    site_url: str | None  # the page's own idea of where it lives (canonical, og:url, base)
    cache: dict[str, Any] = field(default_factory=dict)

    def url(self, href: str | None) -> str | None:
        """``href`` made absolute against the page's base; ``None`` for empty or script
        links, and for links that do not lead to the web (a page read from disk with
        no site URL of its own)."""
        if not href or href.startswith(("#", "javascript:", "mailto:")):
            return None
        url = join(self.base, href.strip())
        return url if netloc(url) else None

    @property
    def fetched(self) -> datetime:
        return self.document.fetched

    @property
    def title(self) -> str:
        return text_of(first(self.root, "//head/title"))

    def meta(self, name: str) -> str | None:
        return attr(self.root, f"//meta[@property='{name}' or @name='{name}']/@content")


def load(document: Document) -> Page:
    """Parse an HTML document; ``ParseError`` when it is not HTML at all."""
    html = _XML_DECL.sub("", decode(document), count=1)
    if "<" not in html[:2048] and "<" not in html:
        raise ParseError(f"{document.url}: not an HTML page")
    try:
        root = lxml.html.document_fromstring(markup_safe(html))
    except (etree.ParserError, ValueError) as exc:
        raise ParseError(f"{document.url}: unreadable HTML: {exc}") from exc
    doc_host = netloc(document.url)
    hints = [
        attr(root, "//link[@rel='canonical']/@href"),
        attr(root, "//meta[@property='og:url']/@content"),
        attr(root, "//base/@href"),
        attr(root, "//link[@rel='alternate'][starts-with(@href, 'http')]/@href"),
    ]
    base_href = attr(root, "//base/@href")
    site_url = next((u for u in (join(base_href or "", h) for h in hints if h) if netloc(u)), None)
    base_url = join(document.url, base_href) if base_href else None
    if base_url:
        base = base_url
    elif doc_host or not site_url:
        base = document.url
    else:
        base = site_url
    host = doc_host or netloc(site_url) or "local"
    return Page(document=document, root=root, html=html, base=base, host=host, site_url=site_url)


def same_site(page: Page, url: str) -> bool:
    """Links a parser asks to follow stay on the thread's own site."""
    own = netloc(page.document.url) or page.host
    return netloc(url) == own


def numbered_links(page: Page, anchors: list[HtmlElement]) -> dict[int, str]:
    """Page number -> absolute URL, from a page navigation's links labelled "2", "3"..."""
    links = {}
    joined: dict[str | None, str | None] = {}  # a page may repeat one link 100,000 times
    for a in anchors:
        page_number = small_int(text_of(a))
        if page_number is None:
            continue
        href = a.get("href")
        if href not in joined:
            joined[href] = page.url(href)
        url = joined[href]
        if url:
            links[page_number] = url
    return links


def key(engine: str, host: str, post_id: str | int) -> str:
    return f"{engine}:{host}:{post_id}"


def number(text: str | None) -> int | None:
    """The first integer in ``text`` ("#1,326" -> 1326)."""
    if not text:
        return None
    match = re.search(r"\d[\d,.\u00a0 ]*", text)
    if not match:
        return None
    return small_int(re.sub(r"\D", "", match.group(0)))


def small_int(digits: str) -> int | None:
    """``digits`` as a number when they are up to nine decimal digits: a page or post
    count a page states. Longer is no real count (and int() refuses 4,300 digits);
    ``isdigit`` is not enough (``int("²")`` raises)."""
    return int(digits) if digits.isdecimal() and len(digits) <= 9 else None


# -- quotes ----------------------------------------------------------------------------


def take_quotes(
    body: HtmlElement, xpath: str, read: Callable[[HtmlElement], Quote]
) -> tuple[Quote, ...]:
    """Remove the quoted blocks ``xpath`` finds in ``body`` (outermost only: a
    quote inside a quote belongs to the quoted post) and return who they quote."""
    found = find(body, xpath)
    inside = {id(d) for el in found for d in el.iterdescendants()}
    quotes = []
    for el in found:
        if id(el) in inside or body not in el.iterancestors():
            continue  # nested, or went with a block removed before it
        quotes.append(read(el))
        drop(el)
    return tuple(quotes)
