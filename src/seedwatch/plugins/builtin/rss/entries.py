"""feedparser's entries read as ``Entry`` records: dates keeping the
publisher's offset, titles and names on one line, bodies as plain text,
links resolved against the feed's base, authors (an Atom feed's for entries
without their own; RSS author text made a name by ``authors``), tags."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from seedwatch.plugins.builtin.jsonfeed import Entry
from seedwatch.plugins.builtin.rss.authors import author_name
from seedwatch.text import clean_text, html_to_text
from seedwatch.urls import join

# feedparser's *_parsed are UTC struct_times: the instant is right but the
# publisher's offset is lost. It is read back from the raw string's tail.
_OFFSET = re.compile(
    r"(?:([+-])(\d\d):?(\d\d)|(?<![A-Za-z])(Z|UT|UTC|GMT|EST|EDT|CST|CDT|MST|MDT|PST|PDT))\s*$"
)
_ZONES = {"EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7}


def _offset(raw: str) -> timezone | None:
    match = _OFFSET.search(raw[-40:])
    if match is None:
        return None
    sign, hours, minutes, name = match.groups()
    if name:
        return timezone(timedelta(hours=_ZONES.get(name, 0)))
    if int(hours) > 23 or int(minutes) > 59:
        return None
    delta = timedelta(hours=int(hours), minutes=int(minutes))
    return timezone(-delta if sign == "-" else delta)


def feed_date(raw: object, parsed: Sequence[int] | None) -> datetime | None:
    """An aware datetime from feedparser's UTC tuple and the raw string; ``None``
    when the feed's date is missing or invalid."""
    if parsed is None or not isinstance(raw, str):
        return None
    value = raw.strip()
    # feedparser's ISO 8601 handler reads a bare number such as a Unix epoch
    # (dc:date "1518478934") as a calendar date far from the real one; only
    # the 8-digit basic form (YYYYMMDD) is a date.
    if value.isdigit() and len(value) != 8:
        return None
    try:
        year, month, day, hour, minute, second = parsed[:6]
        instant = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except (TypeError, ValueError):
        return None
    offset = _offset(value)
    return instant.astimezone(offset) if offset is not None else instant


# -- text -----------------------------------------------------------------------

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml", "html", "xhtml"})
_WS = re.compile(r"\s+")


def one_line(value: str, kind: str | None) -> str:
    """A title or name as one line: markup dropped when the feed says it is HTML."""
    if kind in HTML_TYPES and ("<" in value or "&" in value):
        value = html_to_text(value)
    return _WS.sub(" ", value).strip()


def body_text(body: str, is_html: bool) -> str:
    # We write plain text, so feedparser's sanitizer and relative-URI
    # rewriting (both off, see ``feedparse``) would only rework markup we then
    # drop: lxml turns the unsanitized HTML into text once, here.
    if not is_html:
        return clean_text(body)  # Atom type="text", JSON Feed content_text
    if "<" in body or "&" in body:
        return html_to_text(body)
    # Markup without a tag or an entity (a third of real feeds' bodies): what
    # html_to_text gives, one paragraph keeping its lines, without a tree.
    lines = body.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return clean_text("\n".join(line for line in lines if not line.isspace() and line))


def _is_absolute(url: str) -> bool:
    return url.startswith(("http://", "https://"))


def resolve(url: str | None, base: str) -> str | None:
    if not url:
        return None
    url = url.strip()
    if not url or _is_absolute(url) or not base:
        # as written (urljoin would also resolve "/../" in it), when it is a URL at all
        return url if url and join(url, "") else None
    return join(base, url)


# -- feedparser entries ------------------------------------------------------------


def _names(people: object) -> list[str]:
    """The names of feedparser's people (an address alone is no name)."""
    if not isinstance(people, list):
        return []
    raw = [
        person.get("name") or person.get("email") for person in people if isinstance(person, dict)
    ]
    return _clean_names(raw)


def _clean_names(raw: Iterable[object]) -> list[str]:
    names = []
    for value in raw:
        name = author_name(value) if isinstance(value, str) else None
        if name:
            names.append(one_line(name, "text/html"))
    return [n for n in names if n]


def _entry_authors(entry: dict[str, Any], is_atom: bool) -> list[str]:
    """An entry's author names. One RSS author element is read from its own
    text (feedparser keeps it as ``author``): feedparser's split of
    ``email (Name)`` is unreliable (see ``authors``)."""
    people = dict.get(entry, "authors")
    raw = dict.get(entry, "author")
    if not is_atom and isinstance(people, list) and len(people) == 1 and isinstance(raw, str):
        return _clean_names([raw])
    names = _names(people)
    if not names and isinstance(raw, str):
        names = _clean_names([raw])
    return names


def _best_body(entry: Mapping[str, Any]) -> tuple[str | None, bool]:
    """The longer of content (content:encoded, atom:content) and summary; content
    wins a tie. Returns the body and whether it is markup."""
    best: str | None = None
    kind = "text/html"
    for part in entry.get("content") or ():
        value = part.get("value")
        if isinstance(value, str) and value.strip() and (best is None or len(value) > len(best)):
            best, kind = value, part.get("type") or "text/html"
    summary = entry.get("summary")
    if isinstance(summary, str) and summary.strip() and (best is None or len(summary) > len(best)):
        detail = entry.get("summary_detail") or {}
        best, kind = summary, detail.get("type") or "text/html"
    if best is None:
        return None, False
    is_html = kind in HTML_TYPES or (kind != "text/plain" and "<" in best)
    return best, is_html


def _tags(entry: Mapping[str, Any]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for tag in entry.get("tags") or ():
        term = tag.get("term") or tag.get("label")
        if isinstance(term, str) and term.strip():
            seen.setdefault(_WS.sub(" ", term).strip(), None)
    return tuple(seen)


def read_entries(result: Mapping[str, Any], base: str) -> Iterator[Entry]:
    """feedparser's entries as ``Entry`` records.

    ``dict.get`` is used on feedparser's dicts on purpose: ``FeedParserDict.get``
    maps keys (and warns, DeprecationWarning, for ``updated``) on every call.
    """
    feed = result["feed"]
    is_atom = str(result.get("version") or "").startswith("atom")
    # RFC 4287 4.2.1: an Atom entry without authors has the feed's.
    feed_authors = _names(dict.get(feed, "authors")) if is_atom else []
    for entry in result["entries"]:
        title = dict.get(entry, "title")
        if isinstance(title, str):
            detail = dict.get(entry, "title_detail") or {}
            title = one_line(title, detail.get("type")) or None
        else:
            title = None
        authors = _entry_authors(entry, is_atom)
        body, is_html = _best_body(entry)
        guid = dict.get(entry, "id")
        comments = dict.get(entry, "comments")
        yield Entry(
            guid=(guid.strip() or None) if isinstance(guid, str) else None,
            link=resolve(dict.get(entry, "link"), base),
            title=title,
            authors=tuple(dict.fromkeys(a for a in authors if a)) or tuple(feed_authors),
            published=feed_date(dict.get(entry, "published"), dict.get(entry, "published_parsed")),
            updated=feed_date(dict.get(entry, "updated"), dict.get(entry, "updated_parsed")),
            body=body,
            body_is_html=is_html,
            tags=_tags(entry),
            comments=resolve(comments, base) if isinstance(comments, str) else None,
        )
