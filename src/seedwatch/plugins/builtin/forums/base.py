"""The base of every forum engine's parser: pagination, posts to Items, chrome
every engine shares, and the explanation of a page without posts.

``ForumParser`` reads one thread page (never doing I/O): the engine finds the
posts, takes each post's quoted blocks out of its body (recording them as
``Quote`` references) and drops its own chrome; here the rest is rendered with
``seedwatch.text.element_to_text`` so paragraphs are blank-line separated and
code blocks keep their lines. Shared chrome is removed here: image placeholders
("[IMG]"), a phone app's "Sent from ... using ..." last line; a post holding
only pictures is rendered as their URLs ("[image: URL]") rather than left empty.
A page without posts is a ``ParseError`` saying why: a login wall, or not a
thread page of this engine.
"""

from __future__ import annotations

import re
from abc import abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any, ClassVar

from lxml.html import HtmlElement

from seedwatch.contracts import MAX_LIVE_PAGES, Parser
from seedwatch.errors import ParseError
from seedwatch.models import Document, Item, Quote, ThreadRef
from seedwatch.plugins.builtin.forums import dates
from seedwatch.plugins.builtin.forums.common import (
    Page,
    break_paragraphs,
    find,
    first,
    key,
    load,
    same_site,
    text_of,
)
from seedwatch.plugins.builtin.forums.listing import ThreadEntry, entries, feeds
from seedwatch.text import element_to_text

# The most pages a thread's navigation is believed to claim: a claim beyond (a
# hostile or broken "Page 1 of 20000000") falls back to the pages it links.
MAX_PAGES = 1_000_000
# Texts of one page that may be no date before dateparser is given up on (``date``).
MAX_DATE_MISSES = 5
_IMAGE_ALTS = frozenset({"[img]", "image", "img", "attachment", "attached image"})


def holding_text(items: Iterable[Item]) -> list[Item]:
    """The items that hold text: a post with none of its own (only quotes, an
    emptied body, a JSON post without its ``cooked`` HTML) holds nothing."""
    return [item for item in items if item.text.strip()]


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

    def checked(self) -> Pagination:
        """These numbers where they are plausible: a page number is at least 1 and at
        most ``MAX_PAGES``, and the last page is not before the current one nor
        before a linked one. An implausible last page falls back to the highest
        page linked (or the current one), an implausible current page to none."""
        links = {n: u for n, u in self.links.items() if 1 <= n <= MAX_PAGES}
        current = self.current
        if current is not None and not 1 <= current <= MAX_PAGES:
            current = None
        known = max([*links, *([current] if current else [])], default=None)
        last = self.last
        if last is not None and (not 1 <= last <= MAX_PAGES or (known or 0) > last):
            last = known
        return Pagination(current=current, last=last, links=links, next=self.next)


def _affine(n1: int, p1: list[str], n2: int, p2: list[str], wanted: int) -> str | None:
    if len(p1) != len(p2):
        return None
    diff = [i for i, (a, b) in enumerate(zip(p1, p2, strict=True)) if a != b]
    if len(diff) != 1 or diff[0] % 2 == 0:
        return None
    pos = diff[0]
    if max(len(p1[pos]), len(p2[pos])) > 18:  # no page's number; int() refuses 4,300 digits
        return None
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
_APP_SIGNATURE = re.compile(r"(?:Sent|Send|Posted) (?:from|via) [^\n]{1,80}", re.I)


def _without_app_signature(text: str) -> str:
    """``text`` without such a last line. The last line is split off, not searched
    for with ``\n+...$``: that backtracked over every line break of a post
    holding 20,000 of them (12 s for 150 kB)."""
    head, newline, last = text.rstrip("\n").rpartition("\n")
    return head.rstrip("\n") if newline and _APP_SIGNATURE.fullmatch(last) else text


_SMILIES = re.compile(r"smil|emoji|emoticon|inlineimg|reaction", re.I)


_PASSWORD_FIELDS = 10


