"""How the ``rss`` parser runs feedparser: the response headers it is given,
the bytes it is fed, and the XML reader it parses with.

Not a plugin: a helper of ``seedwatch.plugins.builtin.rss``. feedparser is
called with its HTML sanitizer and relative-URI rewriting off: we write plain
text, so both would only rework markup that ``rss`` then drops. A document
that uses XML entities of its own which feedparser refuses to expand (an
entity-expansion bomb) is a ``ParseError``, not items holding ``&lol9;``.

feedparser costs some 25 us an element (its strict pass, then its lenient
one, all in Python), so it is given at most ``MAX_BYTES`` and ``MAX_TAGS``
tags of a feed: a larger document is cut after the last whole entry that ends
within both (a feed lists its newest first), with a warning. The fast lxml
reader, which reads well-formed feeds of any allowed size, comes first.
"""

from __future__ import annotations

import codecs
import io
import logging
import re
import xml.sax
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, cast
from xml.sax import expatreader, handler, xmlreader

import feedparser

from seedwatch.errors import ParseError
from seedwatch.models import Document

log = logging.getLogger(__name__)

_BOM_CHARSETS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32le"),
    (codecs.BOM_UTF32_BE, "utf-32be"),
    (codecs.BOM_UTF16_LE, "utf-16le"),
    (codecs.BOM_UTF16_BE, "utf-16be"),
)


def _bom_charset(data: bytes) -> str | None:
    for bom, name in _BOM_CHARSETS:
        if data.startswith(bom):
            return name
    return None


def trim_leading_space(data: bytes) -> bytes:
    """Drop whitespace before the first ``<`` (after a UTF-8 BOM).

    Real feeds (WordPress 2.7, YouTube, TypePad) send a newline before the
    XML declaration; expat rejects that ("XML or text declaration not at
    start of entity") and feedparser 6.0 then re-parses the whole document
    with its sgmllib-based loose parser: several times slower, and bozo.
    """
    bom = b""
    if data.startswith(codecs.BOM_UTF8):
        bom, data = data[:3], data[3:]
    elif _bom_charset(data):  # UTF-16/32: whitespace is not one byte there
        return data
    trimmed = data.lstrip(b" \t\r\n")
    if trimmed is data or not trimmed.startswith(b"<"):
        return bom + data
    return bom + trimmed


def feedparser_headers(document: Document) -> dict[str, str]:
    """The response headers feedparser needs: the Content-Type with its charset.

    feedparser follows RFC 3023 (the header's charset beats the XML
    declaration) but tries the header's charset before a byte-order mark; a
    BOM is the stronger evidence (as in ``Document.text``), so it replaces the
    header's charset.

    Content-Location (feedparser's base URI) is given only to documents that
    use xml:base. Without a base, feedparser leaves relative links alone and
    they are resolved here (against the channel link for RSS), and it keeps
    guids as written: with one, it also "resolves" every guid not marked
    isPermaLink="false" (a bare "23246627" becomes a made-up URL). But
    feedparser 6.0.14 restores an enclosing base only when it is non-empty,
    so without a document base one entry's xml:base leaks into the next.
    """
    headers: dict[str, str] = {}
    if b"xml:base" in document.content:
        headers["content-location"] = document.url
    ctype = next((v for k, v in document.headers.items() if k.lower() == "content-type"), None)
    if ctype is None and document.media_type:
        ctype = document.media_type
        if document.charset:
            ctype += f"; charset={document.charset}"
    if ctype is None:
        return headers
    bom = _bom_charset(document.content)
    if bom:
        ctype = f"{ctype.split(';', 1)[0].strip()}; charset={bom}"
    headers["content-type"] = ctype
    return headers


_CHARSET_PARAM = re.compile(r";\s*charset\s*=\s*[\"']?([\w.:-]+)", re.I)
_XML_ENCODING = re.compile(rb"^<\?xml[^>]*?encoding\s*=\s*[\"']([\w.:-]+)")


