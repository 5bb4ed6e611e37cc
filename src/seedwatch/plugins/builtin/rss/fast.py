"""The fast feed reader: well-formed RSS 2.0/0.9x, RSS 1.0/RDF and Atom read with
lxml, giving what the ``rss`` parser reads from feedparser's result.

Not a plugin: a helper of the ``rss`` parser. ``read_feed``
returns a mapping shaped like the part of feedparser's result that ``rss``
reads (``version``; ``feed``: title, link, links, authors; ``entries``: title,
link, id, authors, author, content, summary, dates, tags, comments), built by
one walk over the lxml tree that applies feedparser 6.0's documented
element rules (which element fills which field, which wins when several
do, the RFC 822/W3DTF dates). It uses none of feedparser's code.

Anything it does not fully understand makes it return ``None`` and the
document goes to feedparser: XML that is not well-formed, a DOCTYPE that
declares anything (a bare one is taken out, as feedparser does),
``xml:base``, an encoding it cannot confirm (a UTF-16 byte-order mark, a
``text/*`` type without charset, a header charset that contradicts the
document), markup inside a title or body element, Atom XHTML content,
base64 content, dates only feedparser's rarer handlers read, and elements
whose feedparser meaning it does not implement. A test runs both paths on
every fixture feed and on the 200 benchmark feeds and compares the Items.
"""

from __future__ import annotations

import codecs
import logging
import re
import threading
from typing import Any

from lxml import etree

from seedwatch.models import Document
from seedwatch.plugins.builtin.feedparse import feedparser_headers, trim_leading_space
from seedwatch.plugins.builtin.rss.dates import Unreadable
from seedwatch.plugins.builtin.rss.fields import walk_feed
from seedwatch.plugins.builtin.rss.names import Unsupported

log = logging.getLogger(__name__)

# One parser per thread: the daemon's polling threads parse feeds at once, and
# lxml parser objects are not meant to be shared between threads (lxml
# serialises the threads sharing one behind its lock).
_LOCAL = threading.local()


def _parser() -> etree.XMLParser:
    parser: etree.XMLParser | None = getattr(_LOCAL, "parser", None)
    if parser is None:
        parser = _LOCAL.parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            huge_tree=False,
            recover=False,
            strip_cdata=True,
            remove_blank_text=False,
        )
    return parser


_DECLARED = re.compile(rb"""^<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_XML_TYPES = re.compile(r"^application/(?:[\w.+-]+\+)?xml$")
_OTHER_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)


def _codec(name: str) -> str | None:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _encoding_confirmed(document: Document, data: bytes) -> bool:
    """Whether lxml will decode ``data`` as feedparser would: one encoding named
    consistently by the byte-order mark, the XML declaration and the header."""
    if data.startswith(_OTHER_BOMS):
        return False
    bom = data.startswith(codecs.BOM_UTF8)
    declared_match = _DECLARED.match(data[3:] if bom else data)
    declared = _codec(declared_match.group(1).decode("ascii")) if declared_match else "utf-8"
    if declared is None or (bom and declared != "utf-8"):
        return False
    ctype = feedparser_headers(document).get("content-type")
    if ctype is None:
        return True
    media, _, params = ctype.partition(";")
    media = media.strip().lower()
    charset = None
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip("\"'")
    if charset:
        return _codec(charset) == declared
    # RFC 3023: text/* without a charset is US-ASCII whatever the document says;
    # feedparser follows it (and then falls back), so those go to feedparser.
    return bool(_XML_TYPES.match(media))


# feedparser 6.0's patterns (sanitizer.py): the part before the first element,
# and the DOCTYPE it takes out of that part.
_FIRST_ELEMENT = re.compile(rb"<\w")
_DOCTYPE = re.compile(rb"^\s*<!DOCTYPE([^>]*?)>", re.MULTILINE)


def _without_doctype(data: bytes) -> bytes | None:
    """``data`` without its DOCTYPE, as feedparser parses it, when that DOCTYPE
    is all it changes; ``None`` when feedparser must read the document: entity
    declarations (feedparser keeps some of them), an internal subset, a
    Netscape RSS 0.91 DOCTYPE (which names the version) or one feedparser's
    pattern does not find (then expat sees it)."""
    first = _FIRST_ELEMENT.search(data)
    if first is None:
        return None
    head, rest = data[: first.start() + 1], data[first.start() + 1 :]
    if b"<!ENTITY" in head or b"[" in head:
        return None
    doctypes = _DOCTYPE.findall(head)
    if len(doctypes) != 1 or b"netscape" in doctypes[0].lower():
        return None
    head = _DOCTYPE.sub(b"", head)
    return None if b"<!DOCTYPE" in head else head + rest


def read_feed(document: Document) -> dict[str, Any] | None:
    """The feed as the ``rss`` parser reads it, or ``None`` when feedparser must
    read it (see the module docstring)."""
    data = trim_leading_space(document.content)
    head = data[:4096]
    # A plain ``base`` attribute is one too for feedparser.
    if b"<!doctype" in head or b" base=" in data:
        return None
    if b"<!DOCTYPE" in head:
        without = _without_doctype(data)
        if without is None:
            return None
        data = without
    if not _encoding_confirmed(document, data):
        return None
    try:
        root = etree.fromstring(data, _parser())
    except (etree.LxmlError, ValueError):
        return None
    try:
        # The same base feedparser is given (see ``feedparser_headers``).
        return walk_feed(root, document.url if b"xml:base" in document.content else "")
    except (Unsupported, Unreadable) as exc:
        log.debug("%s: read by feedparser: %s", document.url, exc)
        return None
