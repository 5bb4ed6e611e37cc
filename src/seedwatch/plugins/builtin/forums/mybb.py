"""Built-in parser ``mybb``: MyBB 1.8 thread pages (showthread.php), one Item per post.

Posts are ``div.post#post_N`` with the body in ``div.post_body#pid_N``. A
post's date is ``span.post_date``: recent posts show relative text ("1 minute
ago") with the absolute time in a ``title`` attribute ("11-21-2026, 08:54 PM",
MyBB's default m-d-Y), older ones the absolute text. That absolute time is in
the board's zone, which MyBB does not print; it is worked out by comparing
minute-precise relative dates (resolved against the fetch time of a page
fetched over the web) with their titles, and taken as UTC (MyBB's default
board zone) when the page has none or was read from a file.

Quotes are ``blockquote.mycode_quote`` ("X Wrote:" in a ``cite``, the quoted
post linked as ``pid=N``); code blocks (``div.codeblock``) keep their lines
without their "Code:" title; signatures (outside the body), "This post was
last modified" notes (read into ``updated``) and attachment boxes stay out.
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
    drop,
    drop_all,
    each_post,
    engine_hook,
    find,
    first,
    has_class,
    netloc,
    number,
    numbered_links,
    take_quotes,
    text_of,
    thread_url,
)

_SUPPORT = (
    "MyBBEditor",
    "my_post_key",
    "jscripts/general.js",
    'Powered By <a href="https://mybb.com"',
    "<!-- start: showthread -->",
    "<!-- start: headerinclude -->",
    "mybb.com",
)
_PID = re.compile(r"[?&;]pid=(\d+)")
_TID = re.compile(r"[?&;]tid=(\d+)")
_MODIFIED = re.compile(r"last modified:\s*(.+?)\s+by\s+", re.I)
# Relative texts precise to the minute: a fair witness of the board's zone.
_MINUTE_PRECISE = re.compile(r"^(?:less than 1 minute ago|\d+ (?:second|minute)s? ago)$", re.I)

_POSTS = f"//div[{has_class('post')} and starts-with(@id, 'post_')]"


class MyBBParser(ForumParser):
    name = "mybb"
    engine = "mybb"
    label = "MyBB"
    expected = "div.post#post_N with div.post_body on a showthread.php page"
    support = _SUPPORT

    feed_paths = re.compile(r"syndication\.php")

    def zone(self, page: Page) -> tzinfo:
        if "zone" not in page.cache:
            pairs = []
            # "1 minute ago" is relative to when the page was served: only a page
            # fetched over the web was fetched then (a saved file may be years old).
            live = netloc(page.document.url) is not None
            for stamp in find(page.root, f"//span[{has_class('post_date')}]/span[@title]"):
                relative = text_of(stamp)
                if not live or not _MINUTE_PRECISE.match(relative):
                    continue
                wall = dates.from_text(stamp.get("title"))
                instant = dates.from_text(relative, fetched=page.fetched)
                if wall is not None and instant is not None:
                    pairs.append((wall.replace(tzinfo=None), instant))
            page.cache["zone"] = dates.infer_zone(pairs)
        return cast(tzinfo | None, page.cache["zone"]) or UTC

    def posts(self, page: Page) -> Iterator[Post]:
        yield from each_post(page, _POSTS, self._post)

    def _post(self, page: Page, el: HtmlElement) -> Post | None:
        post_id = el.get("id", "").removeprefix("post_")
        body = first(el, f".//div[{has_class('post_body')}]")
        if not post_id.isdigit() or body is None:
            return None
        quotes = take_quotes(
            body, f".//blockquote[{has_class('mycode_quote')}]", lambda q: self._quote(page, q)
        )
        _clean(body)
        head = first(el, f".//div[{has_class('post_head')}]")
        link = first(head, ".//a[contains(@href, 'pid=')]") if head is not None else None
        author = text_of(first(el, f"(.//div[{has_class('author_information')}])[1]//strong"))
        return Post(
            id=post_id,
            body=body,
            author=author or None,
            published=self._date(page, first(el, f".//span[{has_class('post_date')}]")),
            updated=self._modified(page, first(el, f".//span[{has_class('post_edit')}]")),
            number=number(text_of(link)),
            url=page.url(link.get("href")) if link is not None else None,
            quotes=quotes,
        )

    def _date(self, page: Page, stamp: HtmlElement | None) -> datetime | None:
        if stamp is None:
            return None
        titled = first(stamp, "./span[@title]")
        text = titled.get("title") if titled is not None else (stamp.text or "")
        return self.date(page, text)

    def _modified(self, page: Page, note: HtmlElement | None) -> datetime | None:
        match = _MODIFIED.search(text_of(note))
        if not match:
            return None
        return self.date(page, match.group(1))

    def _quote(self, page: Page, el: HtmlElement) -> Quote:
        cite = first(el, "./cite")
        author = None
        post_id = None
        if cite is not None:
            post_id_match = _PID.search(attr(cite, ".//a/@href") or "")
            post_id = post_id_match.group(1) if post_id_match else None
            for dated in find(cite, "./span"):  # " (1 minute ago)" before the name
                drop(dated)
            name = text_of(cite)
            author = name.rsplit(" Wrote:", 1)[0].strip() if " Wrote:" in name else None
        return Quote(author=author or None, key=self.quote_key(page, post_id))

    # -- a forum's thread list

    def threads(self, page: Page) -> Iterator[ThreadEntry]:
        # forumdisplay_thread: the subject link sits in span#tid_N; the replies are a
        # whoPosted link; the last post's date is span.lastpost's first line, with the
        # absolute time in a title when the text is relative ("1 minute ago").
        for link in find(page.root, "//span[starts-with(@id, 'tid_')]/a[@href]"):
            url = page.url(link.get("href"))
            row = first(link, "ancestor::tr[1]")
            if not url or row is None:
                continue
            replies = number(text_of(first(row, ".//a[contains(@href, 'whoPosted')]")))
            last = first(row, f".//span[{has_class('lastpost')}]")
            stamp = None
            if last is not None:
                stamp = attr(last, "./span[@title]/@title") or (last.text or "").strip()
            yield ThreadEntry(
                url=thread_url(url), title=text_of(link) or None, activity=activity(stamp, replies)
            )

    # -- the thread

    def thread(self, page: Page) -> Thread:
        href = attr(page.root, "//a[contains(@href, 'printthread.php?tid=')]/@href") or attr(
            page.root, "//a[contains(@href, 'showthread.php?tid=')]/@href"
        )
        match = _TID.search(href or "")
        thread_id = match.group(1) if match else attr(page.root, "//input[@name='tid']/@value")
        return Thread(
            id=thread_id,
            title=page.title or None,
            url=page.url(f"showthread.php?tid={thread_id}") if thread_id else None,
        )

    def pagination(self, page: Page) -> Pagination:
        root = page.root
        pages = Pagination(next=page.url(attr(root, "//link[@rel='next']/@href")))
        nav = first(root, f"//div[{has_class('pagination')}]")
        if nav is None:
            return pages
        pages.links.update(numbered_links(page, find(nav, ".//a[@href]")))
        pages.current = number(text_of(first(nav, f".//*[{has_class('pagination_current')}]")))
        pages.next = pages.next or page.url(
            attr(nav, f".//a[{has_class('pagination_next')}]/@href")
        )
        total = re.search(r"\((\d{1,9})\)", text_of(first(nav, f".//*[{has_class('pages')}]")))
        if total:  # "Pages (2):"
            pages.last = int(total.group(1))
        elif pages.current is not None:
            pages.last = max(pages.current, *pages.links) if pages.links else pages.current
        return pages


def _clean(body: HtmlElement) -> None:
    """Labels and chrome inside a MyBB post body."""
    for block in find(body, f".//div[{has_class('codeblock')} or {has_class('phpcodeblock')}]"):
        drop_all(block, f"./div[{has_class('title')}]")
        code = first(block, ".//code")
        if code is not None:
            as_pre(code)
    drop_all(body, ".//fieldset[legend[contains(., 'Attached')]]")


register_parsers = engine_hook(MyBBParser)
