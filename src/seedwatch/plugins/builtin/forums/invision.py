"""Built-in parser ``invision``: Invision Community (IPS 4) topic pages, one Item per post.

Posts are ``article.cPost#elComment_N`` holding ``div[data-commentID]``; the
author is ``aside.cAuthorPane h3 strong`` (a profile link, or a guest's bare
name); the date is "Posted <time datetime>" (UTC); the body is
``div[data-role=commentContent]``. Quotes are ``blockquote.ipsQuote`` with
``data-ipsquote-username`` and ``data-ipsquote-contentcommentid`` (the quoted
post). The "Edited <time> by X" line (read into ``updated``) and spoiler
headers are taken out of the body; reactions and the member signature sit
outside it. IPS prints no post numbers; they are counted from the page's
place in the topic (``data-ipsPagination-perPage``) when the page says it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

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
    "ipsApp",
    "ips.setSetting",
    "ipsDebug",
    "core.front.core.app",
    "css_built_",
    "ipsComment",
    "data-ipsquote",
)
_TOPIC = re.compile(r"/topic/(\d+)-")
# "?do=getNewComment", "?do=getLastComment": jumps within the topic, not the topic.
_JUMP = re.compile(r"[?&]do=get\w+$")

_POSTS = f"//article[{has_class('cPost')} and starts-with(@id, 'elComment_')]"


class InvisionParser(ForumParser):
    name = "invision"
    engine = "invision"
    label = "Invision Community"
    expected = "article.cPost#elComment_N with div[data-role=commentContent] on a topic page"
    support = _SUPPORT

    # IPS 4 feeds are made by the admin at /rss/<id>-<name>.xml/
    feed_paths = re.compile(r"/rss/\d+-[^/]*\.xml")

    def posts(self, page: Page) -> Iterator[Post]:
        pages = self.pagination(page)
        per_page = number(
            attr(page.root, "//ul[@data-ipspagination-perpage]/@data-ipspagination-perpage")
        )
        first_number = (pages.current - 1) * per_page + 1 if pages.current and per_page else None
        for index, el in enumerate(find(page.root, _POSTS)):
            post_id = el.get("id", "").removeprefix("elComment_")
            body = first(el, ".//div[@data-role='commentContent']")
            if not post_id.isdigit() or body is None:
                continue
            quotes = take_quotes(
                body, f".//blockquote[{has_class('ipsQuote')}]", lambda q: self._quote(page, q)
            )
            edited = first(body, "(.//*[@data-excludequote][contains(., 'Edited')])[1]//time")
            updated = dates.from_iso(edited.get("datetime")) if edited is not None else None
            for note in find(body, ".//*[@data-excludequote]"):
                drop(note)
            drop_all(body, f".//div[{has_class('ipsSpoiler_header')}]")
            meta = f".//div[{has_class('ipsComment_meta')}]"
            link = attr(el, f"{meta}//a[contains(@href, 'comment={post_id}')]/@href")
            stamp = first(el, f"{meta}//time[@datetime]")
            author = text_of(first(el, f"(.//*[{has_class('cAuthorPane_author')}])[1]//strong"))
            yield Post(
                id=post_id,
                body=body,
                author=author or None,
                published=dates.from_iso(stamp.get("datetime")) if stamp is not None else None,
                updated=updated,
                number=first_number + index if first_number else None,
                url=page.url(link),
                quotes=quotes,
            )

    def _quote(self, page: Page, el: HtmlElement) -> Quote:
        author = el.get("data-ipsquote-username")
        if not author:
            citation = text_of(first(el, f"./div[{has_class('ipsQuote_citation')}]"))
            author = citation.removesuffix(" said:") if citation.endswith(" said:") else None
        return Quote(
            author=author or None,
            key=self.quote_key(page, el.get("data-ipsquote-contentcommentid")),
        )

    def threads(self, page: Page) -> Iterator[ThreadEntry]:
        # forums/front/forums/topicRow: li.ipsDataItem[data-rowID]; the title link in
        # h4.ipsDataItem_title; the replies in the forums_comments stat; the last
        # post's <time datetime> in ul.ipsDataItem_lastPoster.
        for row in find(page.root, f"//li[{has_class('ipsDataItem')} and @data-rowid]"):
            link = first(
                row, f"(.//h4[{has_class('ipsDataItem_title')}])[1]//a[contains(@href, '/topic/')]"
            )
            url = page.url(link.get("href")) if link is not None else None
            if not url:
                continue
            replies = number(text_of(first(row, ".//li[@data-stattype='forums_comments']")))
            stamp = attr(row, f"(.//ul[{has_class('ipsDataItem_lastPoster')}])[1]//time/@datetime")
            yield ThreadEntry(
                url=thread_url(_JUMP.sub("", url)),
                title=text_of(link) or None,
                activity=activity(stamp, replies),
            )

    def thread(self, page: Page) -> Thread:
        url = page.url(attr(page.root, "//link[@rel='canonical']/@href") or page.meta("og:url"))
        match = _TOPIC.search(url or "")
        title = text_of(first(page.root, f"//h1[{has_class('ipsType_pageTitle')}]"))
        return Thread(
            id=match.group(1) if match else None, title=title or page.meta("og:title"), url=url
        )

    def pagination(self, page: Page) -> Pagination:
        root = page.root
        pages = Pagination(next=page.url(attr(root, "//link[@rel='next']/@href")))
        nav = first(root, f"//ul[{has_class('ipsPagination')}]")
        if nav is None:
            return pages
        anchors = find(nav, f".//li[{has_class('ipsPagination_page')}]/a[@href]")
        for n, url in numbered_links(page, anchors).items():
            pages.links[n] = url.split("#", 1)[0]
        pages.current = number(text_of(first(nav, f".//li[{has_class('ipsPagination_active')}]")))
        pages.last = number(nav.get("data-ipspagination-pages") or nav.get("data-pages"))
        if pages.next:
            pages.next = pages.next.split("#", 1)[0]
        return pages


register_parsers = engine_hook(InvisionParser)
