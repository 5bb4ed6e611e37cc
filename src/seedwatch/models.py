"""The value objects that cross the plugin boundary: Source, Document, Item.

Data flows one way through the pipeline (Source -> Document -> Item); each of
these is immutable. Transforms return a new Item (``dataclasses.replace``).
``Item`` validates itself on construction, so a plugin that yields a malformed
item gets an ``ItemValidationError`` naming the field, at the place it made it.
``clean_item`` then makes a well-typed item safe to record and write (values
that are typed right but cannot be stored: a lone surrogate, a NUL, a date
no calendar arithmetic survives), so one bad item never costs its siblings.
"""

from __future__ import annotations

import codecs
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from seedwatch.errors import ItemValidationError

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


@dataclass(frozen=True, slots=True)
class Source:
    """One configured thing to watch.

    ``options`` holds the kind- and parser-specific settings of the config
    entry (for instance ``base_url`` for a blog folder, ``stream`` for a
    FreshRSS source). ``credentials`` maps a credential name to the *value*
    read from the environment at start-up; it is never logged nor written.
    """

    id: str
    kind: str = "http"
    url: str | None = None
    path: str | None = None
    parser: str | None = None
    min_interval: timedelta = timedelta(minutes=15)
    max_interval: timedelta = timedelta(hours=6)
    options: Mapping[str, Any] = field(default_factory=dict)
    credentials: Mapping[str, str] = field(default_factory=dict, repr=False)

    @property
    def location(self) -> str:
        """The URL or path, for messages."""
        return self.url or self.path or "?"


@dataclass(frozen=True, slots=True)
class Document:
    """What one fetch returned. Parsers receive Documents and never do I/O.

    ``url`` is the final URL after redirects (``file://`` for local files);
    ``charset`` is the one the fetcher determined (a byte-order mark wins over
    the header), or ``None`` when neither said anything.
    """

    url: str
    content: bytes
    fetched: datetime
    media_type: str | None = None
    charset: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    source: Source | None = None

    def text(self) -> str:
        """The content decoded: BOM first, then ``charset``, then UTF-8, then cp1252.

        Never raises: undecodable bytes become U+FFFD only when no candidate fits.
        """
        data = self.content
        for bom, encoding in _BOMS:
            if data.startswith(bom):
                return data[len(bom) :].decode(encoding, errors="replace")
        candidates = [self.charset] if self.charset else []
        for encoding in [*candidates, "utf-8", "cp1252"]:
            try:
                return data.decode(encoding)
            except (UnicodeDecodeError, LookupError):
                continue
        return data.decode("utf-8", errors="replace")

    def head(self, size: int = 4096) -> str:
        """The first ``size`` bytes decoded leniently: what ``sniff`` should look at."""
        return Document(
            url=self.url, content=self.content[:size], fetched=self.fetched, charset=self.charset
        ).text()


@dataclass(frozen=True, slots=True)
class Quote:
    """A quoted post inside a forum post: who was quoted, and the key of that post if known."""

    author: str | None = None
    key: str | None = None


@dataclass(frozen=True, slots=True)
class ThreadRef:
    """Where a forum post sits: its thread and position, and the posts it quotes."""

    id: str | None = None
    title: str | None = None
    url: str | None = None
    post_number: int | None = None
    quotes: tuple[Quote, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "url": self.url,
            "post_number": self.post_number,
            "quotes": [{"author": q.author, "key": q.key} for q in self.quotes],
        }


def _check_datetime(name: str, value: object) -> None:
    if value is None:
        return
    if not isinstance(value, datetime):
        raise ItemValidationError(name, f"expected a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ItemValidationError(name, f"datetime {value.isoformat()} has no time zone")


def _check_optional_str(name: str, value: object) -> None:
    if value is not None and not isinstance(value, str):
        raise ItemValidationError(name, f"expected a string or None, got {type(value).__name__}")


def _parse_dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@dataclass(frozen=True, slots=True)
class Item:
    """One article, blog post or forum post.

    ``key`` is stable across fetches and unique within the corpus (a guid, a
    post id, or a hash when the format has neither). ``url`` is the item's own
    permalink: leave it ``None`` rather than giving a URL several items share.
    ``text`` is clean plain text, paragraphs separated by one blank line.
    """

    key: str
    text: str
    parser: str
    source: str | None = None
    url: str | None = None
    guid: str | None = None
    title: str | None = None
    author: str | None = None
    site: str | None = None
    published: datetime | None = None
    updated: datetime | None = None
    html: str | None = None
    tags: tuple[str, ...] = ()
    thread: ThreadRef | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.key, str) or not self.key.strip():
            raise ItemValidationError("key", "must be a non-empty string")
        if not isinstance(self.text, str):
            raise ItemValidationError("text", f"expected a string, got {type(self.text).__name__}")
        if not isinstance(self.parser, str) or not self.parser:
            raise ItemValidationError("parser", "must name the parser that made the item")
        for name in ("source", "url", "guid", "title", "author", "site", "html"):
            _check_optional_str(name, getattr(self, name))
        _check_datetime("published", self.published)
        _check_datetime("updated", self.updated)
        if not isinstance(self.tags, tuple) or not all(isinstance(t, str) for t in self.tags):
            raise ItemValidationError("tags", "expected a tuple of strings")
        if self.thread is not None and not isinstance(self.thread, ThreadRef):
            raise ItemValidationError("thread", "expected a ThreadRef or None")
        if not isinstance(self.extra, Mapping):
            raise ItemValidationError("extra", "expected a mapping")

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Item:
        """The inverse of ``to_json`` (the state keeps recorded items this way)."""
        thread = data.get("thread")
        return cls(
            key=data["key"],
            text=data["text"],
            parser=data["parser"],
            source=data.get("source"),
            url=data.get("url"),
            guid=data.get("guid"),
            title=data.get("title"),
            author=data.get("author"),
            site=data.get("site"),
            published=_parse_dt(data.get("published")),
            updated=_parse_dt(data.get("updated")),
            tags=tuple(data.get("tags") or ()),
            thread=ThreadRef(
                id=thread.get("id"),
                title=thread.get("title"),
                url=thread.get("url"),
                post_number=thread.get("post_number"),
                quotes=tuple(
                    Quote(q.get("author"), q.get("key")) for q in thread.get("quotes") or ()
                ),
            )
            if thread
            else None,
            extra=dict(data.get("extra") or {}),
        )

    def to_json(self) -> dict[str, Any]:
        """The item schema of ``seedwatch parse --json`` (every key present; missing = null)."""
        return {
            "key": self.key,
            "parser": self.parser,
            "source": self.source,
            "url": self.url,
            "guid": self.guid,
            "title": self.title,
            "author": self.author,
            "site": self.site,
            "published": self.published.isoformat() if self.published else None,
            "updated": self.updated.isoformat() if self.updated else None,
            "text": self.text,
            "tags": list(self.tags),
            "thread": self.thread.to_json() if self.thread else None,
            "extra": dict(self.extra),
        }


