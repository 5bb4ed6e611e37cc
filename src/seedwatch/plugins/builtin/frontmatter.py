"""Parser ``frontmatter``: blog posts kept as Markdown or HTML with front-matter.

Owns reading the posts that Jekyll, Hugo and the WordPress exporters
(jekyll-import, wordpress-to-jekyll-exporter, wordpress-to-hugo-exporter)
write: a YAML (``---``), TOML (``+++``) or JSON (``{...}``) block, then the
body. YAML goes through ``seedwatch.safeyaml`` only. Also reads seedwatch's
own corpus files (``seedwatch: 1`` in the front-matter), returning the
recorded item exactly.

Field mapping (key names are matched case-insensitively, as Hugo does):

- ``title``: a list-valued title (Yoast postmeta) takes its first element;
  HTML entities decoded, invisible characters (U+FEFF...) dropped.
- ``published``: ``date``, else ``publishDate``, else a ``published`` that is a
  date (``published: false`` is a draft flag, not a date).
- ``updated``: ``lastmod``, ``last_modified_at``, ``updated`` or ``modified``.
- ``author`` / ``authors``: a string, a list, or a map (``display_name``,
  ``name``, ``first_name`` + ``last_name``, ``login``); several are joined
  with ", ".
- ``tags`` then ``categories``, as tags (a string holding commas is split on
  them, else on whitespace as Jekyll does).
- everything else goes to ``extra`` (so does a date key whose value was
  not used or could not be read), made JSON-serialisable (dates as ISO
  strings, ``bytes`` as base64).

Dates: offsets such as ``+1000`` are understood. A naive date-time or a bare
date is taken in ``source.options["timezone"]`` (as Jekyll takes them in the
site's ``timezone``), else in UTC (a bare date at midnight); either case is
recorded in ``extra["dates_assumed"]``.

Drafts (``draft: true``, ``published: false``, ``status`` draft, pending,
private, trash or auto-draft) yield no item and are logged at info level;
so do posts with no text after the front-matter.

Body: Hugo shortcodes (``{{< ... >}}``, ``{{% ... %}}``) are dropped, and so
are WordPress shortcode tags (``[caption ...]``, ``[sourcecode]``,
``[slideshare ...]``, and any ``[name]`` that has a ``[/name]``), their inner
text kept. ``.html`` files (or ``text/html`` documents) are HTML; anything
else is Markdown, rendered by markdown-it-py (CommonMark, tables,
strikethrough) and turned into plain text with ``seedwatch.text.html_to_text``.
A document whose text is UTF-8 decoded twice (mojibake such as ``despuÃ©s``)
is repaired when the whole text round-trips exactly.

URL: the ``permalink`` (or ``url``) appended to ``source.options["base_url"]``
when the config gives one; otherwise an absolute ``permalink``/``url``, else
an absolute ``guid``, else jekyll-import's ``wordpress_url``.

Key (stable across polls): the ``guid``; else the item's absolute URL; else
``"<source id>:<id, slug or file>"`` (without a source, the file name stands
for the source id). The file part is the path relative to the source's
folder for local files, else the last path segment (``parent/index.md`` for
Hugo page bundles).
"""

from __future__ import annotations

import base64
import html
import json
import logging
import math
import re
import tomllib
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, tzinfo
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import parser as dateutil_parser
from markdown_it import MarkdownIt

from seedwatch import safeyaml
from seedwatch.contracts import Parser
from seedwatch.errors import ConfigError, ParseError
from seedwatch.hookspecs import hookimpl
from seedwatch.models import Document, Item, Quote, Source, ThreadRef
from seedwatch.text import clean_text, html_to_text

log = logging.getLogger(__name__)

NAME = "frontmatter"
CORPUS_FORMAT = 1  # the `seedwatch: N` version this parser reads

_YAML_OPEN = re.compile(r"\A---[ \t]*\r?\n")
_YAML_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.M)
_TOML_OPEN = re.compile(r"\A\+\+\+[ \t]*\r?\n")
_TOML_CLOSE = re.compile(r"^\+\+\+[ \t]*(?:\r?\n|\Z)", re.M)
_YAML_KEY = re.compile(r"[^\s#:\-][^:\n]*:(?:[ \t]|\r?$)")
_TOML_KEY = re.compile(r"""(?:[\w.-]+|"[^"\n]*"|'[^'\n]*')[ \t]*=|\[""")
_JSON_KEY = re.compile(r'\{\s*"[^"\n]+"\s*:')
_OUR_CORPUS = re.compile(r"seedwatch:[ \t]*\d+[ \t]*\r?$")

