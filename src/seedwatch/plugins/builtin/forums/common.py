"""What the forum engines share: loading a page, post keys, quotes, chrome removal,
post text, pagination, and the ``ForumParser`` base each engine's parser extends.

A parser here reads one thread page (never doing I/O): it finds the posts, takes
each post's quoted blocks out of its text (recording them as ``Quote``
references), drops signatures and other chrome, and renders the rest with
``seedwatch.text.element_to_text`` so paragraphs are blank-line separated and
code blocks keep their lines. Shared chrome is removed here: image placeholders
("[IMG]"), a phone app's "Sent from ... using ..." last line; a post holding
only pictures is rendered as their URLs ("[image: URL]") rather than left empty.

Keys are ``<engine>:<site host>:<post id>``. The site host is the document
URL's host; for a page read from disk (``file://``) it is the host of the
page's own canonical URL, ``og:url``, ``<base href>`` or feed link, and
``local`` when the page names none.
"""

from __future__ import annotations

import codecs
import functools
import re
from abc import abstractmethod
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, tzinfo
from typing import Any, ClassVar, cast
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree
from lxml.html import HtmlElement

from seedwatch.contracts import Parser
from seedwatch.errors import ParseError
from seedwatch.models import Document, Item, Quote, ThreadRef
from seedwatch.text import element_to_text

_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([\w.:-]+)", re.I)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
# WHATWG encoding labels: browsers decode these as windows-1252 (vBulletin 3
# pages declare ISO-8859-1 and contain cp1252 curly quotes).
_AS_CP1252 = frozenset({"iso-8859-1", "iso8859-1", "latin1", "latin-1", "us-ascii", "ascii"})
_DEFAULT_PORTS = {"http": "80", "https": "443"}
_WS = re.compile(r"\s+")
_SPACES = re.compile(r"[ \t\r\n\f]+")  # HTML whitespace, not the no-break space
_VISIBLE_TEXT = etree.XPath(".//text()[not(ancestor::script) and not(ancestor::style)]")
_IMAGE_ALTS = frozenset({"[img]", "image", "img", "attachment", "attached image"})


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
    are compiled once: the same few dozen run on every post of every page."""
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
    for br in find(body, ".//br[following-sibling::*[1][self::br]]"):
        if not (br.tail or "").strip():
            br.tag = "p"


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
        url = urljoin(self.base, href.strip())
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
        root = lxml.html.document_fromstring(html)
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
    site_url = next(
        (u for u in (urljoin(base_href or "", h) for h in hints if h) if netloc(u)), None
    )
    if base_href:
        base = urljoin(document.url, base_href)
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


def key(engine: str, host: str, post_id: str | int) -> str:
    return f"{engine}:{host}:{post_id}"


def number(text: str | None) -> int | None:
    """The first integer in ``text`` ("#1,326" -> 1326)."""
    if not text:
        return None
    match = re.search(r"\d[\d,.\u00a0 ]*", text)
    if not match:
        return None
    digits = re.sub(r"\D", "", match.group(0))
    return int(digits) if digits else None


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


# -- pagination ------------------------------------------------------------------------


@dataclass
class Pagination:
    """A thread page's place in the thread: page numbers and the links the page has."""

    current: int | None = None
    last: int | None = None
    links: dict[int, str] = field(default_factory=dict)  # page number -> absolute URL
    next: str | None = None

    def url_of(self, wanted: int) -> str | None:
        """The URL of page ``wanted``: linked, or built from the linked pages' pattern
        (``page-N``, ``&page=N``, ``start=(N-1)*25``: the number that changes)."""
        if wanted in self.links:
            return self.links[wanted]
        known = sorted((n, u) for n, u in self.links.items() if n >= 2)
        split = [(n, re.split(r"(\d+)", u)) for n, u in known]
        for i, (n1, p1) in enumerate(split):
            for n2, p2 in split[i + 1 :]:
                built = _affine(n1, p1, n2, p2, wanted)
                if built:
                    return built
        if len(split) == 1:  # one linked page: its own number in the URL is the page
            n1, p1 = split[0]
            for pos in range(len(p1) - 2, 0, -2):
                if p1[pos] == str(n1):
                    return "".join([*p1[:pos], str(wanted), *p1[pos + 1 :]])
        return None