def _in_a_declared_charset(document: Document, data: bytes, headers: dict[str, str]) -> bytes:
    """``data`` as feedparser will read it without guessing at its charset.

    feedparser tries the declared charsets (header, XML declaration), then
    asks chardet (installed with readability-lxml), then UTF-8 and
    windows-1252. chardet is pure Python: it took 12-37 s of CPU on a 2 MB
    feed whose bytes break the UTF-8 it declared. Like ``Document.text``, we do
    not guess: bytes that fit no declared charset (UTF-8 when none is) are
    decoded as ``Document.text`` decodes them and handed over as UTF-8.
    """
    ctype = headers.get("content-type")
    param = _CHARSET_PARAM.search(ctype or "")
    xml = _XML_ENCODING.match(data)
    declared = [param.group(1)] if param else []
    declared += [xml.group(1).decode("ascii")] if xml else []
    for charset in declared:
        try:
            data.decode(charset)
        except (LookupError, UnicodeDecodeError):
            continue
        return data
    if not declared:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            return data
    text = replace(document, content=data, charset=None).text()
    media = (ctype or document.media_type or "application/xml").split(";", 1)[0].strip()
    headers["content-type"] = f"{media}; charset=utf-8"
    return text.encode("utf-8")


# -- a buffered expat reader ----------------------------------------------------

# feedparser 6.0's strict path hands every SAX ``characters`` call to its
# ``handle_data``, which does a FeedParserDict look-up per call; Python's
# expat reader reports text in pieces (at every entity and character
# reference and line end), so an entry of escaped HTML costs thousands of
# calls. Expat's ``buffer_text`` joins adjacent pieces into one call; feedparser
# joins the pieces anyway, so the result is the same (a test compares both
# paths on every fixture feed) and parsing takes about a third less time.
# ``_parse_buffered`` is feedparser 6.0.14's ``api.parse`` for bytes with only
# the reader changed; it uses feedparser's module-level internals, so any
# other feedparser version goes through ``feedparser.parse`` itself.
try:
    from feedparser import api as _fp_api

    _FAST = feedparser.__version__.startswith("6.0.") and all(
        hasattr(_fp_api, name)
        for name in (
            "FeedParserDict",
            "convert_to_utf8",
            "replace_doctype",
            "make_safe_absolute_uri",
            "StrictFeedParser",
            "LooseFeedParser",
        )
    )
except ImportError:  # pragma: no cover - a feedparser without the api module
    _FAST = False

MAX_BYTES = 4 * 1024 * 1024
# The largest of 200 real feeds holds 87,000 "<"; 100,000 elements cost
# feedparser about 3 s, 400,000 nested ones (3.6 MB) 11 s.
MAX_TAGS = 100_000
_ENTRY_END = re.compile(rb"</(?:[\w.-]+:)?(?:item|entry)\s*>")


def _whole_entries(document: Document, data: bytes) -> bytes:
    """``data``, or its first ``MAX_BYTES`` and ``MAX_TAGS`` tags cut after the
    last whole entry."""
    bound = min(len(data), MAX_BYTES)
    if data.count(b"<", 0, bound) > MAX_TAGS:
        bound = -1
        for _ in range(MAX_TAGS):
            bound = data.find(b"<", bound + 1)
    if bound == len(data):
        return data
    end = max((m.end() for m in _ENTRY_END.finditer(data, 0, bound)), default=0)
    if not end:
        raise ParseError(
            f"{document.url}: a feed of {len(data)} bytes whose first entry does not end "
            f"within {MAX_BYTES} bytes or {MAX_TAGS} tags; not well-formed enough for the "
            f"fast reader, and too large for the lenient one"
        )
    log.warning(
        "%s: a feed of %d bytes that is not well-formed for the fast reader: only its "
        "first %d bytes (whole entries) are read",
        document.url,
        len(data),
        end,
    )
    return data[:end]


# Expat's text buffer: a text node longer than this still arrives in pieces.
_TEXT_BUFFER = 1 << 16


class _BufferedExpatReader(expatreader.ExpatParser):
    """Python's expat SAX reader with ``buffer_text`` on."""

    def reset(self) -> None:
        super().reset()
        expat = cast(Any, self)._parser  # typeshed does not declare it
        expat.buffer_text = True
        expat.buffer_size = _TEXT_BUFFER


