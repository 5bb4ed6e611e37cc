"""Built-in parser ``phpbb``: phpBB 3 topic pages (prosilver and subsilver2), one Item per post.

prosilver (3.0 to 3.3): posts are ``div.post#pN``; the body is ``div.content``;
the author and date are in ``p.author`` ("by X » Sun May 26, 2019 4:34 pm",
a ``<time datetime>`` from 3.2 on). subsilver2 (3.0): each post is a
``table.tablebg`` with ``<a name="pN">``, ``b.postauthor``, "Posted: <date>" and
a ``div.postbody``. Dates are in the board's zone, stated in the footer: "All
times are UTC [ DST ]" (3.0, DST adds an hour) or "All times are <span
title="Europe/Paris">UTC+01:00</span>" (3.1+).

Quotes are ``blockquote`` ("X wrote:" in a ``cite``; 3.1+ links the quoted post
with ``data-post-id``), subsilver2's ``div.quotetitle``/``div.quotecontent``.
Signatures (``div.signature``, subsilver2's ``span.postbody``), "Last edited
by" notices (read into ``updated``), attachment boxes and "Code: Select all"
labels stay out of the text. phpBB prints no post numbers: they are counted
from the page's position in the topic (``per_page``) when the page says it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, tzinfo
from typing import cast

from lxml.html import HtmlElement

from seedwatch.models import Quote
from seedwatch.plugins.builtin.forums.engine import (
    ForumParser,
    Page,
    Pagination,
    Post,
    Thread,
    ThreadEntry,
    activity,
    as_pre,
    attr,
    dates,
    drop_all,
    engine_hook,
    find,
    first,
    has_class,
    number,
    numbered_links,
    take_quotes,
    text_of,
    thread_url,
)

_SUPPORT = (
    "phpBB Group",
    "phpBB Limited",
    "phpBB style name",
    'id="phpbb"',
    "/styles/prosilver/",
    "/styles/subsilver2/",
    "phpBBstyle",
    "viewtopic.php",
    "phpbb_",
)
_POST_P = re.compile(r"[?&;]p=(\d+)")
_TOPIC_T = re.compile(r"[?&;]t=(\d+)")
_EDITED = re.compile(r"Last edited by .+? on (.+?), edited \d+ times? in total", re.S)
_PER_PAGE = re.compile(r"var per_page = '(\d{1,9})'")
_ON_PAGE = re.compile(r"var on_page = '(\d{1,9})'")
_START = re.compile(r"[?&;]start=(\d{1,9})(?!\d)")
# Counts a page states are read up to nine digits: more is no real count (and
# int() refuses 4,300 digits).
_PAGE_OF = re.compile(r"Page (\d{1,9}) of (\d{1,9})(?!\d)", re.I)

_PROSILVER = f"//div[{has_class('post')} and starts-with(@id, 'p')]"
_SUBSILVER = (
    f"//table[{has_class('tablebg')}][.//a[starts-with(@name, 'p')]]"
    f"[.//div[{has_class('postbody')}]][not(.//table[{has_class('tablebg')}])]"
)
_QUOTES = f".//blockquote | .//div[{has_class('quotetitle')}]"


class PhpBBParser(ForumParser):
    name = "phpbb"
    engine = "phpbb"
    label = "phpBB"
    expected = (
        "div.post#pN with div.content (prosilver) or table.tablebg with div.postbody"
        " (subsilver2) on a viewtopic page"
    )
    support = _SUPPORT

    # feed.php (3.0, 3.1), app.php/feed (3.2, 3.3; /feed with URL rewriting)
    feed_paths = re.compile(r"feed\.php|app\.php/feed(?:$|[/?])")

    def zone(self, page: Page) -> tzinfo:
        if "zone" not in page.cache:
            page.cache["zone"] = dates.phpbb_zone(page.html[-30000:]) or dates.phpbb_zone(page.html)
        return cast(tzinfo | None, page.cache["zone"]) or UTC

    def posts(self, page: Page) -> Iterator[Post]:
        found = [self._prosilver(page, el) for el in find(page.root, _PROSILVER)]
        if not found:
            found = [self._subsilver(page, el) for el in find(page.root, _SUBSILVER)]
        posts = [p for p in found if p is not None]
        first_number = self._first_number(page)
        for index, post in enumerate(posts):
            if first_number is not None:
                post.number = first_number + index
            yield post

    def _first_number(self, page: Page) -> int | None:
        """phpBB shows no post numbers: count from the page's place in the topic."""
        pages = self.pagination(page)
        current = pages.current
        on_page = _ON_PAGE.search(page.html[:20000])
        if current is None and on_page:
            current = int(on_page.group(1))
        per_page = None
        match = _PER_PAGE.search(page.html[:20000])  # phpBB 3.0 prosilver's script
        if match:
            per_page = int(match.group(1))
        else:  # 3.1+: page k's link says start=(k-1)*per_page
            for k, url in pages.links.items():
                start = _START.search(url)
                if k > 1 and start and int(start.group(1)) % (k - 1) == 0:
                    per_page = int(start.group(1)) // (k - 1)
                    break
        if not per_page or current is None:
            return None
        return (current - 1) * per_page + 1

    # -- prosilver

    def _prosilver(self, page: Page, el: HtmlElement) -> Post | None:
        post_id = el.get("id", "").removeprefix("p")
        body = first(el, f".//div[{has_class('content')}]")
        if not post_id.isdigit() or body is None:
            return None
        quotes = take_quotes(body, _QUOTES, lambda q: self._quote(page, q))
        _clean(body)
        byline = first(el, f".//p[{has_class('author')}]")
        stamp = first(byline, ".//time[@datetime]") if byline is not None else None
        if stamp is not None:
            published = dates.from_iso(stamp.get("datetime"))
        else:  # "by X » Sun May 26, 2019 4:34 pm"
            published = self.date(page, text_of(byline).rsplit("\u00bb", 1)[-1])
        # Searched within the byline found above, not from each p.author: a page
        # nesting bylines in bylines made that quadratic (minutes for 1 MB).
        author = text_of(
            first(
                byline,
                f".//strong | .//*[{has_class('username')} or {has_class('username-coloured')}]",
            )
            if byline is not None
            else None
        )
        permalink = (
            attr(byline, f".//a[contains(@href, 'p={post_id}')]/@href")
            if byline is not None
            else None
        )
        return Post(
            id=post_id,
            body=body,
            author=author or None,
            published=published,
            updated=self._edited(page, first(el, f".//div[{has_class('notice')}]")),
            url=page.url(permalink or f"viewtopic.php?p={post_id}#p{post_id}"),
            quotes=quotes,
        )

    # -- subsilver2

    def _subsilver(self, page: Page, el: HtmlElement) -> Post | None:
        post_id = (attr(el, ".//a[starts-with(@name, 'p')]/@name") or "").removeprefix("p")
        body = first(el, f".//div[{has_class('postbody')}]")
        if not post_id.isdigit() or body is None:
            return None
        quotes = take_quotes(body, _QUOTES, lambda q: self._quote(page, q))
        _clean(body)
        posted = first(
            el, "(.//td[contains(., 'Posted:')][not(.//td)])[1]//div[contains(., 'Posted:')]"
        )
        when = text_of(posted).split("Posted:", 1)[-1]
        edited = first(el, ".//td[contains(., 'Last edited by')][not(.//td)]")
        return Post(
            id=post_id,
            body=body,
            author=text_of(first(el, f".//b[{has_class('postauthor')}]")) or None,
            published=self.date(page, when),
            updated=self._edited(page, edited),
            url=page.url(f"viewtopic.php?p={post_id}#p{post_id}"),
            quotes=quotes,
        )

    # -- shared

    def _edited(self, page: Page, note: HtmlElement | None) -> datetime | None:
        match = _EDITED.search(text_of(note))
        if not match:
            return None
        return self.date(page, match.group(1))

    def _quote(self, page: Page, el: HtmlElement) -> Quote:
        if el.tag == "div":  # subsilver2: div.quotetitle "X wrote:", then div.quotecontent
            content = el.getnext()
            if content is not None and "quotecontent" in (content.get("class") or ""):
                content.drop_tree()
            cite_text = text_of(el)
            post_id = None
        else:
            cite = first(el, "./div/cite | ./cite")
            cite_text = text_of(cite)
            post_id = attr(el, ".//cite//a/@data-post-id")
            if not post_id:
                match = _POST_P.search(
                    (el.get("cite") or "")
                    + " "
                    + (attr(el, ".//cite//a[contains(@href, 'p=')]/@href") or "")
                )
                post_id = match.group(1) if match else None
        author = cite_text.split(" wrote:", 1)[0].strip() if " wrote:" in cite_text else None
        return Quote(author=author or None, key=self.quote_key(page, post_id))

    # -- a forum's thread list

    def threads(self, page: Page) -> Iterator[ThreadEntry]:
        # Both styles link each topic as a.topictitle in its row (prosilver: li.row,
        # subsilver2: a table row); the row links the topic's last post as
        # viewtopic.php?p=N ("Go to last post"), prosilver counts its replies in dd.posts.
        for link in find(page.root, f"//a[{has_class('topictitle')}]"):
            url = page.url(link.get("href"))
            row = first(link, "ancestor::*[self::li or self::tr][1]")
            if not url or row is None:
                continue
            posts = _POST_P.findall(
                " ".join(str(h) for h in find(row, ".//a[contains(@href, 'p=')]/@href"))
            )
            stamp = attr(row, f"(.//dd[{has_class('lastpost')}])[1]//time/@datetime")
            replies = number(text_of(first(row, f".//dd[{has_class('posts')}]")))
            yield ThreadEntry(
                url=thread_url(url),
                title=text_of(link) or None,
                activity=activity(posts[-1] if posts else None, stamp, replies),
            )

    # -- the thread

    def thread(self, page: Page) -> Thread:
        root = page.root
        heading = first(root, f"//h2[{has_class('topic-title')}]/a | //div[@id='page-body']/h2/a")
        if heading is None:
            heading = first(root, f"//a[{has_class('titles')}] | //h2/a[contains(@href, 't=')]")
        href = heading.get("href") if heading is not None else None
        thread_id = attr(root, "//input[@name='t']/@value")
        if not thread_id:
            match = _TOPIC_T.search(href or "")
            thread_id = match.group(1) if match else None
        url = page.url(re.sub(r"&(?:amp;)?start=\d+", "", href)) if href else None
        return Thread(id=thread_id, title=text_of(heading) or None, url=url)

    def pagination(self, page: Page) -> Pagination:
        if "pages" in page.cache:
            return cast(Pagination, page.cache["pages"])
        root = page.root
        pages = Pagination(next=page.url(attr(root, "//link[@rel='next']/@href")))
        nav = first(root, f"//div[{has_class('pagination')}]")
        if nav is not None:
            pages.links.update(numbered_links(page, find(nav, ".//a[@href]")))
            current = first(nav, f".//li[{has_class('active')}]/span | ./span/strong | ./strong")
            pages.current = number(text_of(current)) if current is not None else None
            of = _PAGE_OF.search(text_of(nav))
            if of:
                pages.current = pages.current or int(of.group(1))
                pages.last = int(of.group(2))
            elif pages.current is not None:
                pages.last = max([pages.current, *pages.links])
            if pages.next is None:
                pages.next = page.url(attr(nav, ".//a[@rel='next']/@href"))
        page.cache["pages"] = pages
        return pages


def _clean(body: HtmlElement) -> None:
    """Labels and chrome inside a phpBB post body."""
    # "Code: Select all" labels; phpBB 3.0 writes code as <code> with <br> and &nbsp;
    drop_all(body, f".//dl[{has_class('codebox')}]/dt | .//div[{has_class('codebox')}]/p")
    drop_all(body, f".//div[{has_class('codetitle')}]")
    for code in find(
        body, f".//dl[{has_class('codebox')}]/dd/code | .//div[{has_class('codecontent')}]"
    ):
        as_pre(code)
    drop_all(body, f".//dl[{has_class('attachbox')}]")


register_parsers = engine_hook(PhpBBParser)
