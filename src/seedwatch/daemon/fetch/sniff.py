"""Charset and media type of fetched bytes: from the BOM, the headers, the
document's own declaration, or a local file's extension."""

from __future__ import annotations

import codecs
import re
from pathlib import Path

_BOMS = (  # UTF-32 LE before UTF-16 LE: its BOM starts with UTF-16 LE's
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_XML_DECL = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)[\"']")
_META_CHARSET = re.compile(rb"<meta[^>]+?charset\s*=\s*[\"']?\s*([A-Za-z0-9._:-]+)", re.IGNORECASE)
_HEADER_CHARSET = re.compile(r";\s*charset\s*=\s*[\"']?([^\"';\s]+)", re.IGNORECASE)
# Labels the WHATWG Encoding Standard decodes as windows-1252: pages and feeds
# declared "ISO-8859-1" are full of cp1252 quotes, dashes and euro signs.
_WINDOWS_1252 = frozenset(
    {"ascii", "us-ascii", "iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "latin-1", "l1"}
)
# File extensions the standard table lacks or gets wrong for feeds and posts.
_LOCAL_TYPES = {
    ".rss": "application/rss+xml",
    ".atom": "application/atom+xml",
    ".rdf": "application/rdf+xml",
    ".xml": "application/xml",
    ".json": "application/json",
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".html": "text/html",
    ".htm": "text/html",
    ".txt": "text/plain",
}


def detect_charset(content: bytes, header_charset: str | None) -> str | None:
    """The charset of ``content``: a byte-order mark, else the header's charset,
    else the document's own declaration (XML declaration, HTML ``<meta>``),
    else ``None`` (``Document.text()`` then tries UTF-8, then cp1252).

    A BOM wins over a contradicting header (WHATWG encoding sniffing; also
    what feed readers do with XML served as the wrong charset). Labels are
    returned lower-cased as declared (``windows-1251``) once Python knows them,
    except that ISO-8859-1 and US-ASCII mean windows-1252, as in browsers.
    Undeclared bytes are not guessed at: charset-normalizer 3.5 reads the
    French Latin-1 feed of tests/data/feeds as cp1250 (turning "è" into "č"),
    where the cp1252 fallback is right, as browsers' and feedparser's are.
    """
    for bom, encoding in _BOMS:
        if content.startswith(bom):
            return encoding
    if header_charset and _known(header_charset):
        return _label(header_charset)
    head = content[:4096]
    match = _XML_DECL.match(head) or _META_CHARSET.search(head)
    if match:
        label = match.group(1).decode("ascii")
        if _known(label):
            # The declaration was read as ASCII, so the bytes are not UTF-16/32
            # whatever it says (the HTML standard maps such labels to UTF-8).
            return "utf-8" if label.lower().startswith(("utf-16", "utf-32")) else _label(label)
    return None


def media_type(content_type: str) -> str | None:
    """``text/html`` from ``Text/HTML; charset=UTF-8``; ``None`` when empty."""
    return content_type.split(";", 1)[0].strip().lower() or None


def charset_param(content_type: str) -> str | None:
    """The ``charset`` parameter of a Content-Type header, as written."""
    match = _HEADER_CHARSET.search(content_type)
    return match.group(1) if match else None


def local_media_type(path: Path) -> str | None:
    """A local file's media type from its extension (``None`` when unknown)."""
    return _LOCAL_TYPES.get(path.suffix.lower())


def _label(label: str) -> str:
    label = label.strip().lower()
    return "windows-1252" if label in _WINDOWS_1252 else label


def _known(label: str) -> bool:
    try:
        codecs.lookup(label)
    except LookupError:
        return False
    return True
