"""Built-in parser ``vbulletin``: vBulletin 3, 4 and 5 thread pages, one Item per post.

vBulletin 3 (table layout) and 4 (``li.postcontainer``) both wrap a post's
body in ``div#post_message_N``; its date is human text in the board's zone,
which the page states in its footer ("All times are GMT -5"), with "Today" and
"Yesterday" resolved against the fetch time. Quotes are "Originally Posted by"
blocks (vB3: a ``div.smallfont`` "Quote:" label over a table; vB4/5:
``div.bbcode_quote``) linking the quoted post as ``showthread.php?p=N``.
vBulletin 5 posts are ``li.b-post[data-node-id]``; their epoch
``data-node-publishdate`` is used, because the ``<time datetime>`` next to it
carries no offset and is in the server's zone (vB 5.5.2 pages show it hours
away from both UTC and the displayed time).

Only the message body is read, so signatures, "Last edited by" notes (read
into ``updated``) and post controls stay out; "Quote:"/"Code:" labels are
removed, code keeps its lines.
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
    number,
    numbered_links,
    small_int,
    take_quotes,
    text_of,
    thread_url,
)
from seedwatch.units import from_epoch

_GENERATOR = re.compile(r"<meta\b[^>]*name=[\"']generator[\"'][^>]*content=[\"']vBulletin", re.I)
_SUPPORT = (
    "vb_disable_ajax",
    "vbmenu_register",
    "vbulletin_css",
    "var SESSIONURL",
    "vBulletin.",
    'id="vbulletin_html"',
    "vb_meta_bburl",
    "clientscript/vbulletin",
    "js.compressed/",
    "b-post",
)
_POST_P = re.compile(r"[?&;]p=(\d+)")
_EDITED = re.compile(r"Last edited by (.+?);\s*(.+?)\.?\s*(?:Reason:.*)?$", re.S)
_PAGE_OF = re.compile(r"Page (\d{1,9}) of (\d{1,9})(?!\d)", re.I)  # see phpbb.py
_VB5_THREAD = re.compile(r"/(\d+)-[^/?#]*(?:/page\d+)?/?(?:[?#]|$)")

_LAST_POST = re.compile(r"#post(\d+)")
# vBulletin 3 and 4 give each thread title link id="thread_title_N"; vBulletin 5
# lists topics as tr.topic-item with a.topic-title.
_THREAD_LINKS = (
    "//a[starts-with(@id, 'thread_title_')]"
    f" | //tr[{has_class('topic-item')}]//a[{has_class('topic-title')}]"
)
_REPLIES = (
    ".//*[starts-with(@title, 'Replies')]/@title"  # vB3: td.alt2 title="Replies: 3, Views: 52"
    f" | .//ul[{has_class('threadstats')}]/li[1]"  # vB4: "Replies: 5"
    f" | .//*[{has_class('posts-count')}]"  # vB5
)

_MESSAGES = "//div[starts-with(@id, 'post_message_')]"
_VB5_POSTS = f"//li[{has_class('b-post')} and @data-node-id]"


class VBulletinParser(ForumParser):
    name = "vbulletin"
    engine = "vbulletin"
    label = "vBulletin"
    expected = (
        "div#post_message_N (vBulletin 3 and 4) or li.b-post[data-node-id] (vBulletin 5)"
        " on a showthread page"
    )

    # external.php?type=RSS2 (vB 3 and 4), external?type=rss2 (vB 5)
    feed_paths = re.compile(r"external(?:\.php)?\?type=", re.I)

    def score(self, head: str) -> float:
        support = sum(s in head for s in _SUPPORT)
        if _GENERATOR.search(head):
            return min(0.95, 0.7 + 0.1 * support) if support else 0.5
        # vBulletin 5 styles may drop the generator tag; several globals must agree.
        return 0.6 if support >= 3 else 0.0

    def zone(self, page: Page) -> tzinfo:
        if "zone" not in page.cache:
            page.cache["zone"] = dates.vbulletin_zone(page.html[-20000:]) or dates.vbulletin_zone(
                page.html
            )
        return cast(tzinfo | None, page.cache["zone"]) or UTC

    def posts(self, page: Page) -> Iterator[Post]:
        yield from each_post(page, _MESSAGES, self._vb34)
        yield from each_post(page, _VB5_POSTS, self._vb5)

    # -- vBulletin 3 and 4

    def _vb34(self, page: Page, message: HtmlElement) -> Post | None:
        post_id = message.get("id", "").removeprefix("post_message_")
        if not post_id.isdigit():
            return None
        box = first(
            message,
            f"ancestor::*[@id='post_{post_id}' or @id='post{post_id}' or @id='edit{post_id}'][1]",
        )
        if box is None:
            box = message
        body = first(message, f"./blockquote[{has_class('postcontent')}]")
        if body is None:  # vBulletin 3: the div is the body
            body = message
        quotes = take_quotes(body, _QUOTES, lambda q: self._quote(page, q))
        _clean(body)
        count = first(box, f".//a[{has_class('postcounter')}] | .//a[@id='postcount{post_id}']")
        # vB3: <a id="postcountN" name="3021">; vB4: <a class="postcounter">#1</a>
        counter = attr(box, f".//a[@id='postcount{post_id}']/@name") or ""
        return Post(
            id=post_id,
            body=body,
            author=self._author34(box, post_id),
            published=self._date34(page, box, post_id),
            updated=self._edited(page, box),
            number=small_int(counter) if counter.isdecimal() else number(text_of(count)),
            url=page.url(count.get("href")) if count is not None else None,
            quotes=quotes,
        )

    def _author34(self, box: HtmlElement, post_id: str) -> str | None:
        name = first(
            box,
            f".//a[{has_class('bigusername')}] | .//*[{has_class('username_container')}]"
            f"//*[{has_class('username')}]",
        )
        if name is None:  # a guest: vB3 prints the name without a profile link
            name = first(box, f".//div[@id='postmenu_{post_id}']")
        return text_of(name) or None

    def _date34(self, page: Page, box: HtmlElement, post_id: str) -> datetime | None:
        text = text_of(first(box, f"(.//*[{has_class('postdate')}])[1]//*[{has_class('date')}]"))
        if not text:
            # vBulletin 3: the date is the text after the post's <a name="postN"> anchor
            anchor = first(box, f".//a[@name='post{post_id}']")
            text = (anchor.tail or "") if anchor is not None else ""
        return self.date(page, text)

    def _edited(self, page: Page, box: HtmlElement) -> datetime | None:
        note = first(
            box,
            f".//*[{has_class('lastedited')}] | .//em[contains(., 'Last edited by')]",
        )
        match = _EDITED.search(text_of(note))
        if not match:
            return None
        return self.date(page, match.group(2))

    def _quote(self, page: Page, el: HtmlElement) -> Quote:
        posted_by = first(el, f".//*[{has_class('bbcode_postedby')}]")
        if posted_by is None:  # vBulletin 3: "Originally Posted by <strong>X</strong>"
            posted_by = first(el, ".//div[contains(., 'Originally Posted by')][strong]")
        author = text_of(first(posted_by, "./strong")) if posted_by is not None else ""
        href = attr(posted_by, ".//a/@href") if posted_by is not None else None
        match = _POST_P.search(href or "")
        return Quote(
            author=author or None, key=self.quote_key(page, match.group(1) if match else None)
        )

    # -- vBulletin 5

    def _vb5(self, page: Page, el: HtmlElement) -> Post | None:
        post_id = el.get("data-node-id", "")
        body = first(el, f".//div[{has_class('js-post__content-text')}]")
        if not post_id.isdigit() or body is None:
            return None
        quotes = take_quotes(body, _QUOTES, lambda q: self._quote(page, q))
        _clean(body)
        count = first(el, f".//a[{has_class('b-post__count')}]")
        url = page.url(count.get("href")) if count is not None else None
        if url and not _POST_P.search(url):
            # vB 5 links a thread's first post as the thread URL plus "#postN", which
            # is the thread's page, not the post's: "?p=N" is the post's own link.
            url = url.split("#", 1)[0] + f"?p={post_id}#post{post_id}"
        author = text_of(
            first(el, f"(.//*[{has_class('b-userinfo')}])[1]//*[{has_class('author')}]")
        ) or attr(el, "(.//*[@itemprop='author'])[1]//*[@itemprop='name']/@content")
        return Post(
            id=post_id,
            body=body,
            author=author or None,
            published=from_epoch(el.get("data-node-publishdate")),
            number=number(text_of(count)),
            url=url,
            quotes=quotes,
        )

    # -- a forum's thread list

    def threads(self, page: Page) -> Iterator[ThreadEntry]:
        # Each row links its last post as ...p=N#postN ("Go to last post"); its reply
        # count is a title (vB3), the first threadstats item (vB4) or .posts-count (vB5).
        for link in find(page.root, _THREAD_LINKS):
            url = page.url(link.get("href"))
            row = first(link, "ancestor::*[self::tr or self::li][1]")
            if not url or row is None:
                continue
            posts = _LAST_POST.findall(
                " ".join(str(h) for h in find(row, ".//a[contains(@href, '#post')]/@href"))
            )
            found = find(row, _REPLIES)
            replies = None
            if found:
                value = found[0]
                replies = number(value if isinstance(value, str) else text_of(value))
            yield ThreadEntry(
                url=thread_url(url),
                title=text_of(link) or None,
                activity=activity(posts[-1] if posts else None, replies),
            )

    # -- the thread

    def thread(self, page: Page) -> Thread:
        root = page.root
        title_link = first(root, f"//*[{has_class('threadtitle')}]/a")  # vBulletin 4
        if title_link is not None:
            return Thread(
                id=attr(root, "//input[@name='t']/@value"),
                title=text_of(title_link),
                url=page.url(title_link.get("href")),
            )
        vb5_title = first(root, f"//h1[{has_class('main-title')}]")
        if vb5_title is not None:
            url = page.url(attr(root, "//link[@rel='canonical']/@href"))
            match = _VB5_THREAD.search(url or "")
            return Thread(id=match.group(1) if match else None, title=text_of(vb5_title), url=url)
        thread_id = attr(root, "//input[@name='t']/@value")  # vBulletin 3
        return Thread(
            id=thread_id,
            title=text_of(first(root, f"//td[{has_class('navbar')}]/strong")) or None,
            url=page.url(f"showthread.php?t={thread_id}") if thread_id else None,
        )

    def pagination(self, page: Page) -> Pagination:
        root = page.root
        pages = Pagination(next=page.url(attr(root, "//link[@rel='next']/@href")))
        for where in (  # vBulletin 5, 3, 4 (a vB5 page also has a link-less div.pagenav)
            f"//div[{has_class('js-pagenav')}]",
            f"//div[{has_class('pagenav')}]",
            f"//*[{has_class('pagination')}]",
        ):
            nav = first(root, where)
            if nav is not None:
                break
        else:
            return pages
        if pages.next is None:
            pages.next = page.url(attr(nav, ".//a[@rel='next']/@href"))
        pages.links.update(numbered_links(page, find(nav, ".//a[@href]")))
        of = _PAGE_OF.search(text_of(first(root, f"//*[{has_class('pagenav-form')}]")) or "") or (
            _PAGE_OF.search(text_of(nav))
        )
        current = first(
            nav,
            f"(.//td[{has_class('alt2')}])[1]//strong | .//span[{has_class('selected')}]"
            f" | .//*[{has_class('js-pagenav-current-button')}]",
        )
        pages.current = number(text_of(current)) if current is not None else None
        if of:
            pages.current = pages.current or int(of.group(1))
            pages.last = int(of.group(2))
        elif pages.current is not None:
            pages.last = max(pages.current, *pages.links) if pages.links else pages.current
        vb5_total = text_of(first(root, f"//*[{has_class('pagetotal')}]"))
        total = small_int(vb5_total)
        if total is not None:
            pages.last = total
        return pages


# A vB3 quote is a div holding a "Quote:" label and a table; vB4/5 a bbcode_container.
_QUOTES = (
    f".//div[div[{has_class('smallfont')}] and table]"
    f" | .//div[{has_class('bbcode_container')}][.//div[{has_class('bbcode_quote')}]]"
)


def _clean(body: HtmlElement) -> None:
    """Labels and chrome inside a vBulletin message body."""
    # vB3 code, PHP and HTML blocks: a "Code:" label over a <pre> (or a div of <code>)
    for block in find(body, f".//div[div[{has_class('smallfont')}] and (pre or div)]"):
        label = first(block, f"./div[{has_class('smallfont')}]")
        if label is not None:
            drop(label)
        if first(block, ".//pre") is None:
            code = first(block, ".//code")
            if code is not None:
                as_pre(code)
    for code in find(body, f".//*[{has_class('bbcode_code')}][not(self::pre)]"):
        as_pre(code)
    drop_all(body, f".//div[{has_class('bbcode_description')}]")


register_parsers = engine_hook(VBulletinParser)
