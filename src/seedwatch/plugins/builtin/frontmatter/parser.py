"""The ``frontmatter`` parser: sniffs a post's front-matter, skips drafts, and
maps a post's keys to an Item (see the package docstring for the mapping);
hands ``seedwatch: 1`` corpus files to ``corpus_files``."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from markdown_it import MarkdownIt

from seedwatch.contracts import Parser
from seedwatch.errors import ParseError
from seedwatch.hookspecs import hookimpl
from seedwatch.models import Document, Item
from seedwatch.plugins.builtin.frontmatter.bodies import (
    defused,
    repair_mojibake,
    strip_shortcodes,
)
from seedwatch.plugins.builtin.frontmatter.corpus_files import NAME, corpus_item
from seedwatch.plugins.builtin.frontmatter.formats import (
    JSON_KEY,
    TOML_CLOSE,
    TOML_KEY,
    TOML_OPEN,
    YAML_CLOSE,
    YAML_KEY,
    YAML_OPEN,
    FrontMatter,
    split,
)
from seedwatch.plugins.builtin.frontmatter.keys import (
    URL_KEYS,
    extension,
    fallback_key,
    item_url,
)
from seedwatch.plugins.builtin.frontmatter.values import (
    as_datetime,
    author,
    json_safe,
    source_timezone,
    tags,
    text_value,
)
from seedwatch.text import clean_text, html_to_text

# The name it logged under as one module, kept for users' logging config.
log = logging.getLogger("seedwatch.plugins.builtin.frontmatter")

_OUR_CORPUS = re.compile(r"seedwatch:[ \t]*\d+[ \t]*\r?$")

_MARKUP_EXTENSIONS = frozenset({".md", ".markdown", ".mdown", ".mkd", ".html", ".htm"})
_HTML_EXTENSIONS = frozenset({".html", ".htm"})
_NOT_POSTS = ("json", "xml", "rss", "atom", "javascript")
# markdown-it renders about 1.5 MB of text a second (pure Python), linearly; a
# real post is under 100 kB. A body past this bound is kept as its own plain
# Markdown text rather than costing the poll tens of seconds.
MAX_RENDERED_CHARS = 2_000_000

_DRAFT_STATUSES = frozenset({"draft", "pending", "private", "trash", "auto-draft"})
_PUBLISHED_KEYS = ("date", "publishdate", "published")
_UPDATED_KEYS = ("lastmod", "last_modified_at", "updated", "modified")
# Keys mapped to Item fields, left out of `extra`. Date keys join them only
# when their value was used (an unreadable or unused date stays in `extra`),
# `published` too when it is the draft flag.
_CONSUMED = frozenset(
    {"title", "author", "authors", "id", "guid", "slug", "tags", "categories", "draft", "status"}
    | set(URL_KEYS)
)


class FrontMatterParser(Parser):
    """Blog posts with YAML, TOML or JSON front-matter, and seedwatch corpus files."""

    name = NAME
    source_options = frozenset({"timezone", "base_url"})

    def __init__(self) -> None:
        self._markdown = MarkdownIt("commonmark").enable(["table", "strikethrough"])
        # A soft line break inside a Markdown paragraph is a space to the reader.
        self._markdown.add_render_rule("softbreak", lambda *args: " ")

    def sniff(self, document: Document) -> float:
        media = (document.media_type or "").lower()
        ext = extension(document)
        if any(kind in media for kind in _NOT_POSTS) or ext in (".json", ".xml", ".rss"):
            return 0.0
        head = document.head(8192).lstrip("\ufeff")
        bonus = 0.05 if ext in _MARKUP_EXTENSIONS else 0.0
        for opener, closer, key in (
            (YAML_OPEN, YAML_CLOSE, YAML_KEY),
            (TOML_OPEN, TOML_CLOSE, TOML_KEY),
        ):
            opened = opener.match(head)
            if not opened:
                continue
            closed = closer.search(head, opened.end())
            block = head[opened.end() : closed.start() if closed else len(head)]
            lines = [
                ln for ln in block.splitlines() if ln.strip() and not ln.lstrip().startswith("#")
            ]
            if not lines:  # an empty block: "---" twice
                return 0.6 + bonus if closed else 0.0
            if not key.match(lines[0]):
                return 0.0
            if closed and _OUR_CORPUS.match(lines[0]):
                return 1.0  # seedwatch's own corpus file: no other parser may claim it
            return (0.9 if closed else 0.7) + bonus
        if ext in _MARKUP_EXTENSIONS and JSON_KEY.match(head):
            return 0.7 + bonus
        return 0.0

    def parse(self, document: Document) -> Iterator[Item]:
        where = document.url
        text = document.text()
        found = split(text, where)
        if found is None:
            raise ParseError(
                f"{where}: no front-matter: expected the file to start with a '---' (YAML), "
                f"'+++' (TOML) or '{{' (JSON) block"
            )
        if found.meta.get("seedwatch") is not None:
            yield corpus_item(found, where)
            return
        repaired = repair_mojibake(text)
        if repaired != text:
            found = split(repaired, where) or found
        item = self._post(document, found, repaired=repaired != text)
        if item is not None:
            yield item

    # -- blog posts ---------------------------------------------------------

    def _post(self, document: Document, found: FrontMatter, *, repaired: bool) -> Item | None:
        meta = {str(k).lower(): v for k, v in reversed(found.meta.items())}
        draft = _draft_reason(meta)
        if draft:
            log.info("skipping draft %s (%s)", document.url, draft)
            return None
        source = document.source
        zone = source_timezone(source, UTC)
        notes: dict[str, str] = {}
        used = {"published"} if isinstance(meta.get("published"), bool) else set()
        dates: dict[str, datetime] = {}
        for field, keys in (("published", _PUBLISHED_KEYS), ("updated", _UPDATED_KEYS)):
            for key in keys:
                value = meta.get(key)
                if value is None or isinstance(value, bool):
                    continue
                when, note = as_datetime(value, zone)
                if when is not None:
                    if note:
                        notes[field] = f"{key}: {note}"
                    dates[field] = when
                    used.add(key)
                    break
        body = strip_shortcodes(found.body)
        rendered: str | None
        if extension(document) in _HTML_EXTENSIONS or "html" in (document.media_type or ""):
            rendered = body
        elif len(body) > MAX_RENDERED_CHARS:
            log.warning(
                "%s: Markdown body of %d characters kept as plain text, not rendered (over %d)",
                document.url,
                len(body),
                MAX_RENDERED_CHARS,
            )
            rendered = None
        else:
            rendered = self._markdown.render(defused(body))
        title = text_value(meta.get("title"))
        guid = text_value(meta.get("guid"))
        url = item_url(meta, source)
        extra: dict[str, Any] = {
            key: json_safe(value)
            for key, value in found.meta.items()
            if str(key).lower() not in _CONSUMED and str(key).lower() not in used
        }
        if notes:
            extra["dates_assumed"] = notes
        if repaired:
            extra["mojibake_repaired"] = True
        extra["front_matter"] = found.format
        if rendered is None:
            extra["not_rendered"] = f"body of {len(body)} characters"
            text = clean_text(body)
        else:
            text = html_to_text(rendered)
        if not text.strip():
            # A section page (Hugo `_index.md`), a layout-only page, a link with
            # a title and nothing else: the corpus holds texts, not titles.
            log.info("skipping %s: no text after the front-matter", document.url)
            return None
        return Item(
            key=guid or url or fallback_key(document, meta),
            text=text,
            parser=NAME,
            source=source.id if source else None,
            url=url,
            guid=guid,
            title=title,
            author=author(meta.get("author", meta.get("authors"))),
            published=dates.get("published"),
            updated=dates.get("updated"),
            html=rendered,
            tags=tags(meta.get("tags"), meta.get("categories")),
            extra=extra,
        )


def _draft_reason(meta: Mapping[str, Any]) -> str | None:
    if meta.get("draft") is True:
        return "draft: true"
    if meta.get("published") is False:
        return "published: false"
    status = meta.get("status")
    if isinstance(status, str) and status.strip().lower() in _DRAFT_STATUSES:
        return f"status: {status.strip()}"
    return None


@hookimpl
def register_parsers(register: Callable[[Parser], None]) -> None:
    register(FrontMatterParser())