def is_login_wall(page: Page) -> bool:
    """A page that asks for a password instead of showing what was asked for. Only
    meaningful for a page without posts or threads: a board's pages carry a guest
    login box too (SMF's "Please login or register" form on every page)."""
    # Each password field's nearest form, not "//form//input": libxml2 merges
    # the inputs under every form, and a page nesting forms 30,000 deep made
    # that quadratic (150 s). A login page has one or two such fields.
    fields = find(page.root, "//input[@type='password']")[:_PASSWORD_FIELDS]
    if not any(next(f.iterancestors("form"), None) is not None for f in fields):
        return False
    return bool(
        _LOGIN_TITLE.search(page.title) or _LOGIN_TEXT.search(text_of(first(page.root, "//body")))
    )


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
    source_options = frozenset[str]()

    def __init__(self) -> None:
        # parse() and next_pages()/live_pages() are called on the same document
        # in turn: keep the last parsed page so it is parsed once.
        self._last: tuple[Document, Page] | None = None

    # -- what an engine provides

    # Markers of the engine's markup in a page's head, for the default ``score``.
    support: tuple[str, ...] = ()

    def score(self, head: str) -> float:
        """Confidence from the page's first bytes (see ``sniff``). By default two
        or more of the engine's ``support`` markers must be there (never one weak
        signal), each adding confidence; engines with a generator tag override it."""
        found = sum(marker in head for marker in self.support)
        return 0.0 if found < 2 else min(0.95, 0.5 + 0.1 * found)

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

    def date(self, page: Page, text: str | None) -> datetime | None:
        """A date as the page prints it, in its zone (``dates.from_text``).

        A page's dates share one format, so once ``MAX_DATE_MISSES`` of its
        texts were no date, the rest are not handed to dateparser: a hostile
        page of a thousand posts with dateless bylines would otherwise cost
        tens of milliseconds a post.
        """
        misses = page.cache.get("date_misses", 0)
        found = dates.from_text(
            text, zone=self.zone(page), fetched=page.fetched, guess=misses < MAX_DATE_MISSES
        )
        if found is None and text:
            page.cache["date_misses"] = misses + 1
        return found

    # -- what an engine may provide for boards (the ``forum`` source kind)

    # The engine's feed URLs, for pages that link their feed without rel=alternate.
    feed_paths: ClassVar[re.Pattern[str] | None] = None

    def threads(self, page: Page) -> Iterator[ThreadEntry]:
        """The threads a board (forum) page lists, in list order. Default: none."""
        return iter(())

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
        items = holding_text(self.item(page, post, thread, site) for post in self.posts(page))
        if not items:
            raise ParseError(self.why_empty(page))
        return items

    def next_pages(self, document: Document) -> Iterable[str]:
        page = self.page(document)
        pages = self.pagination(page).checked()
        following = pages.next
        if following is None and pages.current is not None:
            following = pages.links.get(pages.current + 1)
        if following and same_site(page, following) and following != document.url:
            return [following]
        return []

    def live_pages(self, document: Document) -> Iterable[str]:
        page = self.page(document)
        pages = self.pagination(page).checked()
        if pages.current is None or pages.last is None or pages.last <= pages.current:
            return []
        urls = []
        # The last page and the few before it: a live poll reads what is new, a
        # backfill the rest (the pipeline reads no more than MAX_LIVE_PAGES anyway).
        for wanted in range(pages.last, max(pages.current, pages.last - MAX_LIVE_PAGES), -1):
            url = pages.url_of(wanted)
            if url and same_site(page, url):
                urls.append(url)
        return urls

    # -- boards: what the ``forum`` source kind asks of a page

    def sniff_board(self, document: Document) -> float:
        """Confidence that ``document`` is a page of this engine, thread or board."""
        return self.sniff(document)

    def has_posts(self, document: Document) -> bool:
        return next(iter(self.posts(self.page(document))), None) is not None

    def thread_list(self, document: Document) -> list[ThreadEntry]:
        """The threads a board page lists (each once, in list order)."""
        return entries(self.threads(self.page(document)))

    def board_next(self, document: Document) -> str | None:
        """The board's next page of threads (older activity), if any."""
        return next(iter(self.next_pages(document)), None)

    def native_feed(self, document: Document) -> str | None:
        """The most specific RSS/Atom feed the page names: the thread's, the
        forum's, the site's; ``None`` when it names none."""
        found = feeds(self.page(document), self.feed_paths)
        return found[0] if found else None

    def login_wall(self, document: Document) -> bool:
        return is_login_wall(self.page(document))

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
        text = _without_app_signature(element_to_text(post.body)).rstrip()
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
        if is_login_wall(page):
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
