"""Text: HTML to plain text, paragraphs, normalisation and the content fingerprint.

The fingerprint is defined once (DESIGN.md, "The fingerprint") because
corpus file names embed it and the state stores it: NFKC, case-folded,
typographic quotes/dashes/ellipses mapped to ASCII, whitespace runs collapsed
to one space, stripped, UTF-8, BLAKE2b with a 16-byte digest. Changing it
needs a migration that re-fingerprints the state.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

import lxml.html
from lxml import etree

# Typographic punctuation mapped to ASCII before fingerprinting. NFKC already
# turns "…" into "..." and most compatibility forms; these are not
# compatibility characters, so NFKC leaves them alone.
_TYPOGRAPHIC = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
        "\u00ab": '"', "\u00bb": '"',
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-",
        "\u2015": "-", "\u2212": "-",
        "\u2026": "...",
    }
)  # fmt: skip
_WS = re.compile(r"\s+")
# Characters that render as nothing: zero-width spaces/joiners, BOM, soft hyphen.
# What an XML tree cannot hold (lxml refuses it when a tree is edited: a tail
# moved by drop_tree); browsers do not show it either.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def markup_safe(text: str) -> str:
    """``text`` without the characters an lxml tree cannot hold (C0 controls but
    tab and line ends, lone surrogates, U+FFFE/U+FFFF): HTML from servers before
    it is parsed."""
    return _NOT_XML.sub("", text)


_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")


def normalize(text: str) -> str:
    """The normalisation under the fingerprint (and paragraph fingerprints)."""
    text = unicodedata.normalize("NFKC", text).casefold().translate(_TYPOGRAPHIC)
    return _WS.sub(" ", text).strip()


def fingerprint(text: str) -> bytes:
    """BLAKE2b-128 of the normalised text."""
    return hashlib.blake2b(normalize(text).encode("utf-8"), digest_size=16).digest()


def fingerprint_hex(text: str) -> str:
    return fingerprint(text).hex()


def word_count(text: str) -> int:
    return len(text.split())


def paragraphs(text: str) -> list[str]:
    """Paragraphs of a plain text: blank lines separate them; in a text with no
    blank line at all, each line is a paragraph (seed ``000_*``)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if re.search(r"\n[ \t\u00a0]*\n", text):
        parts = re.split(r"\n[ \t\u00a0]*\n", text)
    else:
        parts = text.split("\n")
    return [p.strip() for p in parts if p.strip()]


def clean_text(text: str) -> str:
    """Tidy a plain text: invisible characters dropped, each paragraph's whitespace
    collapsed (line breaks inside a paragraph kept), one blank line between paragraphs."""
    text = _INVISIBLE.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    out = []
    for block in re.split(r"\n[ \t\u00a0]*\n", text):
        lines = [_WS.sub(" ", line).strip() for line in block.split("\n")]
        joined = "\n".join(line for line in lines if line)
        if joined:
            out.append(joined)
    return "\n\n".join(out)


# -- HTML to text ---------------------------------------------------------

_BLOCK = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "center",
        "dd",
        "details",
        "dialog",
        "dir",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "html",
        "legend",
        "li",
        "main",
        "menu",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "thead",
        "tfoot",
        "tr",
        "ul",
    ]
)
_DROP = frozenset(
    ["script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "head", "title"]
)
_CELL = frozenset(("td", "th"))


def html_to_text(html: str | bytes, *, drop: frozenset[str] = _DROP) -> str:
    """Plain text of an HTML fragment or page: block elements become paragraphs
    separated by a blank line, ``<br>`` a line break, ``<pre>`` keeps its lines,
    list items start with "- ", scripts and styles vanish."""
    if isinstance(html, bytes):
        html = html.decode("utf-8", errors="replace")
    if not html.strip():
        return ""
    try:
        root = lxml.html.fragment_fromstring(markup_safe(html), create_parent="div")
    except (etree.ParserError, ValueError):
        return clean_text(html)
    return element_to_text(root, drop=drop)


def element_to_text(root: lxml.html.HtmlElement, *, drop: frozenset[str] = _DROP) -> str:
    """Plain text of a parsed element (see ``html_to_text``)."""
    blocks: list[str] = []
    current: list[str] = []

    def flush() -> None:
        text = "".join(current)
        current.clear()
        lines = [_WS.sub(" ", line).strip() for line in text.split("\n")]
        joined = "\n".join(line for line in lines if line)
        if joined:
            blocks.append(joined)

    def walk(el: etree._Element) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        tag = tag.rsplit("}", 1)[-1].lower()
        if tag in drop or not isinstance(el.tag, str):
            # comments and processing instructions: skip them, keep their tail
            if el.tail:
                current.append(el.tail)
            return
        if tag == "pre":
            flush()
            code = "".join(str(t) for t in el.itertext()).strip("\n")
            if code.strip():
                blocks.append(code.rstrip())
        else:
            block = tag in _BLOCK
            if block:
                flush()
            if tag == "li":
                current.append("- ")
            if tag == "br":
                current.append("\n")
            if tag == "img" and el.get("alt"):
                current.append(el.get("alt", ""))
            if el.text:
                current.append(el.text)
            for child in el:
                walk(child)
            if tag in _CELL:
                current.append(" ")
            if block:
                flush()
        if el.tail:
            current.append(el.tail)

    walk(root)
    flush()
    return _INVISIBLE.sub("", "\n\n".join(blocks))


# The helpers plugins may use (docs/plugins.md, "Helper modules").
__all__ = [
    "clean_text",
    "element_to_text",
    "fingerprint",
    "fingerprint_hex",
    "html_to_text",
    "markup_safe",
    "normalize",
    "paragraphs",
    "word_count",
]
