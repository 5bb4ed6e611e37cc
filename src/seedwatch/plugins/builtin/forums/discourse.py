"""Built-in parser ``discourse``: Discourse topics, from the JSON API and the HTML
"crawler view", one Item per post.

JSON: ``/t/<id>.json`` (the topic, with ``post_stream.stream`` listing every
post id) and ``/t/<id>/posts.json`` (``post_ids[]=...``, or ``post_number=N``,
which answers the posts before N newest first, or after N with ``asc=true``).
Each post's ``cooked`` HTML is its body. HTML: the page Discourse serves to
clients without JavaScript (``div.crawler-post#post_N``, ``span.creator``,
``time.post-time``, ``itemprop=position``, ``div.post[itemprop=text]``).
Discourse's per-topic RSS is the ``rss`` parser's.

Keys are ``discourse:<host>:<topic id>/<post number>``: the only identity the
crawler view, the JSON API and Discourse's own quotes (``aside.quote
[data-topic][data-post]``, a post number) share; Discourse never renumbers a
topic's posts. Quotes, plain ``blockquote``\\s, link previews (``aside.onebox``)
and image metadata are taken out of the text; ``small_action`` posts ("closed
the topic") are not posts.

Pagination: a topic's JSON names the posts it did not load, which are fetched
20 at a time through ``posts.json?post_ids[]``; ``posts.json?post_number=N``
pages continue in their direction; the crawler view links ``?page=N``. The
crawler view names no last page, so a live poll of a Discourse topic should
watch ``/t/<id>.json`` (or the topic's RSS feed).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import cast
from urllib.parse import urljoin, urlsplit

from lxml.html import HtmlElement

from seedwatch.contracts import MAX_LIVE_PAGES
from seedwatch.models import Document, Item, Quote
from seedwatch.plugins.builtin.forums.discourse_json import (
    JsonTopic,
    by_ids,
    fragment,
    is_json,
    json_object,
    looks_like_post_stream,
    looks_like_topic_list,
)
from seedwatch.plugins.builtin.forums.discourse_json import next_pages as json_next_pages
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
    engine_hook,
    find,
    first,
    has_class,
    holding_text,
    key,
    netloc,
    number,
    small_int,
    take_quotes,
    text_of,
    thread_url,
)
from seedwatch.urls import join

_GENERATOR = re.compile(r"<meta\b[^>]*name=[\"']generator[\"'][^>]*content=[\"']Discourse", re.I)
_SUPPORT = ("crawler-post", "discourse-cdn", "data-discourse-setup", "/t/", "discourse")
_TOPIC_URL = re.compile(r"/t/(?:([^/?#]+)/)?(\d+)(?:[/?#]|$)")
_SMALL_ACTION = 3  # post_type of "closed the topic", "split this topic"...
_QUOTES = f".//aside[{has_class('quote')}] | .//blockquote"


class DiscourseParser(ForumParser):
    name = "discourse"
    engine = "discourse"
    label = "Discourse"
    expected = (
        "div.crawler-post#post_N (the HTML crawler view) or a JSON post_stream"
        " (/t/<id>.json, /t/<id>/posts.json)"
    )

    feed_paths = re.compile(r"\.rss(?:$|\?)")

    # -- sniffing: HTML crawler view, or the JSON API's structure

    def sniff(self, document: Document) -> float:
        media = (document.media_type or "").lower()
        head = document.head(4096).lstrip()
        if "json" in media or head.startswith("{"):
            if looks_like_post_stream(head):
                return 0.9
            # A topic list (/latest.json, a category's JSON): a board, not a topic;
            # claimed so that parsing it says so rather than "no parser".
            return 0.6 if looks_like_topic_list(head) else 0.0
        return super().sniff(document)

    def score(self, head: str) -> float:
        support = sum(s in head for s in _SUPPORT)
        if _GENERATOR.search(head):
            return min(0.95, 0.6 + 0.1 * support)
        return 0.6 if "crawler-post" in head and support >= 4 else 0.0

    # -- parsing

    def parse(self, document: Document) -> Iterable[Item]:
        if is_json(document):
            return holding_text(self._json_items(document))
        return super().parse(document)

    def next_pages(self, document: Document) -> Iterable[str]:
        if is_json(document):
            return json_next_pages(document)
        return super().next_pages(document)

    def live_pages(self, document: Document) -> Iterable[str]:
        if is_json(document):
            stream = JsonTopic.read(document)
            newest = stream.unloaded_chunks()[::-1][:MAX_LIVE_PAGES]
            return [by_ids(stream, ids) for ids in newest]
        return super().live_pages(document)

    # -- boards: a category or /latest, as JSON (topic_list) or the crawler view

    def sniff_board(self, document: Document) -> float:
        if is_json(document) and looks_like_topic_list(document.head(4096)):
            return 0.9
        return super().sniff_board(document)

    def has_posts(self, document: Document) -> bool:
        if is_json(document):
            stream = json_object(document).get("post_stream")
            return isinstance(stream, Mapping) and bool(stream.get("posts"))
        return super().has_posts(document)

    def thread_list(self, document: Document) -> list[ThreadEntry]:
        if not is_json(document):
            return super().thread_list(document)
        listing = json_object(document).get("topic_list")
        topics = listing.get("topics") if isinstance(listing, Mapping) else None
        if not isinstance(topics, list):
            return []
        found = []
        for topic in topics:
            if not isinstance(topic, Mapping) or not isinstance(topic.get("id"), int):
                continue
            slug = topic.get("slug") or "-"
            found.append(
                ThreadEntry(
                    url=urljoin(document.url, f"/t/{slug}/{topic['id']}.json"),
                    title=topic.get("title") if isinstance(topic.get("title"), str) else None,
                    activity=activity(
                        topic.get("last_posted_at") or topic.get("bumped_at"),
                        topic.get("posts_count"),
                    ),
                )
            )
        return found

    def threads(self, page: Page) -> Iterator[ThreadEntry]:
        # The crawler view's topic list (list/list.html.erb): a.raw-topic-link per
        # topic, the reply count in span.posts. A topic is fetched as its JSON, whose
        # live pages are the posts a poll has not seen (the crawler view names no
        # last page).
        for link in find(page.root, f"//a[{has_class('raw-topic-link')}]"):
            url = page.url(link.get("href"))
            path = urlsplit(url).path if url else ""
            match = _TOPIC_URL.search(path)
            row = first(link, "ancestor::tr[1]")
            if url is None or match is None:
                continue
            prefix = path[: match.start()]  # a Discourse installed under a sub-folder
            replies = (
                number(text_of(first(row, f".//*[{has_class('posts')}]")))
                if row is not None
                else None
            )
            yield ThreadEntry(
                url=thread_url(
                    urljoin(url, f"{prefix}/t/{match.group(1) or '-'}/{match.group(2)}.json")
                ),
                title=text_of(link) or None,
                activity=activity(replies),
            )

    def board_next(self, document: Document) -> str | None:
        if not is_json(document):
            return super().board_next(document)
        listing = json_object(document).get("topic_list")
        more = listing.get("more_topics_url") if isinstance(listing, Mapping) else None
        if not isinstance(more, str) or not more:
            return None
        path, _, query = more.partition("?")  # "/latest?page=1" -> "/latest.json?page=1"
        return urljoin(document.url, f"{path}.json" + (f"?{query}" if query else ""))

    def native_feed(self, document: Document) -> str | None:
        if not is_json(document):
            return super().native_feed(document)
        if "topic_list" in json_object(document):  # /latest.json -> /latest.rss
            parts = urlsplit(document.url)
            if parts.path.endswith(".json") and netloc(document.url):
                return f"{parts.scheme}://{parts.netloc}{parts.path[:-5]}.rss"
            return None
        topic = JsonTopic.read(document)
        if not topic.site_root or not topic.id:
            return None
        return urljoin(topic.site_root, f"/t/{topic.slug or '-'}/{topic.id}.rss")

    def login_wall(self, document: Document) -> bool:
        # The JSON API answers 403 for what a visitor may not see: no wall to read.
        return False if is_json(document) else super().login_wall(document)

    # -- HTML crawler view

    def posts(self, page: Page) -> Iterator[Post]:
        thread = self.thread(page)
        for el in find(
            page.root, f"//div[{has_class('crawler-post')} and starts-with(@id, 'post_')]"
        ):
            post_number = el.get("id", "").removeprefix("post_")
            body = first(el, f".//div[{has_class('post')} and @itemprop='text']")
            if small_int(post_number) is None or body is None or not thread.id:
                continue
            quotes = _take_quotes(self, page.host, thread.id, body)
            stamp = first(el, f".//time[@itemprop='datePublished' or {has_class('post-time')}]")
            published = dates.from_iso(stamp.get("datetime")) if stamp is not None else None
            modified = dates.from_iso(attr(el, ".//meta[@itemprop='dateModified']/@content"))
            author = text_of(
                first(el, f"(.//*[{has_class('creator')}])[1]//*[@itemprop='name']")
            ) or text_of(first(el, f"(.//*[{has_class('creator')}])[1]//a"))
            yield Post(
                id=f"{thread.id}/{post_number}",
                body=body,
                author=author or None,
                published=published,
                updated=modified if modified and published and modified > published else None,
                number=number(text_of(first(el, ".//*[@itemprop='position']")))
                or small_int(post_number),
                url=f"{thread.url}/{post_number}" if thread.url else None,
                quotes=quotes,
            )

    def thread(self, page: Page) -> Thread:
        if "thread" in page.cache:
            return cast(Thread, page.cache["thread"])
        url = page.url(attr(page.root, "//link[@rel='canonical']/@href"))
        match = _TOPIC_URL.search(urlsplit(url).path if url else "")
        title = text_of(first(page.root, "//*[@id='topic-title']//h1")) or page.meta("og:title")
        thread = Thread(id=match.group(2) if match else None, title=title or None, url=url)
        page.cache["thread"] = thread
        return thread

    def pagination(self, page: Page) -> Pagination:
        nav = page.url(attr(page.root, "//link[@rel='next']/@href")) or page.url(
            attr(page.root, "//*[@role='navigation']//a[@rel='next']/@href")
        )
        return Pagination(next=nav)

    # -- JSON API

    def _json_items(self, document: Document) -> Iterator[Item]:
        topic = JsonTopic.read(document)
        site_root = topic.site_root
        for raw in sorted(topic.posts, key=lambda p: int(p.get("post_number") or 0)):
            if raw.get("post_type") == _SMALL_ACTION or raw.get("deleted_at"):
                continue
            topic_id = str(raw.get("topic_id") or topic.id or "")
            post_number = raw.get("post_number")
            if not topic_id or not isinstance(post_number, int):
                continue
            body = fragment(str(raw.get("cooked") or ""))
            quotes = _take_quotes(self, topic.host, topic_id, body)
            published = dates.from_iso(raw.get("created_at"))
            updated = dates.from_iso(raw.get("updated_at"))
            post_url = raw.get("post_url")
            thread_url = (
                urljoin(site_root, f"/t/{raw.get('topic_slug') or topic.slug or '-'}/{topic_id}")
                if site_root
                else None
            )
            post = Post(
                id=f"{topic_id}/{post_number}",
                body=body,
                author=raw.get("username") or raw.get("name") or None,
                published=published,
                updated=updated if updated and published and updated > published else None,
                number=post_number,
                url=join(site_root, str(post_url)) if site_root and post_url else None,
                quotes=quotes,
                extra={"discourse_post_id": raw.get("id")} if raw.get("id") else {},
            )
            thread = Thread(id=topic_id, title=topic.title, url=thread_url)
            yield self._json_item(topic, post, thread)

    def _json_item(self, topic: JsonTopic, post: Post, thread: Thread) -> Item:
        page = Page(
            document=topic.document,
            root=post.body,
            html="",
            base=topic.site_root or topic.document.url,
            host=topic.host,
            site_url=topic.site_root,
        )
        return self.item(page, post, thread, None)


def _take_quotes(
    parser: DiscourseParser, host: str, topic_id: str, body: HtmlElement
) -> tuple[Quote, ...]:
    def read(el: HtmlElement) -> Quote:
        if el.tag != "aside":
            return Quote()  # a plain Markdown quote: quoted text, source not named
        quoted = el.get("data-post")
        quote_key = (
            key(parser.engine, host, f"{el.get('data-topic') or topic_id}/{quoted}")
            if quoted
            else None
        )
        return Quote(author=el.get("data-username") or None, key=quote_key)

    quotes = take_quotes(body, _QUOTES, read)
    drop_all(
        body,
        f".//aside[{has_class('onebox')}] | .//div[{has_class('lightbox-wrapper')}]"
        f"//div[{has_class('meta')}]",
    )
    return quotes


register_parsers = engine_hook(DiscourseParser)
