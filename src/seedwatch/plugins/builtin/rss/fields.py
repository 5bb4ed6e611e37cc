"""Which feed element fills which field: the walk behind the fast feed reader.

Not a plugin: a helper of ``seedwatch.plugins.builtin.rss.fast``. Walks an lxml
tree of an RSS/RDF/Atom document in document order and fills the fields the
``rss`` parser reads, by feedparser 6.0's rules (so that both paths give the
same Items): a title is the first non-empty one at the shallowest depth; other
fields are overwritten by a later element at the same or a shallower depth; a
guid that is a permalink is the link unless a link element says otherwise;
a description after a summary is content. Element names and value rules are
in ``names``; ``Unsupported`` means "let feedparser read this".
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from seedwatch.plugins.builtin.rss.dates import parse_date
from seedwatch.plugins.builtin.rss.names import (
    AUTHORS,
    CATEGORIES,
    DESCRIPTIONS,
    HANDLED,
    HTML_TYPES,
    KEYWORD_LISTS,
    LINK_REF,
    PERSON_PARTS,
    PUBLISHED,
    RDF_ABOUT,
    REFUSED,
    SUMMARIES,
    TITLES,
    UPDATED,
    Unsupported,
    attributes,
    content_type,
    field_name,
    fix,
    looks_like_html,
    resolve,
    safe_base,
    text_of,
    words,
)
from seedwatch.plugins.builtin.rss.walkparts import add_tag, feed_version, own_base, sync_author

# Elements read as content (their markup is text, never walked) that name no
# field we read.
_OPAQUE = words(
    """subtitle tagline rights copyright info feedburner_browserfriendly dc_rights
    itunes_subtitle"""
)
_ITEMS = frozenset(("item", "entry"))
# What may be inside <image> and <textInput>: any other element makes
# feedparser read the rest of it as the channel's.
_IMAGE_PARTS = frozenset(("title", "link", "description", "url", "width", "height"))
_TEXTINPUT_PARTS = frozenset(("title", "link", "description", "name"))


class _Context:
    """The dict being filled (the feed or one entry) and its bookkeeping."""

    __slots__ = ("data", "depths", "entry", "has_content")

    def __init__(self, entry: bool) -> None:
        self.data: dict[str, Any] = {}
        self.depths: dict[str, int] = {}
        self.entry = entry
        self.has_content = False

    def store(self, key: str, value: str, depth: int, kind: str | None = None) -> None:
        if not self.entry:
            self.data[key] = value
        else:
            old = self.depths.get(key)
            if old is None or depth <= old:
                self.depths[key] = depth
                self.data[key] = value
        if kind is not None:
            self.data[key + "_detail"] = {"type": kind}


class _Walk:
    """One document's walk (see the module docstring)."""

    def __init__(self, version: str) -> None:
        self.version = version
        self.atom = version.startswith("atom")
        self.title_depth = -1
        self.feed = _Context(entry=False)
        self.entries: list[dict[str, Any]] = []

    # -- values --------------------------------------------------------------

    def content_value(self, el: etree._Element, default: str) -> tuple[str, str]:
        attrs = attributes(el)
        if attrs.get("mode", "escaped") != "escaped":
            raise Unsupported(f"content mode {attrs['mode']!r}")
        kind = content_type(attrs.get("type", default))
        if not kind.startswith("text/"):
            raise Unsupported(f"content type {kind!r}")
        value = text_of(el)
        if not self.atom and kind == "text/plain" and looks_like_html(value):
            kind = "text/html"
        return fix(value), kind

    # -- elements --------------------------------------------------------------

    def title(self, ctx: _Context, el: etree._Element, depth: int, name: str) -> None:
        value, kind = self.content_value(el, "text/plain")
        if not -1 < self.title_depth <= depth:
            ctx.store("title", value, depth, kind)
        if value and name != "media_title":
            self.title_depth = depth

    def content(self, ctx: _Context, el: etree._Element, default: str) -> None:
        ctx.has_content = True
        declared = content_type(attributes(el).get("type", default))
        value, kind = self.content_value(el, default)
        ctx.data.setdefault("content", []).append({"type": kind, "value": value})
        if declared in ("text/plain", "text/html", "application/xhtml+xml"):
            ctx.data.setdefault("summary", value)

    def summary(self, ctx: _Context, el: etree._Element, depth: int, default: str) -> None:
        if "summary" in ctx.data and not ctx.has_content:
            self.content(ctx, el, "text/plain")
            return
        value, kind = self.content_value(el, default)
        ctx.store("summary", value, depth, kind)

    def link(self, ctx: _Context, el: etree._Element, depth: int, base: str) -> None:
        attrs = attributes(el)
        rel = attrs.get("rel", "alternate")
        kind = attrs.get("type", "application/atom+xml" if rel == "self" else "text/html")
        href = attrs.get("url", attrs.get("uri", attrs.get("href")))
        links = ctx.data.setdefault("links", [])
        if href or "href" in attrs:
            resolved = resolve(href or attrs["href"], base)
            links.append({"rel": rel, "type": kind, "href": resolved})
            if rel == "alternate" and content_type(kind) in HTML_TYPES:
                ctx.data["link"] = resolved
            return
        links.append({"rel": rel, "type": kind})
        value = text_of(el)
        value = fix(resolve(value, base) if value else value)
        if ctx.entry:
            value = value.replace("&amp;", "&")
        if "&" in value:
            value = LINK_REF.sub(r"&\g<1>", value)
        ctx.data["link"] = value
        if value:
            links[-1]["href"] = value

    def guid(self, ctx: _Context, el: etree._Element, depth: int, base: str) -> None:
        is_link = attributes(el).get("ispermalink", "true") == "true"
        value = text_of(el)
        if is_link and value:
            value = resolve(value, base)
        value = fix(value)
        ctx.store("id", value, depth)
        if is_link:
            ctx.data.setdefault("link", value)

    def author(self, ctx: _Context, el: etree._Element, depth: int, base: str) -> None:
        data = ctx.data
        data.setdefault("authors", []).append({})
        own = [el.text or ""]
        for child in el:
            if not isinstance(child.tag, str):
                own.append(child.tail or "")
                continue
            child_name = field_name(child)
            key = PERSON_PARTS.get(child_name)
            if key is None:
                # An element feedparser has no rule for (Blogger's gd:image) keeps
                # its own text unless it has attributes: then it joins the author's.
                if child_name in HANDLED or ((len(child) or child.text) and child.attrib):
                    raise Unsupported(f"<{child_name}> in an author")
                if len(child):
                    raise Unsupported(f"markup inside <{child_name}> in an author")
                own.append(child.tail or "")
                continue
            value = text_of(child)
            if key == "href":
                value = fix(resolve(value, base) if value else value)
            data.setdefault("author_detail", {})[key] = value
            sync_author(data)
            data["authors"][-1][key] = value
            own.append(child.tail or "")
        ctx.store("author", fix("".join(own).strip()), depth)
        sync_author(data)

    def date(self, ctx: _Context, el: etree._Element, depth: int, key: str) -> None:
        value = fix(text_of(el))
        ctx.store(key, value, depth)
        ctx.data[key + "_parsed"] = parse_date(value)

    def category(self, ctx: _Context, el: etree._Element, depth: int, base: str, name: str) -> None:
        tags = ctx.data.setdefault("tags", [])
        attrs = attributes(el)
        if name == "itunes_category":
            add_tag(tags, attrs.get("text"), "http://www.itunes.com/", None)
            own = [el.text or ""]
            for child in el:
                self.visit(ctx, child, depth + 1, base)
                own.append(child.tail or "")
            value = fix("".join(own).strip())
        else:
            if name == "media_category":
                attrs.setdefault("scheme", "http://search.yahoo.com/mrss/category_schema")
            scheme = attrs.get("scheme", attrs.get("domain"))
            add_tag(tags, attrs.get("term"), scheme, attrs.get("label"))
            value = fix(text_of(el))
        if value:
            if tags and not tags[-1]["term"]:
                tags[-1]["term"] = value
            else:
                add_tag(tags, value, None, None)

    def keywords(self, ctx: _Context, el: etree._Element, name: str) -> None:
        tags = ctx.data.setdefault("tags", [])
        for term in text_of(el).split(","):
            if term.strip():
                add_tag(tags, term.strip(), KEYWORD_LISTS[name], None)

    def comments(self, ctx: _Context, el: etree._Element, depth: int, base: str) -> None:
        attrs = attributes(el)
        if attrs:
            ctx.data["comments"] = attrs
            return
        value = text_of(el)
        ctx.store("comments", fix(resolve(value, base) if value else value), depth)

    # -- the walk ------------------------------------------------------------------

    def visit(self, ctx: _Context, el: etree._Element, depth: int, base: str) -> None:
        name = field_name(el)
        if not name:
            return
        base = own_base(el, base)
        if name in TITLES:
            self.title(ctx, el, depth, name)
        elif name == "link":
            self.link(ctx, el, depth, base)
        elif name in _ITEMS:
            if ctx.entry:
                raise Unsupported("an entry inside an entry")
            self.entry(el, depth, base)
        elif not ctx.entry:
            self.visit_feed(ctx, el, depth, base, name)
        elif name in DESCRIPTIONS:
            self.summary(ctx, el, depth, "text/html")
        elif name in SUMMARIES:
            self.summary(ctx, el, depth, "text/plain")
        elif name == "abstract":
            value, kind = self.content_value(el, "text/plain")
            ctx.store("summary", value, depth, kind)
        elif name in ("content_encoded", "fullitem"):
            self.content(ctx, el, "text/html")
        elif name == "content":
            self.content(ctx, el, "text/plain")
        elif name in ("guid", "id"):
            self.guid(ctx, el, depth, base)
        elif name in AUTHORS:
            self.author(ctx, el, depth, base)
        elif name in PUBLISHED:
            self.date(ctx, el, depth, "published")
        elif name in UPDATED:
            self.date(ctx, el, depth, "updated")
        elif name in CATEGORIES or name == "itunes_category":
            self.category(ctx, el, depth, base, name)
        elif name in KEYWORD_LISTS:
            self.keywords(ctx, el, name)
        elif name == "comments":
            self.comments(ctx, el, depth, base)
        elif name == "source":
            self.title_depth = -1  # its children describe another feed
        elif name in ("image", "textinput") or name in REFUSED:
            raise Unsupported(f"<{name}> in an entry")
        elif name not in _OPAQUE:
            for child in el:
                self.visit(ctx, child, depth + 1, base)

    def visit_feed(
        self, ctx: _Context, el: etree._Element, depth: int, base: str, name: str
    ) -> None:
        """A feed-level element other than a title, link or entry."""
        if name in AUTHORS:
            if self.atom:
                self.author(ctx, el, depth, base)
        elif name in ("image", "textinput"):
            self.title_depth = -1
            allowed = _IMAGE_PARTS if name == "image" else _TEXTINPUT_PARTS
            if any(isinstance(c.tag, str) and field_name(c) not in allowed for c in el):
                raise Unsupported(f"unexpected element in <{name}>")
        elif name == "itunes_owner" and not self.atom:
            return  # names a publisher: only an Atom feed's people are read
        elif name in REFUSED or name == "source":
            raise Unsupported(f"<{name}> at feed level")
        elif (
            name in _OPAQUE
            or name in DESCRIPTIONS
            or name in SUMMARIES
            or name in ("content", "content_encoded", "abstract")
        ):
            return
        else:
            for child in el:
                self.visit(ctx, child, depth + 1, base)

    def entry(self, el: etree._Element, depth: int, base: str) -> None:
        attrs = attributes(el)
        if "lastmod" in attrs or "href" in attrs:
            raise Unsupported("CDF attributes on an entry")
        ctx = _Context(entry=True)
        self.title_depth = -1
        about = el.get(RDF_ABOUT)
        if about:
            ctx.data["id"] = about
        for child in el:
            self.visit(ctx, child, depth + 1, base)
        self.entries.append(ctx.data)

    def container(self, el: etree._Element, base: str, feed: bool) -> None:
        """The children of the root (``feed``: the root is the feed) or of a channel."""
        outside = _Context(entry=False)  # elements outside the channel fill nothing we read
        for child in el:
            name = field_name(child)
            if name == "channel" and not feed:
                if {"lastmod", "href"} & attributes(child).keys():
                    raise Unsupported("CDF attributes on the channel")
                channel_base = own_base(child, base)
                for grandchild in child:
                    self.visit(self.feed, grandchild, 3, channel_base)
            elif name in _ITEMS:
                self.entry(child, 2, own_base(child, base))
            elif feed:
                self.visit(self.feed, child, 2, base)
            elif name in ("image", "textinput"):
                self.title_depth = -1
            elif name in REFUSED:
                raise Unsupported(f"<{name}> at the top")
            else:
                self.visit(outside, child, 2, base)


def walk_feed(root: etree._Element, base: str = "") -> dict[str, Any]:
    """The fields of a parsed document; ``Unsupported`` when feedparser must read it.

    ``base``: the document's URL when it uses ``xml:base`` (relative bases and
    the URLs under them resolve against it), else "" (URLs stay as written).
    """
    name = field_name(root)
    walk = _Walk(feed_version(root, name))
    walk.container(root, own_base(root, safe_base(base)), feed=name == "feed")
    found = sum(1 for el in root.iter("{*}item", "{*}entry") if field_name(el) in _ITEMS)
    if found != len(walk.entries):
        raise Unsupported("entries outside the places a feed has them")
    return {
        "version": walk.version,
        "bozo": False,
        "feed": walk.feed.data,
        "entries": walk.entries,
    }