def _affine(n1: int, p1: list[str], n2: int, p2: list[str], wanted: int) -> str | None:
    if len(p1) != len(p2):
        return None
    diff = [i for i, (a, b) in enumerate(zip(p1, p2, strict=True)) if a != b]
    if len(diff) != 1 or diff[0] % 2 == 0:
        return None
    pos = diff[0]
    v1, v2 = int(p1[pos]), int(p2[pos])
    if (v2 - v1) % (n2 - n1):
        return None
    step = (v2 - v1) // (n2 - n1)
    value = v1 + step * (wanted - n1)
    if value < 0 or step <= 0:
        return None
    return "".join([*p1[:pos], str(value), *p1[pos + 1 :]])


# A login wall: a password field, and a title or a message that asks for it (a
# thread page's navbar login box alone does not make a login page).
_LOGIN_TITLE = re.compile(r"\b(?:log ?in|sign ?in|login|anmelden|connexion)\b", re.I)
_LOGIN_TEXT = re.compile(
    r"must be logged[ -]in|not logged in|log ?in to (?:view|see|read|continue|do)"
    r"|registered and logged in|do not have permission|don't have permission"
    r"|please (?:log ?in|sign in)|sign in to (?:view|see|continue)|requires? you to (?:log|sign)",
    re.I,
)
# A signature a phone app appends to the post body itself ("Sent from my iPhone
# using Tapatalk", vozForums' "Sent from LG V20 using vozFApp"): its last line.
_APP_SIGNATURE = re.compile(r"\n+(?:Sent|Send|Posted) (?:from|via) [^\n]{1,80}$", re.I)
_SMILIES = re.compile(r"smil|emoji|emoticon|inlineimg|reaction", re.I)


def _media(page: Page, body: HtmlElement) -> str:
    """The text of a post that holds only pictures or embedded media: one
    "[image: URL]" line each, so the post is not an empty item (smilies left out)."""
    lines = []
    for el in find(body, ".//img[@src] | .//iframe[@src] | .//video[@src] | .//source[@src]"):
        src = el.get("src", "")
        if _SMILIES.search(f"{el.get('class', '')} {src}"):
            continue
        url = page.url(src) or src
        lines.append(f"[{'image' if el.tag == 'img' else 'media'}: {url}]")
    return "\n".join(lines)


# -- posts and the base parser ----------------------------------------------------------


