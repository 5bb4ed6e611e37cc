"""seedwatch's own corpus files (``seedwatch: 1`` front-matter) read back as
the Item they record, exactly: the body verbatim, provenance keys mapped back
to fields, anything else kept in ``extra``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from seedwatch.errors import ParseError
from seedwatch.models import Item, Quote, ThreadRef
from seedwatch.plugins.builtin.frontmatter.formats import FrontMatter
from seedwatch.plugins.builtin.frontmatter.values import as_datetime, json_safe

NAME = "frontmatter"
CORPUS_FORMAT = 1  # the `seedwatch: N` version this parser reads
_CORPUS_KEYS = frozenset(
    {
        "seedwatch", "key", "source", "parser", "url", "guid", "title", "author", "site",
        "published", "updated", "fetched", "tags", "thread", "revision_of",
    }
)  # fmt: skip


def corpus_item(found: FrontMatter, where: str) -> Item:
    """The Item a ``seedwatch: 1`` corpus file records, exactly: the body verbatim."""
    meta = found.meta
    version = meta.get("seedwatch")
    if version != CORPUS_FORMAT:
        raise ParseError(
            f"{where}: corpus file format 'seedwatch: {version}' is not one this version "
            f"reads (it reads {CORPUS_FORMAT}); upgrade seedwatch"
        )
    key = meta.get("key")
    if key is None or not str(key).strip():
        raise ParseError(f"{where}: corpus file (seedwatch: 1) has no 'key'")
    text = found.body[:-1] if found.body.endswith("\n") else found.body
    dates: dict[str, datetime | None] = {}
    for field in ("published", "updated", "fetched"):
        when, _ = as_datetime(meta.get(field))
        if meta.get(field) is not None and when is None:
            raise ParseError(f"{where}: corpus file field {field!r} is not a date: {meta[field]!r}")
        dates[field] = when
    extra: dict[str, Any] = {k: json_safe(v) for k, v in meta.items() if k not in _CORPUS_KEYS}
    if dates["fetched"] is not None:
        extra["fetched"] = dates["fetched"].isoformat()
    if meta.get("revision_of") is not None:
        extra["revision_of"] = str(meta["revision_of"])
    tags = meta.get("tags") or []
    return Item(
        key=str(key),
        text=text,
        parser=str(meta.get("parser") or NAME),
        source=_str(meta.get("source")),
        url=_str(meta.get("url")),
        guid=_str(meta.get("guid")),
        title=_str(meta.get("title")),
        author=_str(meta.get("author")),
        site=_str(meta.get("site")),
        published=dates["published"],
        updated=dates["updated"],
        tags=tuple(str(t) for t in (tags if isinstance(tags, list) else [tags])),
        thread=_thread(meta.get("thread"), where),
        extra=extra,
    )


def _str(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return value.isoformat() if isinstance(value, date) else str(value)


def _thread(value: object, where: str) -> ThreadRef | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ParseError(f"{where}: corpus file field 'thread' is not a map")
    number = value.get("post_number")
    quotes = value.get("quotes") or []
    try:
        return ThreadRef(
            id=_str(value.get("id")),
            title=_str(value.get("title")),
            url=_str(value.get("url")),
            post_number=int(number) if number is not None else None,
            quotes=tuple(
                Quote(author=_str(q.get("author")), key=_str(q.get("key"))) for q in quotes
            ),
        )
    except (TypeError, ValueError, AttributeError) as exc:
        raise ParseError(f"{where}: corpus file field 'thread' is malformed: {exc}") from None
