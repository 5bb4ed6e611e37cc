"""The ``freshrss-text`` parser: a FreshRSS page rendered as plain text (seed ``004_*``).

What such a rendering looks like (an English FreshRSS reading view, copied
out of a browser): UI chrome first ("FreshRSS", a lock symbol, "❌ About
FreshRSS", "There are new available articles, click to refresh the page.",
the day separator run into the view name: "Before yesterdayYour RSS
feeds"), then for each article a title line, a "By <author>" line and the
article's paragraphs, blank lines between all of them; a trailing "❌" (the
close button) ends it. Lines holding only a no-break space, which forum text
renderings use between posts, are paragraph breaks here.

An article starts where a title line is followed by an author line. A
paragraph that merely begins with "By" ("By corraling various ride-booking
services...") is not an author line: an author line is "By" and one to five
capitalised names and nothing else. A teaser title quoted inside another
article is not followed by an author line, so it stays in that article.
Chrome lines at the end of an article (day separators, the close button)
are dropped. English renderings only: the chrome and "By" are localised.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from seedwatch.contracts import Parser
from seedwatch.errors import ParseError
from seedwatch.models import Document, Item
from seedwatch.plugins.builtin.freshrss.common import join_authors
from seedwatch.text import clean_text, fingerprint_hex

NAME = "freshrss-text"

# One name: capitalised words (initials, hyphens, apostrophes, particles such
# as "de" or "van" between them), like "Ron Miller" or "Jean-Luc de la Tour".
_WORD = r"[A-ZÀ-ÖØ-Þ][\w'’.-]*"
_NAME_RE = rf"{_WORD}(?:\s+(?:(?:de|da|del|der|di|du|la|le|van|von|bin|al)\s+)?{_WORD}){{0,4}}"
_AUTHOR = re.compile(rf"^By:?\s+(?P<names>{_NAME_RE}(?:(?:,\s*|\s+and\s+|\s*&\s*){_NAME_RE})*)\s*$")

# Chrome lines of the FreshRSS UI (English), matched on a stripped line.
_CHROME = re.compile(
    r"^(?:"
    r"FreshRSS|❌|🔒|✖|❌ About FreshRSS|About FreshRSS"
    r"|There are new (?:available articles|articles available), click to refresh the page\."
    # day separators run into the view's name: "Before yesterdayYour RSS feeds"
    r"|(?:Today|Yesterday) — .{0,80}|Before yesterday(?:[A-Z0-9].{0,80})?"
    r")$"
)
_BLANK = re.compile(r"^[\s\u00a0]*$")

# Signals that a text is a FreshRSS rendering, each specific to FreshRSS.
_MARKERS = (
    re.compile(r"^FreshRSS$", re.M),
    re.compile(r"^(?:❌ )?About FreshRSS$", re.M),
    re.compile(
        r"^There are new (?:available articles|articles available), click to refresh the page\.$",
        re.M,
    ),
    re.compile(r"^(?:Today|Yesterday|Before yesterday).{0,60}Your RSS feeds$", re.M),
)


def _lines(document: Document) -> list[str]:
    return document.text().replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _looks_like_markup(head: str) -> bool:
    return head.lstrip("\ufeff \t\r\n").startswith(("<", "{", "["))


def _article_starts(lines: list[str]) -> list[tuple[int, int]]:
    """(title line, author line) index pairs, in order."""
    starts: list[tuple[int, int]] = []
    for i, line in enumerate(lines):
        if not _AUTHOR.match(line.strip()):
            continue
        j = i - 1
        while j >= 0 and _BLANK.match(lines[j]):
            j -= 1
        if j < 0 or _AUTHOR.match(lines[j].strip()) or _CHROME.match(lines[j].strip()):
            continue
        if starts and j <= starts[-1][1]:
            continue  # the "title" would be the previous article's author line
        starts.append((j, i))
    return starts


def _body(lines: list[str]) -> str:
    last = len(lines) - 1
    while last >= 0 and (_BLANK.match(lines[last]) or _CHROME.match(lines[last].strip())):
        last -= 1
    return clean_text("\n".join("" if _BLANK.match(line) else line for line in lines[: last + 1]))


class FreshRSSTextParser(Parser):
    """A FreshRSS page rendered as text: one Item per "title / By author" article."""

    name = NAME
    source_options = frozenset[str]()

    def sniff(self, document: Document) -> float:
        if document.media_type and document.media_type not in ("text/plain",):
            return 0.0
        head = document.head(16384)
        if _looks_like_markup(head):
            return 0.0
        markers = sum(1 for marker in _MARKERS if marker.search(head))
        if markers == 0:
            return 0.0
        lines = head.split("\n")
        score = 0.35 + 0.12 * markers
        if len(_article_starts(lines)) >= 2:
            score += 0.2
        if document.content.rstrip().endswith("❌".encode()):
            score += 0.05
        return min(score, 0.99)

    def parse(self, document: Document) -> Iterator[Item]:
        lines = _lines(document)
        if all(_BLANK.match(line) for line in lines):
            raise ParseError(f"{document.url}: empty document, no FreshRSS articles in it")
        starts = _article_starts(lines)
        if not starts:
            raise ParseError(
                f"{document.url}: no title line followed by a 'By <author>' line: "
                "cannot split this text into FreshRSS articles"
            )
        source = document.source.id if document.source else None
        for n, (title_at, author_at) in enumerate(starts):
            end = starts[n + 1][0] if n + 1 < len(starts) else len(lines)
            title = lines[title_at].strip()
            match = _AUTHOR.match(lines[author_at].strip())
            assert match is not None  # _article_starts only keeps matching lines
            names = re.split(r",\s*|\s+and\s+|\s*&\s*", match.group("names"))
            text = _body(lines[author_at + 1 : end])
            extra: dict[str, object] = {"position": n + 1}
            if not text.strip():  # as the FreshRSS HTML parser does: the title is all there is
                text, extra["text_from"] = title, "title"
            yield Item(
                key="freshrss-text:" + fingerprint_hex(title + "\n\n" + text),
                text=text,
                parser=NAME,
                source=source,
                title=title,
                author=join_authors(names),
                extra=extra,
            )