_MARKUP_EXTENSIONS = frozenset({".md", ".markdown", ".mdown", ".mkd", ".html", ".htm"})
_HTML_EXTENSIONS = frozenset({".html", ".htm"})
_NOT_POSTS = ("json", "xml", "rss", "atom", "javascript")

_HUGO_SHORTCODE = re.compile(r"\{\{[<%].*?[%>]\}\}", re.S)
# WordPress core and common plugin shortcodes, dropped even when they have no
# closing tag ([slideshare id=...] and [gallery] never do).
_WP_SHORTCODES = frozenset(
    {
        "caption", "wp_caption", "gallery", "audio", "video", "playlist", "embed",
        "sourcecode", "source", "code", "sc", "slideshare", "youtube", "vimeo",
        "googlevideo", "dailymotion", "soundcloud", "tweet", "twitter", "instagram",
        "gist", "latex", "polldaddy", "wpvideo", "scribd", "googlemaps", "archives",
        "contact-form",
    }
)  # fmt: skip
# `(?![(:\[])` keeps Markdown links `[text](url)`, `[text][ref]` and reference
# definitions `[ref]: url`.
_WP_TAG = re.compile(r"\[(/?)([A-Za-z][\w-]*)((?:\s[^\[\]]*)?)\](?![(:\[])")
_WP_CLOSING = re.compile(r"\[/([A-Za-z][\w-]*)\]")