def _parse_buffered(data: bytes, headers: Mapping[str, str]) -> Any:
    api: Any = _fp_api
    result = api.FeedParserDict(bozo=False, entries=[], feed=api.FeedParserDict(), headers={})
    if not data:
        return result
    result["headers"].update(headers)
    data = api.convert_to_utf8(result["headers"], data, result)
    use_strict_parser = bool(result["encoding"])
    result["version"], data, entities = api.replace_doctype(data)
    baseuri = api.make_safe_absolute_uri(headers.get("content-location", "")) or ""
    parser: Any = None
    if use_strict_parser:
        parser = api.StrictFeedParser(baseuri, None, "utf-8")
        parser.resolve_relative_uris = False
        parser.sanitize_html = False
        reader = _BufferedExpatReader()
        reader.setFeature(handler.feature_namespaces, 1)
        reader.setFeature(handler.feature_external_ges, 0)
        reader.setContentHandler(parser)
        reader.setErrorHandler(parser)
        source = xmlreader.InputSource()
        source.setByteStream(io.BytesIO(data))
        try:
            reader.parse(source)
        except xml.sax.SAXException as exc:
            result["bozo"] = 1
            result["bozo_exception"] = parser.exc or exc
            use_strict_parser = False
    if not use_strict_parser:
        parser = api.LooseFeedParser(baseuri, None, "utf-8", entities)
        parser.resolve_relative_uris = False
        parser.sanitize_html = False
        parser.feed(data.decode("utf-8", "replace"))
    result["feed"] = parser.feeddata
    result["entries"] = parser.entries
    result["version"] = result["version"] or parser.version
    result["namespaces"] = parser.namespaces_in_use
    return result


# -- entities the document declares ---------------------------------------------

# feedparser 6 keeps a document's own <!ENTITY> declarations only when their
# value is one character reference or text without "&" (sanitizer.py,
# replace_doctype); the others (entities built of entities, the "billion
# laughs" bomb) are dropped unexpanded, and its loose parser then leaves each
# reference to them in the text as it is: "&lol9;" as a title or a text. The
# same patterns as feedparser's, applied to the part before the first element.
_FIRST_ELEMENT = re.compile(rb"<\w")
_ENTITY_DECL = re.compile(rb"^\s*<!ENTITY([^>]*?)>", re.MULTILINE)
_SAFE_ENTITY = re.compile(rb'\s+(\w+)\s+"(&#\w+;|[^&"]*)"')
_ENTITY_NAME = re.compile(rb"\s+(%\s+)?([^\s\"'%]+)")


def refused_entities(data: bytes) -> list[str]:
    """Names of the entities ``data`` declares, feedparser will not expand, and the
    document uses (``&name;`` after the declarations), in order of declaration."""
    if b"<!ENTITY" not in data:
        return []
    first = _FIRST_ELEMENT.search(data)
    head = data[: first.start()] if first else data
    refused = []
    for declared in _ENTITY_DECL.findall(head):
        name = _ENTITY_NAME.match(declared)
        if name and not name.group(1) and not _SAFE_ENTITY.match(declared):
            refused.append(name.group(2))
    if not refused:
        return []
    body = data[first.start() :] if first else b""
    return [n.decode("utf-8", "replace") for n in refused if b"&" + n + b";" in body]


def run_feedparser(document: Document, *, buffered: bool = True) -> Mapping[str, Any]:
    """feedparser's result for ``document``; ``ParseError`` if feedparser itself fails.

    ``buffered=False`` goes through ``feedparser.parse`` (what the buffered
    path must agree with).
    """
    data = _whole_entries(document, trim_leading_space(document.content))
    refused = refused_entities(data)
    if refused:
        shown = ", ".join(f"&{n};" for n in refused[:5]) + (" ..." if len(refused) > 5 else "")
        raise ParseError(
            f"{document.url}: the document uses XML entities it declares itself whose "
            f"values are not plain text ({shown}); such entities are never expanded "
            f"(entity-expansion attacks are built of them), so nothing is read from it"
        )
    headers = feedparser_headers(document)
    data = _in_a_declared_charset(document, data, headers)
    try:
        if buffered and _FAST:
            result: Mapping[str, Any] = _parse_buffered(data, headers)
        else:
            # Bytes in a BytesIO: feedparser takes a bare string for a URL or
            # a file name to open, and parsers never do I/O.
            result = feedparser.parse(
                io.BytesIO(data),
                response_headers=headers,
                sanitize_html=False,
                resolve_relative_uris=False,
            )
    except Exception as exc:  # feedparser on garbage: never let it escape as-is
        raise ParseError(f"{document.url}: feedparser failed: {type(exc).__name__}: {exc}") from exc
    return result
