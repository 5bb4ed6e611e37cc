"""Hacker News item HTML to plain text.

The API's ``text`` field is the small HTML subset HN renders: paragraphs
*started* by ``<p>`` (never closed, the first one implicit), links whose text
HN shortens with "..." when the URL is long, ``<i>``, and ``<pre><code>``
blocks; entities such as ``&#x27;`` and ``&#x2F;`` throughout. The result is
seedwatch's text form: paragraphs separated by one blank line, whitespace
inside a paragraph collapsed, code blocks kept as written.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_SPACES = re.compile(r"\s+")


class _Converter(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[str] = []
        self.current: list[str] = []
        self.pre = 0
        self.href: str | None = None
        self.anchor: list[str] = []

    def flush(self) -> None:
        text = "".join(self.current)
        text = text.strip("\n") if self.pre else _SPACES.sub(" ", text).strip()
        if text:
            self.paragraphs.append(text)
        self.current = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "p":
            self.flush()
        elif tag == "pre":
            self.flush()
            self.pre += 1
        elif tag == "a":
            self.href = dict(attrs).get("href")
            self.anchor = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "pre" and self.pre:
            self.flush()
            self.pre -= 1
        elif tag == "a" and self.href is not None:
            shown = "".join(self.anchor)
            # HN shortens long link texts to a prefix of the URL plus "...":
            # the URL itself is the better text then.
            if shown.endswith("...") and self.href.startswith(shown[:-3]):
                shown = self.href
            self.current.append(shown)
            self.href = None

    def handle_data(self, data: str) -> None:
        (self.anchor if self.href is not None else self.current).append(data)


def html_to_text(html: str) -> str:
    """Plain text of an HN ``text`` field: paragraphs separated by a blank line."""
    converter = _Converter()
    converter.feed(html)
    converter.close()
    if converter.href is not None:  # an unclosed <a> at the very end
        converter.current.append("".join(converter.anchor))
    converter.flush()
    return "\n\n".join(converter.paragraphs)