_DRAFT_STATUSES = frozenset({"draft", "pending", "private", "trash", "auto-draft"})
_PUBLISHED_KEYS = ("date", "publishdate", "published")
_UPDATED_KEYS = ("lastmod", "last_modified_at", "updated", "modified")
_URL_KEYS = ("permalink", "url")
# Keys mapped to Item fields, left out of `extra`. Date keys join them only
# when their value was used (an unreadable or unused date stays in `extra`),
# `published` too when it is the draft flag.
_CONSUMED = frozenset(
    {"title", "author", "authors", "id", "guid", "slug", "tags", "categories", "draft", "status"}
    | set(_URL_KEYS)
)
_CORPUS_KEYS = frozenset(
    {
        "seedwatch", "key", "source", "parser", "url", "guid", "title", "author", "site",
        "published", "updated", "fetched", "tags", "thread", "revision_of",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class FrontMatter:
    """A split document: the metadata block's format and values, and the body."""

    format: str  # "yaml", "toml" or "json"
    meta: dict[str, Any]
    body: str


# -- splitting --------------------------------------------------------------


def split(text: str, where: str = "document") -> FrontMatter | None:
    """Split ``text`` into front-matter and body; ``None`` when it has no front-matter.

    ``ParseError`` when a block is opened but never closed or does not load.
    """
    text = text.lstrip("\ufeff")
    for fmt, opener, closer in (
        ("yaml", _YAML_OPEN, _YAML_CLOSE),
        ("toml", _TOML_OPEN, _TOML_CLOSE),
    ):
        opened = opener.match(text)
        if not opened:
            continue
        closed = closer.search(text, opened.end())
        if closed is None:
            raise ParseError(
                f"{where}: the {fmt.upper()} front-matter opened on line 1 is never closed"
            )
        raw = text[opened.end() : closed.start()]
        meta = _load(fmt, raw, where)
        return FrontMatter(fmt, meta, text[closed.end() :])
    if _JSON_KEY.match(text):
        try:
            meta, end = json.JSONDecoder().raw_decode(text)
        except json.JSONDecodeError as exc:
            raise ParseError(
                f"{where}: JSON front-matter error at line {exc.lineno}: {exc.msg}"
            ) from None
        except (ValueError, RecursionError) as exc:  # a 5,000-digit number, [[[[... too deep
            raise ParseError(f"{where}: JSON front-matter refused: {exc}") from None
        rest = text[end:]
        newline = re.match(r"[ \t]*\r?\n", rest)
        return FrontMatter(
            "json", _mapping(meta, "json", where), rest[newline.end() if newline else 0 :]
        )
    return None


def _load(fmt: str, raw: str, where: str) -> dict[str, Any]:
    if fmt == "yaml":
        try:
            value = safeyaml.load(raw, first_line=2)
        except ParseError as exc:
            raise ParseError(f"{where}: front-matter {exc}") from None
        return _mapping({} if value is None else value, fmt, where)
    try:
        return tomllib.loads(raw)
    except tomllib.TOMLDecodeError as exc:
        # tomllib counts lines from the block's first line, which is line 2 of the file
        raise ParseError(
            f"{where}: TOML front-matter error (lines counted from line 2): {exc}"
        ) from None
    except (ValueError, RecursionError) as exc:  # a 5,000-digit number, [[[[... too deep
        raise ParseError(f"{where}: TOML front-matter refused: {exc}") from None


def _mapping(value: object, fmt: str, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ParseError(
            f"{where}: the {fmt.upper()} front-matter is a {type(value).__name__}, "
            f"not a map of keys"
        )
    return value


# -- values -----------------------------------------------------------------


def source_timezone(source: Source | None, default: tzinfo) -> tzinfo:
    """The zone in ``source.options["timezone"]`` (an IANA name), else ``default``."""
    name = source.options.get("timezone") if source is not None else None
    if name is None:
        return default
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f'source "{source.id if source else "?"}": field "timezone": expected an IANA '
            f'time zone such as "Asia/Hong_Kong" or "UTC", got {name!r}'
        ) from None


def as_datetime(value: object, zone: tzinfo = UTC) -> tuple[datetime | None, str | None]:
    """A timezone-aware datetime from a front-matter value, and a note when one was assumed.

    Naive values and bare dates are taken in ``zone``. Strings are ISO 8601
    (``+1000`` offsets too) or anything dateutil reads that holds a year.
    """
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            return value.replace(tzinfo=zone), f"no UTC offset: taken as {_zone_name(zone)}"
        return value, None
    if isinstance(value, date):
        midnight = datetime.combine(value, time(), tzinfo=zone)
        return midnight, f"date without a time: taken as 00:00 {_zone_name(zone)}"
    if not isinstance(value, str) or not re.search(r"\d{4}", value):
        return None, None
    text = value.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        try:
            return as_datetime(date.fromisoformat(text), zone)
        except ValueError:  # "2024-13-45"
            return None, None
    try:
        return as_datetime(datetime.fromisoformat(text), zone)
    except ValueError:
        pass
    # dateutil fills what a string lacks from a default date: parsing with two
    # different defaults tells which parts the string really held.
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", dateutil_parser.UnknownTimezoneWarning)
            first = dateutil_parser.parse(text, default=datetime(1900, 1, 1, 0, 0))
            second = dateutil_parser.parse(text, default=datetime(1901, 2, 2, 1, 1))
    except (ValueError, ArithmeticError):  # decimal.InvalidOperation too, for "1e999" seconds
        return None, None
    if first.date() != second.date():  # "2020" or "March 2020": no day
        return None, None
    if (first.hour, first.minute) != (second.hour, second.minute):  # a date without a time
        return as_datetime(first.date(), zone)
    return as_datetime(first, zone)


def _zone_name(zone: tzinfo) -> str:
    return str(getattr(zone, "key", None) or zone.tzname(None) or zone)


def json_safe(value: object) -> Any:
    """``value`` with dates as ISO strings, bytes as base64, sets and tuples as lists."""
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return sorted((json_safe(v) for v in value), key=repr)
    if isinstance(value, Iterable):
        return [json_safe(v) for v in value]
    return str(value)


def _text(value: object) -> str | None:
    """A one-line display string: entities decoded, invisible characters dropped."""
    if isinstance(value, list | tuple):
        value = value[0] if value else None
    if value is None or isinstance(value, dict):
        return None
    if isinstance(value, datetime | date):
        value = value.isoformat()
    line = " ".join(clean_text(html.unescape(str(value))).split())
    return line or None


def _author(value: object) -> str | None:
    if isinstance(value, list | tuple):
        names = [name for name in (_author(v) for v in value) if name]
        return ", ".join(names) or None
    if isinstance(value, Mapping):
        for key in ("display_name", "name", "displayname", "full_name"):
            if value.get(key):
                return _text(value[key])
        full = " ".join(str(value[k]) for k in ("first_name", "last_name") if value.get(k))
        if full:
            return _text(full)
        for key in ("login", "username", "nickname"):
            if value.get(key):
                return _text(value[key])
        return None
    return _text(value)


def _tags(*values: object) -> tuple[str, ...]:
    out: dict[str, None] = {}
    for value in values:
        if isinstance(value, str):
            items: list[object] = list(value.split(",") if "," in value else value.split())
        elif isinstance(value, list | tuple):
            items = list(value)
        elif value is None:
            items = []
        else:
            items = [value]
        for item in items:
            tag = _text(item)
            if tag:
                out.setdefault(tag, None)
    return tuple(out)


def _absolute(value: object) -> str | None:
    if isinstance(value, str) and re.match(r"https?://", value.strip(), re.I):
        return value.strip()
    return None


def repair_mojibake(text: str) -> str:
    """Undo UTF-8 that was decoded as cp1252/latin-1 and encoded again (``Ã©`` for ``é``).

    Only when every character maps back to one byte and those bytes are valid
    UTF-8: real text in any language fails one of the two tests.
    """
    if not re.search(
        "[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013-\u203a\u20ac\u2122]",
        text,
    ):
        return text
    raw = bytearray()
    for char in text:
        if ord(char) < 256:
            raw.append(ord(char))
            continue
        try:
            raw += char.encode("cp1252")
        except UnicodeEncodeError:
            return text
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return text


# -- bodies -----------------------------------------------------------------


# markdown-it's link parser scans ahead from every "[" it meets: thousands of
# them unclosed ("[[[[...", "[a [b [c ...") take minutes. No post has that many
# links; past the limit, brackets are escaped and read as the text they are.
_MAX_BRACKETS = 5000


def _defused(body: str) -> str:
    if body.count("[") <= _MAX_BRACKETS:
        return body
    return body.replace("\\", "\\\\").replace("[", "\\[")


def strip_shortcodes(body: str) -> str:
    """Drop Hugo shortcodes and WordPress shortcode tags, keeping the text between them."""
    body = _HUGO_SHORTCODE.sub("", body)
    closed = {name.lower() for name in _WP_CLOSING.findall(body)}

    def drop(match: re.Match[str]) -> str:
        name = match.group(2).lower()
        return "" if name in _WP_SHORTCODES or name in closed else match.group(0)

    return _WP_TAG.sub(drop, body)


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
        extension = _extension(document)
        if any(kind in media for kind in _NOT_POSTS) or extension in (".json", ".xml", ".rss"):
            return 0.0
        head = document.head(8192).lstrip("\ufeff")
        bonus = 0.05 if extension in _MARKUP_EXTENSIONS else 0.0
        for opener, closer, key in (
            (_YAML_OPEN, _YAML_CLOSE, _YAML_KEY),
            (_TOML_OPEN, _TOML_CLOSE, _TOML_KEY),
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
        if extension in _MARKUP_EXTENSIONS and _JSON_KEY.match(head):
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
        if _extension(document) in _HTML_EXTENSIONS or "html" in (document.media_type or ""):
            rendered = body
        else:
            rendered = self._markdown.render(_defused(body))
        title = _text(meta.get("title"))
        guid = _text(meta.get("guid"))
        url = _item_url(meta, source)
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
        text = html_to_text(rendered)
        if not text.strip():
            # A section page (Hugo `_index.md`), a layout-only page, a link with
            # a title and nothing else: the corpus holds texts, not titles.
            log.info("skipping %s: no text after the front-matter", document.url)
            return None
        return Item(
            key=guid or url or _fallback_key(document, meta),
            text=text,
            parser=NAME,
            source=source.id if source else None,
            url=url,
            guid=guid,
            title=title,
            author=_author(meta.get("author", meta.get("authors"))),
            published=dates.get("published"),
            updated=dates.get("updated"),
            html=rendered,
            tags=_tags(meta.get("tags"), meta.get("categories")),
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


def _item_url(meta: Mapping[str, Any], source: Source | None) -> str | None:
    link = next(
        (meta[k] for k in _URL_KEYS if isinstance(meta.get(k), str) and meta[k].strip()), None
    )
    base = source.options.get("base_url") if source is not None else None
    if isinstance(link, str):
        link = link.strip()
        if _absolute(link):
            return link
        if isinstance(base, str) and base.strip():
            return base.strip().rstrip("/") + "/" + link.lstrip("/")
    return _absolute(meta.get("guid")) or _absolute(meta.get("wordpress_url"))


def _fallback_key(document: Document, meta: Mapping[str, Any]) -> str:
    local = _local_name(document)
    for key in ("id", "slug"):
        value = meta.get(key)
        if value is not None and not isinstance(value, list | dict) and str(value).strip():
            local = str(value).strip()
            break
    prefix = document.source.id if document.source is not None else _local_name(document)
    return f"{prefix}:{local}"


def _local_name(document: Document) -> str:
    parts = urlsplit(document.url)
    path = PurePosixPath(unquote(parts.path))
    source = document.source
    if parts.scheme == "file" and source is not None and source.path:
        folder = Path(source.path).expanduser()
        for base in (folder.absolute(), folder.resolve()):  # as listed, or through links
            if Path(path).is_relative_to(base):
                return Path(path).relative_to(base).as_posix()
    if path.stem in ("index", "_index") and path.parent.name:
        return f"{path.parent.name}/{path.name}"
    return path.name or document.url


def _extension(document: Document) -> str:
    return PurePosixPath(urlsplit(document.url).path).suffix.lower()


# -- seedwatch's own corpus files -----------------------------------------------


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


@hookimpl
def register_parsers(register: Callable[[Parser], None]) -> None:
    register(FrontMatterParser())
