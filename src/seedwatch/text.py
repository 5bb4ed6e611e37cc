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
import threading
import unicodedata

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


# A numeric character reference as libxml2's HTML parser reads it: digits as many
# as there are, the ";" optional ("&#1e9;" is U+0001 then "e9;").
_CHAR_REF = re.compile(r"&#(?:[xX]([0-9a-fA-F]{1,8})(?![0-9a-fA-F])|([0-9]{1,10})(?![0-9]));?")


def _char_ref(match: re.Match[str]) -> str:
    hex_digits, digits = match.groups()
    code = int(hex_digits, 16) if hex_digits is not None else int(digits)
    return "" if code < 0x110000 and _NOT_XML.match(chr(code)) else match[0]


# The references _char_ref drops, and a few more (any number of leading zeros):
# most HTML has references, almost none has these, and finding them is a
# fraction of the cost of a Python call per reference.
_NOT_XML_REF = re.compile(
    r"&#(?:0*(?:[0-9]|[12][0-9]|3[01]|5[5-7][0-9]{3}|6553[45])(?![0-9])"
    r"|[xX]0*(?:[01]?[0-9a-fA-F]|[dD][89a-fA-F][0-9a-fA-F]{2}|[fF]{3}[eEfF])(?![0-9a-fA-F]))"
)
# _NOT_XML's C0 controls as UTF-8 bytes; U+FFFE and U+FFFF are EF BF BE/BF.
_C0_BYTES = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])


def _holds_not_xml(text: str) -> bool:
    """Whether ``_NOT_XML`` matches in ``text``: the same answer from byte
    operations, several times faster than the regex on long text."""
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return True
    return (
        len(data.translate(None, _C0_BYTES)) != len(data)
        or b"\xef\xbf\xbe" in data
        or b"\xef\xbf\xbf" in data
    )


def markup_safe(text: str) -> str:
    """``text`` without the characters an lxml tree cannot hold (C0 controls but
    tab and line ends, lone surrogates, U+FFFE/U+FFFF), whether written as
    themselves or as numeric references (``&#1;``, which the HTML parser would
    turn into the character): HTML from servers before it is parsed."""
    if _holds_not_xml(text):
        text = _NOT_XML.sub("", text)
    if "&#" in text and _NOT_XML_REF.search(text):
        text = _CHAR_REF.sub(_char_ref, text)
    return text


_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")


def normalize(text: str) -> str:
    """The normalisation under the fingerprint (and paragraph fingerprints)."""
    # ASCII text is its own NFKC form, case-folds as lower() does and holds no
    # typographic punctuation. " ".join(x.split()) is _WS.sub(" ", x).strip()
    # without a regex: both take whitespace as str.isspace() does.
    if text.isascii():
        return " ".join(text.lower().split())
    text = unicodedata.normalize("NFKC", text).casefold()
    if not text.isascii():
        # What translate(_TYPOGRAPHIC) gives, a regex scan instead of a table
        # lookup per character (the punctuation is rare in a text).
        text = _TYPOGRAPHIC_RE.sub(_typographic, text)
    return " ".join(text.split())


_TYPOGRAPHIC_RE = re.compile("[" + "".join(chr(code) for code in _TYPOGRAPHIC) + "]")


def _typographic(match: re.Match[str]) -> str:
    return str(_TYPOGRAPHIC[ord(match.group())])


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


# Parsed without lxml.html's element classes: the walk below reads only tags,
# text and attributes, and the class look-up per element was a fifth of its
# time. The same libxml2 HTML parser, so the same tree. One parser per thread:
# the daemon's polling threads all make text, lxml parser objects are not
# meant to be shared between threads (lxml serialises the threads sharing one
# behind its lock), and lxml releases the GIL while a thread's own parser runs.
_LOCAL = threading.local()


