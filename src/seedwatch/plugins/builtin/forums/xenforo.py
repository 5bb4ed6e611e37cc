"""Built-in parser ``xenforo``: XenForo 1 and 2 thread pages, one Item per post.

XenForo 2 (``<html id="XF">``): posts are ``article.message--post`` with
``data-author`` and ``data-content="post-N"``; dates are ``<time datetime
data-time>`` (absolute, with offset); quotes are ``blockquote.bbCodeBlock--quote``
with ``data-source="post: N"``. XenForo 1 (``<html id="XenForo">``): posts are
``li.message#post-N``; dates are ``abbr.DateTime[data-time]`` (epoch) for recent
posts and ``span.DateTime[title]`` text ("Oct 30, 2014 at 10:48 PM") for older
ones, in the visitor's zone, which the page gives away in ``serverTimeInfo``
(the epoch of the visitor's midnight); quotes are ``div.bbCodeQuote`` with an
``AttributionLink`` to ``goto/post?id=N``.

Only the post body is read (``div.bbWrapper`` / ``blockquote.messageText``), so
signatures, "Last edited:", reactions and attachment lists stay out; inside it,
quotes (with their "Click to expand..."), code-block titles, spoiler buttons
and link previews are removed.
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
    attr,
    dates,
    drop_all,
    each_post,
    engine_hook,
    find,
    first,
    has_class,
    number,
    take_quotes,
    text_of,
    thread_url,
)
from seedwatch.units import from_epoch

_XF2 = re.compile(r"<html\b[^>]*\bid=[\"']XF[\"']", re.I)
_XF1 = re.compile(r"<html\b[^>]*\bid=[\"']XenForo[\"']", re.I)
_SUPPORT = (
    "data-template=",
    "data-xf-init",
    "data-csrf=",
    "js/xenforo/",
    "_xfToken",
    "XenForo.",
    "xf_",
)
_SERVER_TIME = re.compile(r"serverTimeInfo:\s*\{\s*now:\s*(\d{1,12}),\s*today:\s*(\d{1,12})(?!\d)")
_POST_ID = re.compile(r"(?:post[-:]\s*|[?&]id=|/posts/)(\d+)")
_THREAD_ID = re.compile(r"/threads/(?:[^/]*\.)?(\d+)/?")

# A thread link a logged-in visitor sees may lead to its first unread or latest post.
_JUMP = re.compile(r"(?<=/)(?:unread|latest)/?$")

_XF2_POSTS = f"//article[{has_class('message--post')} and starts-with(@data-content, 'post-')]"
_XF1_POSTS = f"//li[{has_class('message')} and starts-with(@id, 'post-')]"


class XenForoParser(ForumParser):
    name = "xenforo"
    engine = "xenforo"
    label = "XenForo"
    expected = "article.message--post (XenForo 2) or li.message#post-N (XenForo 1) on a thread page"

    def score(self, head: str) -> float:
        marker = bool(_XF2.search(head) or _XF1.search(head))
        support = sum(s in head for s in _SUPPORT)
        if not marker or support < 1:
            return 0.0
        return min(0.95, 0.7 + 0.05 * support)

    # XenForo 1 and 2 name their feeds index.rss ("forums/-/index.rss" is the site's);
    # XenForo 2 links it from the page footer only.
    feed_paths = re.compile(r"(?:^|/)index\.rss(?:$|[?#])")

    def zone(self, page: Page) -> tzinfo:
        cached = page.cache.get("zone")
        if cached is None:
            match = _SERVER_TIME.search(page.html)
            cached = (
                dates.midnight_zone(int(match.group(1)), int(match.group(2))) if match else None
            ) or UTC
            page.cache["zone"] = cached
        return cast(tzinfo, cached)

    def posts(self, page: Page) -> Iterator[Post]:
        yield from each_post(page, _XF2_POSTS, self._xf2)
        yield from each_post(page, _XF1_POSTS, self._xf1)

    # -- XenForo 2

    def _xf2(self, page: Page, el: HtmlElement) -> Post | None:
        post_id = el.get("data-content", "").removeprefix("post-")
        body = first(
            el, f"(.//article[{has_class('message-body')}])[1]//div[{has_class('bbWrapper')}]"
        )
        if not post_id.isdigit() or body is None:
            return None  # a truncated page's last post, or a deleted-post placeholder
        quotes = take_quotes(
            body,
            f".//blockquote[{has_class('bbCodeBlock--quote')}]",
            lambda q: self._quote2(page, q),
        )
        _clean(body)
        header = first(el, f".//header[{has_class('message-attribution')}]")
        stamp = first(header, ".//time") if header is not None else None
        published = None
        if stamp is not None:
            published = from_epoch(stamp.get("data-time")) or dates.from_iso(stamp.get("datetime"))
        edited = first(el, f"(.//div[{has_class('message-lastEdit')}])[1]//time")
        updated = None
        if edited is not None:
            updated = from_epoch(edited.get("data-time")) or dates.from_iso(edited.get("datetime"))
        link = attr(el, f"(.//div[{has_class('message-attribution-main')}])[1]//a/@href")
        count = first(
            el,
            f"(.//ul[{has_class('message-attribution-opposite')}])[1]//a"
            "[starts-with(normalize-space(.), '#')]",
        )
        author = el.get("data-author") or text_of(first(el, f".//*[{has_class('message-name')}]"))
        return Post(
            id=post_id,
            body=body,
            author=author or None,
            published=published,
            updated=updated,
            number=number(text_of(count)),
            url=page.url(link),
            quotes=quotes,
            extra={"edited": True} if updated else {},
        )

    def _quote2(self, page: Page, el: HtmlElement) -> Quote:
        source = el.get("data-source") or attr(
            el, f".//a[{has_class('bbCodeBlock-sourceJump')}]/@href"
        )
        match = _POST_ID.search(source or "")
        return Quote(
            author=el.get("data-quote") or None,
            key=self.quote_key(page, match.group(1) if match else None),
        )

    # -- XenForo 1

    def _xf1(self, page: Page, el: HtmlElement) -> Post | None:
        post_id = el.get("id", "").removeprefix("post-")
        body = first(
            el,
            f"(.//div[{has_class('messageContent')}])[1]//blockquote[{has_class('messageText')}]",
        )
        if not post_id.isdigit() or body is None:
            return None
        quotes = take_quotes(
            body, f".//div[{has_class('bbCodeQuote')}]", lambda q: self._quote1(page, q)
        )
        _clean(body)
        meta = first(el, f".//div[{has_class('messageMeta')}]")
        published = None
        if meta is not None:
            published = self._date1(page, first(meta, f".//*[{has_class('DateTime')}]"))
        updated = self._date1(
            page, first(el, f".//div[{has_class('editDate')}]/*[{has_class('DateTime')}]")
        )
        permalink = attr(el, f".//a[{has_class('datePermalink')}]/@href")
        count = first(el, f".//a[{has_class('postNumber')}]")
        author = el.get("data-author") or text_of(first(el, f".//a[{has_class('username')}]"))
        return Post(
            id=post_id,
            body=body,
            author=author or None,
            published=published,
            updated=updated,
            number=number(text_of(count)),
            url=page.url(permalink),
            quotes=quotes,
            extra={"edited": True} if updated else {},
        )

    def _date1(self, page: Page, el: HtmlElement | None) -> datetime | None:
        if el is None:
            return None
        # abbr.DateTime carries the epoch; span.DateTime (older posts) only the
        # human text, in the visitor's zone.
        return from_epoch(el.get("data-time")) or self.date(page, el.get("title") or text_of(el))

    def _quote1(self, page: Page, el: HtmlElement) -> Quote:
        source = attr(el, f".//a[{has_class('AttributionLink')}]/@href")
        match = _POST_ID.search(source or "")
        author = el.get("data-author")
        if not author:
            author = text_of(first(el, f".//div[{has_class('attribution')}]")).removesuffix(
                " said:"
            )
        return Quote(
            author=author or None, key=self.quote_key(page, match.group(1) if match else None)
        )

    # -- a forum's thread list

    def threads(self, page: Page) -> Iterator[ThreadEntry]:
        # XenForo 2: div.structItem--thread; the title link is marked data-tp-primary
        # (a prefix label link may come before it); the latest post's <time> carries
        # its epoch, the meta cell the reply count.
        for row in find(page.root, f"//div[{has_class('structItem--thread')}]"):
            title = f".//div[{has_class('structItem-title')}]"
            link = first(row, f"{title}/a[@data-tp-primary='on']")
            if link is None:
                link = first(row, f"{title}/a[not({has_class('labelLink')})]")
            latest = first(row, f"(.//div[{has_class('structItem-cell--latest')}])[1]//time")
            replies = text_of(first(row, f".//div[{has_class('structItem-cell--meta')}]/dl[1]/dd"))
            entry = self._entry(page, link, latest, replies)
            if entry is not None:
                yield entry
        # XenForo 1: li.discussionListItem; h3.title's last link is the thread (an
        # "unread" jump and a prefix link may sit beside it); the last post's date is
        # abbr.DateTime[data-time] (recent) or span.DateTime[title].
        for row in find(page.root, f"//li[{has_class('discussionListItem')}]"):
            link = first(
                row,
                f".//h3[{has_class('title')}]/a[not({has_class('prefixLink')})"
                f" and not({has_class('unreadLink')})][last()]",
            )
            latest = first(row, f"(.//div[{has_class('lastPost')}])[1]//*[{has_class('DateTime')}]")
            replies = text_of(first(row, f".//div[{has_class('stats')}]/dl[1]/dd"))
            entry = self._entry(page, link, latest, replies)
            if entry is not None:
                yield entry

    def _entry(
        self, page: Page, link: HtmlElement | None, latest: HtmlElement | None, replies: str
    ) -> ThreadEntry | None:
        url = page.url(link.get("href")) if link is not None else None
        if not url:
            return None
        stamp = None
        if latest is not None:
            stamp = latest.get("data-time") or latest.get("datetime") or latest.get("title")
        return ThreadEntry(
            url=thread_url(_JUMP.sub("", url)),
            title=text_of(link) or None,
            activity=activity(stamp, replies),
        )

    # -- the thread

    def thread(self, page: Page) -> Thread:
        root = page.root
        title = text_of(first(root, f"//h1[{has_class('p-title-value')}]")) or text_of(
            first(root, f"//div[{has_class('titleBar')}]/h1")
        )
        url = page.meta("og:url") or attr(root, "//link[@rel='canonical']/@href")
        url = page.url(url)
        thread_id = (root.get("data-content-key") or "").removeprefix("thread-")
        if not thread_id.isdigit():
            match = _THREAD_ID.search(url or "")
            thread_id = match.group(1) if match else ""
        return Thread(id=thread_id or None, title=title or page.meta("og:title"), url=url)

    def pagination(self, page: Page) -> Pagination:
        root = page.root
        pages = Pagination(next=page.url(attr(root, "//link[@rel='next']/@href")))
        nav = first(root, f"//div[{has_class('PageNav')}]")
        if nav is not None:  # XenForo 1
            pages.current = number(nav.get("data-page"))
            pages.last = number(nav.get("data-last"))
            anchors = find(nav, ".//a[@href]")
        else:  # XenForo 2
            nav = first(root, f"//*[{has_class('pageNav-main')}]")
            anchors = find(nav, ".//a[@href]") if nav is not None else []
            current = first(root, f"//li[{has_class('pageNav-page--current')}]")
            pages.current = number(text_of(current)) if current is not None else None
        for a in anchors:
            n = number(text_of(a))
            url = page.url(a.get("href"))
            if n is not None and url and text_of(a).isdigit():
                pages.links[n] = url
        if pages.links and pages.current is not None:
            pages.last = max(pages.last or 0, pages.current, *pages.links)
        return pages


def _clean(body: HtmlElement) -> None:
    """Chrome inside a XenForo post body (both versions)."""
    drop_all(
        body,
        f".//div[{has_class('messageTextEndMarker')}]"
        f" | .//div[{has_class('bbCodeBlock--unfurl')}]"
        f" | .//div[{has_class('bbCodeBlock--code')}]/div[{has_class('bbCodeBlock-title')}]"
        f" | .//div[{has_class('bbCodeCode')}]//div[{has_class('type')}]"
        f" | .//button[{has_class('bbCodeSpoiler-button')}]"
        f" | .//div[{has_class('js-selectToQuoteEnd')}]",
    )


register_parsers = engine_hook(XenForoParser)
