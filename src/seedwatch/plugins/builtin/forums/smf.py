"""Built-in parser ``smf``: Simple Machines Forum 2.0 and 2.1 topic pages, one Item per post.

Both versions put a message's body in ``div.inner#msg_N`` inside a
``div.windowbg`` with ``div.poster h4`` (a profile link, or a guest's bare
name). The date is human text in the reader's zone, which SMF does not print
(read as UTC): SMF 2.1 writes it in ``div.postinfo`` ("March 14, 2024,
07:12:40 PM", or "<strong>Today</strong> at 10:15:03 AM", resolved against the
fetch time), SMF 2.0 in the keyinfo ("« Reply #1 on: June 03, 2012, 08:02:45 AM »").
Replies carry their number ("#1", "Reply #1"); the topic's first message has
none and is post 1.

Quotes are ``blockquote.bbc_standard_quote`` ("Quote from: X on <date>" in a
``cite`` (2.1) or a ``div.quoteheader`` before it (2.0), linking
``topic=T.msgN``); code blocks lose their "Code: Select" header and keep their
lines; signatures and "Last Edit" notes (read into ``updated``) are outside
the body.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime

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
    drop,
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
    "smf_theme_url",
    "smf_scripturl",
    "smf_default_theme_url",
    "var smf_",
    "Simple Machines",
    "simplemachines.org",
    "index.php?topic=",
)
_MSG = re.compile(r"msg=?(\d+)")
_TOPIC = re.compile(r"[?&;]topic=(\d+)")
_QUOTE_FROM = re.compile(r"Quote from:\s*(.+?)\s+on\s+", re.S)
_LAST_EDIT = re.compile(r"Last Edit:?\s*(.+?)\s+by\s+", re.S)
_REPLY = re.compile(r"Reply #(\d{1,9})(?!\d)")

_LAST_MSG = re.compile(r"#msg(\d+)")
# SMF 2.0 lists topics in table rows, 2.1 in div.windowbg blocks; both give the
# subject link in span#msg_N (N: the topic's first message).
_TOPIC_ROW = f"ancestor::*[self::tr or self::div[{has_class('windowbg')}]][1]"

_QUOTES = f".//blockquote[{has_class('bbc_standard_quote')} or {has_class('bbc_alternate_quote')}]"
_BODIES = f"//div[{has_class('inner')} and starts-with(@id, 'msg_')]"


class SMFParser(ForumParser):
    name = "smf"
    engine = "smf"
    label = "SMF"
    expected = "div.windowbg with div.inner#msg_N on an index.php?topic= page"
    support = _SUPPORT

    feed_paths = re.compile(r"[?;&]action=\.xml")

    def posts(self, page: Page) -> Iterator[Post]:
        on_first_page = self.pagination(page).current in (None, 1)
        for body in find(page.root, _BODIES):
            msg_id = body.get("id", "").removeprefix("msg_")
            box = first(body, f"ancestor::div[@id='msg{msg_id}' or {has_class('post_wrapper')}][1]")
            if not msg_id.isdigit() or box is None:
                continue
            quotes = take_quotes(
                body,
                _QUOTES,
                lambda q: self._quote(page, q),
            )
            _clean(body)
            info = first(box, f".//div[{has_class('postinfo')}]/a[{has_class('smalltext')}]")
            if info is None:  # SMF 2.0: "« Reply #1 on: June 03, 2012, 08:02:45 AM »"
                info = first(box, f".//div[{has_class('keyinfo')}]/div[{has_class('smalltext')}]")
            when = text_of(info).strip("\u00ab\u00bb ")
            counter = number(text_of(first(box, f".//span[{has_class('page_number')}]")))
            reply = _REPLY.search(when)
            if reply:
                counter = int(reply.group(1))
            when = when.split(" on:", 1)[-1]
            link = attr(box, f".//div[{has_class('postinfo')}]/a/@href") or attr(
                box, f"(.//*[@id='subject_{msg_id}'])[1]//a/@href"
            )
            yield Post(
                id=msg_id,
                body=body,
                author=text_of(first(box, f".//div[{has_class('poster')}]/h4")) or None,
                published=self.date(page, when),
                updated=self._edited(page, first(box, f".//*[@id='modified_{msg_id}']")),
                number=counter + 1 if counter is not None else (1 if on_first_page else None),
                url=page.url(link),
                quotes=quotes,
            )

    def _edited(self, page: Page, note: HtmlElement | None) -> datetime | None:
        match = _LAST_EDIT.search(text_of(note))
        if not match:
            return None
        return self.date(page, match.group(1))

    def _quote(self, page: Page, el: HtmlElement) -> Quote:
        header = first(el, "./cite")
        if header is None:  # SMF 2.0: div.quoteheader, blockquote, div.quotefooter
            before = el.getprevious()
            after = el.getnext()
            if before is not None and "quoteheader" in (before.get("class") or ""):
                header = before
            if after is not None and "quotefooter" in (after.get("class") or ""):
                drop(after)
        text = text_of(header)
        author = _QUOTE_FROM.search(text)
        msg = _MSG.search(attr(header, ".//a/@href") or "") if header is not None else None
        if header is not None and header is not first(el, "./cite"):
            drop(header)
        return Quote(
            author=author.group(1) if author else None,
            key=self.quote_key(page, msg.group(1) if msg else None),
        )

    def threads(self, page: Page) -> Iterator[ThreadEntry]:
        # The row links its last post as topic=T.N#msgM; its stats cell (2.0:
        # td.stats, 2.1: div.board_stats) starts with the reply count.
        for link in find(page.root, "//span[starts-with(@id, 'msg_')]/a[1]"):
            url = page.url(link.get("href"))
            row = first(link, _TOPIC_ROW)
            if not url or row is None:
                continue
            posts = _LAST_MSG.findall(
                " ".join(str(h) for h in find(row, ".//a[contains(@href, '#msg')]/@href"))
            )
            stats = first(row, f".//td[{has_class('stats')}] | .//div[{has_class('board_stats')}]")
            yield ThreadEntry(
                url=thread_url(url),
                title=text_of(link) or None,
                activity=activity(posts[-1] if posts else None, number(text_of(stats))),
            )

    def thread(self, page: Page) -> Thread:
        url = page.url(attr(page.root, "//link[@rel='canonical']/@href"))
        match = _TOPIC.search(url or "")
        title = text_of(first(page.root, "//*[@id='top_subject']")) or page.meta("og:title")
        return Thread(id=match.group(1) if match else None, title=title or page.title, url=url)

    def pagination(self, page: Page) -> Pagination:
        root = page.root
        pages = Pagination(next=page.url(attr(root, "//link[@rel='next']/@href")))
        nav = first(root, f"//div[{has_class('pagelinks')}]")
        if nav is None:
            return pages
        pages.links.update(numbered_links(page, find(nav, ".//a[@href]")))
        current = first(nav, f".//*[{has_class('current_page')}] | .//strong")
        pages.current = number(text_of(current)) if current is not None else None
        if pages.current is not None:
            pages.last = max(pages.current, *pages.links) if pages.links else pages.current
        return pages


def _clean(body: HtmlElement) -> None:
    """Code headers and chrome inside an SMF message body."""
    drop_all(body, f".//div[{has_class('codeheader')}]")
    for code in find(body, f".//code[{has_class('bbc_code')}]"):
        as_pre(code)


register_parsers = engine_hook(SMFParser)