def _html_parser() -> etree.HTMLParser:
    parser: etree.HTMLParser | None = getattr(_LOCAL, "html_parser", None)
    if parser is None:
        parser = _LOCAL.html_parser = etree.HTMLParser()
    return parser


# What the walk does with an element, by tag (anything else: inline).
_INLINE, _BLOCKY, _LIST_ITEM, _BREAK, _IMAGE, _CELL_KIND, _PRE = range(7)
_KIND = {
    **dict.fromkeys(_BLOCK, _BLOCKY),
    "li": _LIST_ITEM,
    "br": _BREAK,
    "img": _IMAGE,
    "td": _CELL_KIND,
    "th": _CELL_KIND,
    "pre": _PRE,
}


def html_to_text(html: str | bytes, *, drop: frozenset[str] = _DROP) -> str:
    """Plain text of an HTML fragment or page: block elements become paragraphs
    separated by a blank line, ``<br>`` a line break, ``<pre>`` keeps its lines,
    list items start with "- ", scripts and styles vanish."""
    if isinstance(html, bytes):
        html = html.decode("utf-8", errors="replace")
    if not html.strip():
        return ""
    try:
        body = _body(markup_safe(html))
    except (etree.ParserError, ValueError):
        return clean_text(html)
    return element_to_text(body, drop=drop)


_FULL_PAGE = re.compile(r"^\s*<(?:html|!doctype)", re.IGNORECASE)


def _body(html: str) -> etree._Element:
    """The ``body`` of ``html`` (a fragment is put in one), without its tail.

    Its text is what ``lxml.html.fragment_fromstring(html, create_parent="div")``
    gives: the body is a block like that ``div``, and the blank leading text the
    ``div`` leaves out makes no text either."""
    if not _FULL_PAGE.match(html):
        html = f"<html><body>{html}</body></html>"
    page = etree.fromstring(html, _html_parser())
    if page is None:
        raise etree.ParserError("Document is empty")
    bodies = [e for e in page if e.tag == "body"]
    if len(bodies) != 1:
        raise etree.ParserError(f"{len(bodies)} bodies in an HTML fragment")
    body = bodies[0]
    body.tail = None
    return body


def element_to_text(root: etree._Element, *, drop: frozenset[str] = _DROP) -> str:
    """Plain text of a parsed element (see ``html_to_text``); its tail too."""
    blocks: list[str] = []
    current: list[str] = []
    add = current.append
    kinds = _KIND

    def flush() -> None:
        if not current:
            return
        text = "".join(current)
        current.clear()
        # " ".join(x.split()) is _WS.sub(" ", x).strip() without a regex: both
        # take whitespace as str.isspace() does.
        if "\n" in text:
            joined = "\n".join(
                line for line in (" ".join(x.split()) for x in text.split("\n")) if line
            )
        else:
            joined = " ".join(text.split())
        if joined:
            blocks.append(joined)

    def walk(el: etree._Element) -> None:
        tag = el.tag
        if type(tag) is not str:
            # comments and processing instructions: skip them, keep their tail
            if el.tail:
                add(el.tail)
            return
        if "}" in tag:
            tag = tag.rsplit("}", 1)[-1]
        tag = tag.lower()
        if tag in drop:
            if el.tail:
                add(el.tail)
            return
        kind = kinds.get(tag, _INLINE)
        if kind == _PRE:
            flush()
            code = "".join(str(t) for t in el.itertext()).strip("\n")
            if code.strip():
                blocks.append(code.rstrip())
        else:
            block = kind in (_BLOCKY, _LIST_ITEM)
            if block:
                flush()
                if kind == _LIST_ITEM:
                    add("- ")
            elif kind == _BREAK:
                add("\n")
            elif kind == _IMAGE:
                alt = el.get("alt")
                if alt:
                    add(alt)
            if el.text:
                add(el.text)
            for child in el:
                walk(child)
            if kind == _CELL_KIND:
                add(" ")
            if block:
                flush()
        if el.tail:
            add(el.tail)

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