@dataclass
class Post:
    """What an engine module reads from one post; ``ForumParser`` makes the Item."""

    id: str
    body: HtmlElement  # the post's own content, quotes and chrome already removed
    author: str | None = None
    published: datetime | None = None
    updated: datetime | None = None
    number: int | None = None
    url: str | None = None
    quotes: tuple[Quote, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Thread:
    id: str | None = None
    title: str | None = None
    url: str | None = None


class ForumParser(Parser):
    """The shared flow: load the page, let the engine find posts, make Items,
    explain an empty page (login wall, error page, another engine's page)."""

    engine: ClassVar[str] = ""  # the key prefix, e.g. "xenforo"
    label: ClassVar[str] = ""  # for messages, e.g. "XenForo"
    expected: ClassVar[str] = ""  # the markup looked for, for messages
    sniff_bytes: ClassVar[int] = 65536

    def __init__(self) -> None:
        # parse() and next_pages()/live_pages() are called on the same document
        # in turn: keep the last parsed page so it is parsed once.
        self._last: tuple[Document, Page] | None = None

    # -- what an engine provides

    @abstractmethod
    def score(self, head: str) -> float:
        """Confidence from the page's first bytes (see ``sniff``)."""

    @abstractmethod
    def posts(self, page: Page) -> Iterator[Post]:
        """The page's posts, in page order."""

    @abstractmethod
    def thread(self, page: Page) -> Thread: ...

    @abstractmethod
    def pagination(self, page: Page) -> Pagination: ...

    def zone(self, page: Page) -> tzinfo:
        """The zone the page's human dates are written in (UTC when it says nothing)."""
        return UTC

    # -- the contract

    def sniff(self, document: Document) -> float:
        media = (document.media_type or "").lower()
        if media and "html" not in media and media not in ("text/plain", "application/xml"):
            return 0.0
        head = document.head(self.sniff_bytes)
        if "<" not in head[:1024] and not head.lstrip().startswith("<"):
            return 0.0
        return self.score(head)

    def page(self, document: Document) -> Page:
        last = self._last
        if last is not None and last[0] is document:
            return last[1]
        page = load(document)
        self._last = (document, page)
        return page

    def parse(self, document: Document) -> Iterable[Item]:
        page = self.page(document)
        thread = self.thread(page)
        site = page.meta("og:site_name")
        items = [self.item(page, post, thread, site) for post in self.posts(page)]
        if not items:
            raise ParseError(self.why_empty(page))
        return items

    def next_pages(self, document: Document) -> Iterable[str]:
        page = self.page(document)
        pages = self.pagination(page)
        following = pages.next
        if following is None and pages.current is not None:
            following = pages.links.get(pages.current + 1)
        if following and same_site(page, following) and following != document.url:
            return [following]
        return []

    def live_pages(self, document: Document) -> Iterable[str]:
        page = self.page(document)
        pages = self.pagination(page)
        if pages.current is None or pages.last is None or pages.last <= pages.current:
            return []
        urls = []
        for wanted in range(pages.last, pages.current, -1):
            url = pages.url_of(wanted)
            if url and same_site(page, url):
                urls.append(url)
        return urls

    # -- shared steps

    def item(self, page: Page, post: Post, thread: Thread, site: str | None) -> Item:
        extra = {"post_id": post.id, **post.extra}
        break_paragraphs(post.body)
        # "<li><p>text</p></li>" (Discourse and IPS loose lists): the paragraph is
        # the item's text, not a block after an empty "- " line.
        for para in find(post.body, ".//li/*[1][self::p]"):
            item = para.getparent()
            if item is not None and not (item.text or "").strip():
                para.drop_tag()
        # Placeholders boards write as an embedded image's alt text (XenForo 1
        # "[\u200bIMG]", phpBB "Image") are chrome; smilies' alt text (":cool:") is not.
        for img in find(post.body, ".//img[@alt]"):
            alt = img.get("alt", "").replace("\u200b", "").strip().lower()
            if alt in _IMAGE_ALTS:
                del img.attrib["alt"]
        text = _APP_SIGNATURE.sub("", element_to_text(post.body)).rstrip()
        text = text or _media(page, post.body)
        return Item(
            key=key(self.engine, page.host, post.id),
            text=text,
            parser=self.name,
            url=post.url,
            title=thread.title,
            author=post.author or None,
            site=site,
            published=post.published,
            updated=post.updated,
            thread=ThreadRef(
                id=thread.id,
                title=thread.title,
                url=thread.url,
                post_number=post.number,
                quotes=post.quotes,
            ),
            extra=extra,
        )

    def why_empty(self, page: Page) -> str:
        where = page.document.url
        title = page.title
        if find(page.root, "//form//input[@type='password']") and (
            _LOGIN_TITLE.search(title) or _LOGIN_TEXT.search(text_of(first(page.root, "//body")))
        ):
            return (
                f"{where}: this is a login page, not a {self.label} thread"
                f" (page title {title!r}): the board asks visitors to sign in;"
                " give the source credentials (a session cookie or the login form's fields)"
            )
        return (
            f"{where}: no {self.label} posts found: expected {self.expected}"
            f" (page title {title!r}); is this a {self.label} thread page?"
        )

    def quote_key(self, page: Page, post_id: str | None) -> str | None:
        return key(self.engine, page.host, post_id) if post_id else None