# Item dates outside these are nobody's publication date (Go's zero time
# "0001-01-01T00:00:00Z" means "no date"), and date arithmetic near the ends
# of the calendar overflows (year 1 at +05:00 is year 0 in UTC).
EARLIEST = datetime(1000, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)


def clean_item(item: Item) -> tuple[Item, list[str]]:
    """``item`` made safe to record, render and write, and what was changed.

    Strings everywhere in it (``extra`` and ``thread`` included) lose their lone
    surrogates (replaced by U+FFFD: they cannot be encoded) and NUL characters
    (PostgreSQL text cannot hold them); a date outside ``EARLIEST``..``LATEST``
    is dropped; ``extra`` values JSON cannot hold become strings. An item with
    nothing to change is returned as it is.
    """
    changes: dict[str, Any] = {}
    notes: list[str] = []
    for name in ("key", "text", "source", "url", "guid", "title", "author", "site", "html"):
        value = getattr(item, name)
        cleaned = _clean_text(value) if value is not None else None
        if cleaned != value:
            changes[name] = cleaned
            notes.append(f"{name}: {_text_note(value)}")
    for name in ("published", "updated"):
        value = getattr(item, name)
        if value is not None and not _plausible(value):
            changes[name] = None
            notes.append(f"{name}: {_date_text(value)} is no date (dropped)")
    tags = tuple(_clean_text(t) for t in item.tags)
    if tags != item.tags:
        changes["tags"] = tags
        notes.append(f"tags: {_text_note(' '.join(item.tags))}")
    if item.thread is not None:
        thread = _clean_thread(item.thread)
        if thread != item.thread:
            changes["thread"] = thread
            notes.append("thread: lone surrogates replaced or NUL characters removed")
    extra = _clean_json(dict(item.extra))
    if extra != item.extra:
        changes["extra"] = extra
        notes.append("extra: made storable (text cleaned, other values as strings)")
    if not changes:
        return item, []
    if changes.get("key") == "":
        raise ItemValidationError("key", "nothing is left of it once cleaned")
    return replace(item, **changes), notes


def _text_note(value: str) -> str:
    done = []
    if any(0xD800 <= ord(c) <= 0xDFFF for c in value):
        done.append("lone surrogates replaced by U+FFFD")
    if "\x00" in value:
        done.append("NUL characters removed")
    return ", ".join(done)


def _clean_text(value: str) -> str:
    if "\x00" in value:
        value = value.replace("\x00", "")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in value)
    return value


def _plausible(value: datetime) -> bool:
    try:
        return EARLIEST <= value.astimezone(UTC) < LATEST
    except (OverflowError, ValueError):
        return False


def _date_text(value: datetime) -> str:
    try:
        return value.isoformat()
    except ValueError:
        return repr(value)


def _clean_thread(thread: ThreadRef) -> ThreadRef:
    def opt(value: str | None) -> str | None:
        return _clean_text(value) if value is not None else None

    return ThreadRef(
        id=opt(thread.id),
        title=opt(thread.title),
        url=opt(thread.url),
        post_number=thread.post_number,
        quotes=tuple(Quote(opt(q.author), opt(q.key)) for q in thread.quotes),
    )


def _clean_json(value: Any) -> Any:
    """``value`` as JSON can hold it: text cleaned, mapping keys as strings, other
    values (a date from YAML front-matter, a set) as their string form."""
    if isinstance(value, str):
        return _clean_text(value)
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)  # JSON has no NaN
    if isinstance(value, Mapping):
        return {_clean_text(str(k)): _clean_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        cleaned = [_clean_json(v) for v in value]
        return cleaned if isinstance(value, list) else tuple(cleaned)
    if isinstance(value, datetime):
        return value.isoformat()
    return _clean_text(str(value))
