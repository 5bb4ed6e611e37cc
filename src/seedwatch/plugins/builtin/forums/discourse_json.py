"""Discourse's JSON API: ``/t/<id>.json`` and ``/t/<id>/posts.json`` answers
read (``JsonTopic``: the posts, the stream of every post id, the site), the
pages that hold the posts an answer did not load, and the small tests the
parser's sniffing and board reading use. Each post's ``cooked`` HTML becomes
an element (``fragment``); the parser makes Items of them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, cast
from urllib.parse import urlencode, urljoin, urlsplit

import lxml.html
from lxml import etree
from lxml.html import HtmlElement

from seedwatch import jsondoc
from seedwatch.errors import ParseError
from seedwatch.models import Document
from seedwatch.plugins.builtin.forums.engine import decode, netloc
from seedwatch.text import markup_safe

_AVATAR_HOST = re.compile(r"/user_avatar/([\w.-]+)/")
CHUNK = 20  # Discourse's posts per request


class JsonTopic:
    """A Discourse JSON answer: its posts, the stream of all post ids, and the site."""

    def __init__(self, document: Document, data: Mapping[str, Any]) -> None:
        self.document = document
        stream = data.get("post_stream")
        if not isinstance(stream, Mapping) or not isinstance(stream.get("posts"), list):
            raise ParseError(
                f"{document.url}: no Discourse posts found: expected a JSON object with"
                " post_stream.posts (/t/<id>.json or /t/<id>/posts.json)"
            )
        self.posts: list[Mapping[str, Any]] = [p for p in stream["posts"] if isinstance(p, Mapping)]
        raw_stream = stream.get("stream")
        self.stream: list[int] = (
            [i for i in raw_stream if isinstance(i, int)] if isinstance(raw_stream, list) else []
        )
        first_post = self.posts[0] if self.posts else {}
        self.id = str(data.get("id") or first_post.get("topic_id") or "") or None
        self.title = data.get("title") if isinstance(data.get("title"), str) else None
        self.slug = data.get("slug") or first_post.get("topic_slug")
        host = netloc(document.url)
        if host is None:  # a file: the site's host is in its avatar paths
            for post in self.posts:
                match = _AVATAR_HOST.search(str(post.get("avatar_template") or ""))
                if match:
                    host = match.group(1)
                    break
        self.host = host or "local"
        parts = urlsplit(document.url)
        if netloc(document.url):
            self.site_root: str | None = f"{parts.scheme}://{parts.netloc}/"
        else:
            self.site_root = f"https://{host}/" if host else None

    @classmethod
    def read(cls, document: Document) -> JsonTopic:
        try:
            data = jsondoc.loads(decode(document))
        except ValueError as exc:  # UnicodeDecodeError too
            raise ParseError(f"{document.url}: not valid Discourse JSON: {exc}") from exc
        if not isinstance(data, Mapping):
            raise ParseError(f"{document.url}: not valid Discourse JSON: not an object")
        return cls(document, data)

    def unloaded_chunks(self) -> list[list[int]]:
        loaded = {p.get("id") for p in self.posts}
        rest = [i for i in self.stream if i not in loaded]
        return [rest[i : i + CHUNK] for i in range(0, len(rest), CHUNK)]


def json_object(document: Document) -> Mapping[str, Any]:
    try:
        data = jsondoc.loads(decode(document))
    except ValueError as exc:  # UnicodeDecodeError too
        raise ParseError(f"{document.url}: not valid Discourse JSON: {exc}") from exc
    return data if isinstance(data, Mapping) else {}


def is_json(document: Document) -> bool:
    media = (document.media_type or "").lower()
    return "json" in media or document.head(64).lstrip().startswith("{")


def looks_like_post_stream(head: str) -> bool:
    return '"post_stream"' in head and ('"cooked"' in head or '"posts"' in head)


def looks_like_topic_list(head: str) -> bool:
    return '"topic_list"' in head and '"topics"' in head


def fragment(cooked: str) -> HtmlElement:
    if not cooked.strip():
        return lxml.html.Element("div")
    try:
        return cast(
            HtmlElement, lxml.html.fragment_fromstring(markup_safe(cooked), create_parent="div")
        )
    except (etree.ParserError, ValueError):
        return lxml.html.Element("div")


def next_pages(document: Document) -> list[str]:
    """The further posts of a topic's JSON: every post it did not load, 20 at a
    time; a ``posts.json?post_number=N`` page continues the way it goes."""
    topic = JsonTopic.read(document)
    if not topic.site_root or not topic.id:
        return []
    chunks = topic.unloaded_chunks()
    if chunks:  # a topic's JSON: every post it did not load, 20 at a time
        return [by_ids(topic, ids) for ids in chunks]
    numbers = [int(p["post_number"]) for p in topic.posts if isinstance(p.get("post_number"), int)]
    if not numbers or topic.stream:
        return []
    # posts.json?post_number=N pages: keep going the way the page goes
    descending = len(numbers) > 1 and numbers[0] > numbers[-1]
    if descending:
        low = min(numbers)
        return [] if low <= 1 else [by_number(topic, low, asc=False)]
    return [by_number(topic, max(numbers), asc=True)]


def by_ids(topic: JsonTopic, ids: list[int]) -> str:
    query = urlencode([("post_ids[]", str(i)) for i in ids])
    return urljoin(topic.site_root or "", f"/t/{topic.id}/posts.json?{query}")


def by_number(topic: JsonTopic, post_number: int, *, asc: bool) -> str:
    query = urlencode({"post_number": post_number, "asc": "true" if asc else "false"})
    return urljoin(topic.site_root or "", f"/t/{topic.id}/posts.json?{query}")
