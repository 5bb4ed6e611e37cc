"""Parser ``plaintext``: the fallback for plain-text articles (seeds ``000_*``, ``003_*``).

Owns turning a text file into one item. It sniffs low (0.1 for ``text/plain``
or ``.txt``, less when nothing says what the document is) so that any richer
format claims a document first, and 0 for markup or binary data.

The text is cleaned with ``seedwatch.text.clean_text``, paragraphs kept: blank
lines separate them, and in a text with no blank line at all (seed ``000_*``,
many articles run together) every line is kept as a line. One item per file:
separating run-together articles is the de-duplication layers' business
(containment).

A header is taken out of the text when there is one:

- the South China Morning Post header of seed ``003_*``: a title line, then
  ``PUBLISHED : Monday, 03 August, 2015, 8:00am`` and ``UPDATED : ...``. SCMP
  prints Hong Kong local time without an offset, so those times are taken in
  Asia/Hong_Kong unless ``source.options["timezone"]`` names another zone;
- otherwise a first line that looks like a title (a paragraph of its own of
  3 to 20 words, no closing punctuation, followed by at least two more
  paragraphs).

Key: ``"text:" + fingerprint_hex(text)`` (a text rendering has no ids). The
url is the document's own only when it was fetched over HTTP(S).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from seedwatch.contracts import Parser
from seedwatch.errors import ParseError
from seedwatch.hookspecs import hookimpl
from seedwatch.models import Document, Item
from seedwatch.plugins.builtin.frontmatter import source_timezone
from seedwatch.text import clean_text, fingerprint_hex, paragraphs

log = logging.getLogger(__name__)

NAME = "plaintext"
SCMP_ZONE = ZoneInfo("Asia/Hong_Kong")

_MARKUP = re.compile(r"\s*<|.{0,2000}<(?:!doctype|html|\?xml|rss|feed|body|div|p)\b", re.I | re.S)
_SCMP_DATE = re.compile(
    r"(PUBLISHED|UPDATED)\s*:\s*(?:[A-Za-z]+,\s*)?(\d{1,2})\s+([A-Za-z]+),?\s+(\d{4}),?\s+"
    r"(\d{1,2}):(\d{2})\s*([ap])\.?m\.?",
    re.I,
)
_MONTHS = {
    name: number
    for number, name in enumerate(
        (
            "january", "february", "march", "april", "may", "june", "july",
            "august", "september", "october", "november", "december",
        ),
        start=1,
    )
}  # fmt: skip
_TITLE_END = tuple(".!?:;,")


class PlainTextParser(Parser):
    """One item per plain-text document; the fallback when no richer format claims it."""

    name = NAME
    source_options = frozenset({"timezone"})

    def sniff(self, document: Document) -> float:
        media = (document.media_type or "").split(";")[0].strip().lower()
        extension = PurePosixPath(urlsplit(document.url).path).suffix.lower()
        if media == "text/plain" or extension == ".txt":
            score = 0.1
        elif not media and extension in ("", ".text"):
            score = 0.05
        else:
            return 0.0
        head = document.head(4096)
        if "\x00" in head or _MARKUP.match(head.lstrip("\ufeff")):
            return 0.0
        if head.lstrip("\ufeff \t\r\n")[:1] in ("{", "["):  # JSON sent as text/plain
            return 0.0
        return score

    def parse(self, document: Document) -> Iterator[Item]:
        raw = document.text()
        if "\x00" in raw:
            raise ParseError(f"{document.url}: not text (it holds NUL bytes)")
        lines = clean_text(raw).split("\n")
        title, published, updated, rest, extra = _scmp_header(lines, document)
        if title is None:
            title, rest = _title_line(lines)
        text = clean_text("\n".join(rest)) or (title or "")
        if not text:
            raise ParseError(f"{document.url}: empty text: nothing to read")
        scheme = urlsplit(document.url).scheme.lower()
        yield Item(
            key="text:" + fingerprint_hex(text),
            text=text,
            parser=NAME,
            source=document.source.id if document.source else None,
            url=document.url if scheme in ("http", "https") else None,
            title=title,
            published=published,
            updated=updated,
            extra=extra,
        )


def _scmp_header(
    lines: list[str], document: Document
) -> tuple[str | None, datetime | None, datetime | None, list[str], dict[str, Any]]:
    """Title and dates of an SCMP-style header, and the lines after it."""
    nonblank = [i for i, line in enumerate(lines) if line.strip()][:4]
    if len(nonblank) < 2:
        return None, None, None, lines, {}
    dates: dict[str, datetime] = {}
    last = nonblank[0]
    for i in nonblank[1:]:
        match = _SCMP_DATE.fullmatch(lines[i].strip())
        if match is None:
            break
        label, day, month, year, hour, minute, half = match.groups()
        month_number = _MONTHS.get(month.lower())
        if month_number is None:
            break
        zone = source_timezone(document.source, SCMP_ZONE)
        try:
            dates[label.lower()] = datetime(
                int(year),
                month_number,
                int(day),
                int(hour) % 12 + (12 if half.lower() == "p" else 0),
                int(minute),
                tzinfo=zone,
            )
        except ValueError:  # "31 February": not a date; the line stays in the text
            break
        last = i
    if "published" not in dates:
        return None, None, None, lines, {}
    zone_name = str(getattr(dates["published"].tzinfo, "key", dates["published"].tzinfo))
    extra: dict[str, Any] = {
        "header": "scmp",
        "dates_assumed": dict.fromkeys(
            sorted(dates), f"no offset in the text: taken as {zone_name}"
        ),
    }
    title = lines[nonblank[0]].strip()
    return title, dates.get("published"), dates.get("updated"), lines[last + 1 :], extra


def _title_line(lines: list[str]) -> tuple[str | None, list[str]]:
    """A first line that looks like a title, and the lines after it."""
    parts = paragraphs("\n".join(lines))
    text = "\n".join(lines)
    if len(parts) < 3 or not re.search(r"\n[ \t]*\n", text):
        return None, lines
    first = parts[0]
    words = first.split()
    if "\n" in first or len(first) > 150 or not 3 <= len(words) <= 20:
        return None, lines
    if first.endswith(_TITLE_END):
        return None, lines
    start = next(i for i, line in enumerate(lines) if line.strip())
    return first, lines[start + 1 :]


@hookimpl
def register_parsers(register: Callable[[Parser], None]) -> None:
    register(PlainTextParser())
