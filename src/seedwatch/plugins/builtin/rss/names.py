"""Feed element names and values as feedparser 6.0 reads them, for the fast reader.

Not a plugin: a helper of ``seedwatch.plugins.builtin.rss.fields``. Owns the
name feedparser gives each element (its namespace's usual prefix, then the
lower-cased local name), the sets of names the walk treats alike, and the
value rules: text stripped, mis-decoded UTF-8 repaired, C1 controls read as
Windows-1252, URLs resolved against ``xml:base`` only, "text/plain" RSS values
that look like HTML taken as HTML. ``Unsupported`` means "let feedparser read
this document".
"""

from __future__ import annotations

import contextlib
import html.entities
import re
from urllib.parse import urljoin, urlparse

from lxml import etree


def words(text: str) -> frozenset[str]:
    return frozenset(text.split())


class Unsupported(Exception):
    """Something the fast reader does not implement; the feed goes to feedparser."""


# Namespaces whose elements feedparser reads under a fixed prefix ('' for the
# core formats). An element of any other namespace keeps its document prefix.
_CORE = (
    "http://backend.userland.com/rss", "http://blogs.law.harvard.edu/tech/rss",
    "http://purl.org/rss/1.0/", "http://my.netscape.com/rdf/simple/0.9/",
    "http://purl.org/atom/ns#", "http://www.w3.org/2005/atom",
    "http://purl.org/rss/1.0/modules/rss091#",
    "http://example.com/newformat#", "http://example.com/necho", "http://purl.org/echo/",
    "uri/of/echo/namespace#", "http://purl.org/pie/",
)  # fmt: skip
_PREFIXES = {
    **dict.fromkeys(_CORE, ""),
    "http://purl.org/rss/1.0/modules/content/": "content",
    "http://purl.org/dc/elements/1.1/": "dc",
    "http://purl.org/dc/terms/": "dcterms",
    "http://search.yahoo.com/mrss": "media",
    "http://search.yahoo.com/mrss/": "media",
    "http://www.itunes.com/dtds/podcast-1.0.dtd": "itunes",
    "http://example.com/dtds/podcast-1.0.dtd": "itunes",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#": "rdf",
    "http://www.w3.org/1999/xhtml": "xhtml",
    "http://wellformedweb.org/commentapi/": "wfw",
    "http://purl.org/rss/1.0/modules/slash/": "slash",
    "http://purl.org/rss/1.0/modules/syndication/": "sy",
    "http://rssnamespace.org/feedburner/ext/1.0": "feedburner",
    "http://www.georss.org/georss": "georss",
    "http://www.opengis.net/gml": "gml",
    "http://webns.net/mvcb/": "admin",
    "http://podlove.org/simple-chapters": "psc",
    "http://creativecommons.org/ns#license": "cc",
    "http://web.resource.org/cc/": "cc",
    "http://backend.userland.com/creativecommonsrssmodule": "creativeCommons",
    "http://cyber.law.harvard.edu/rss/creativecommonsrssmodule.html": "creativeCommons",
    "http://purl.org/rss/1.0/modules/threading/": "thr",
    "http://www.w3.org/2003/01/geo/wgs84_pos#": "geo",
}
ATOM10 = "http://www.w3.org/2005/atom"
RSS10 = "http://purl.org/rss/1.0/"
RSS090 = "http://my.netscape.com/rdf/simple/0.9/"
XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
_SCHEMES = words(
    """file ftp gopher h323 hdl http https imap magnet mailto mms news nntp prospero rsync rtsp
    rtspu sftp shttp sip sips snews svn svn+ssh telnet wais aim callto cvs facetime feed git
    gtalk irc ircs irc6 itms msnim skype ssh smb ymsg"""
)
RDF_ABOUT = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about"

# Elements that name no field the rss parser reads and whose handlers only
# keep values of their own: their children are still walked.
_NEUTRAL = words(
    """enclosure media_content media_thumbnail media_player media_rating media_credit
    media_restriction media_license media_group contributor dc_contributor itunes_subtitle
    itunes_image itunes_link dc_publisher webmaster dc_language language dc_rights rights
    copyright subtitle tagline created dcterms_created expirationdate dcterms_valid cloud
    generator newlocation width height info feedburner_browserfriendly name email uri url
    homepage itunes_name itunes_email georss_point georss_line georss_polygon georss_box
    georss_where where cc_license creativecommons_license admin_generatoragent
    admin_errorreportsto itunes_block itunes_explicit"""
)
# Elements whose handler changes what other fields get: not implemented.
REFUSED = words(
    """body xhtml_body tags itunes_owner textinput gml_point gml_pos gml_poslist gml_linestring
    gml_polygon gml_exterior gml_linearring georssgeom geom psc_chapters psc_chapter
    channel feed rss"""
)
# Every element feedparser 6.0 has a rule for; any other element only keeps
# its own text (or attributes) under its own name.
HANDLED = words(
    """abstract admin_errorreportsto admin_generatoragent author body category cc_license channel
    cloud content content_encoded contributor copyright created creativecommons_license dc_author
    dc_contributor dc_creator dc_date dc_description dc_language dc_publisher dc_rights
    dc_subject dc_title dcterms_created dcterms_issued dcterms_modified dcterms_valid
    description email enclosure entry expirationdate feed feedburner_browserfriendly fullitem
    generator geom georss_box georss_line georss_point georss_polygon georss_where georssgeom
    gml_exterior gml_linearring gml_linestring gml_point gml_polygon gml_pos gml_poslist guid
    height homepage id image info issued item itunes_author itunes_block itunes_category
    itunes_email itunes_explicit itunes_image itunes_keywords itunes_link itunes_name
    itunes_owner itunes_subtitle itunes_summary keywords language lastbuilddate link
    managingeditor media_category media_content media_credit media_description media_group
    media_keywords media_license media_player media_rating media_restriction media_thumbnail
    media_title modified name newlocation psc_chapter psc_chapters pubdate published rights rss
    source subtitle summary tagline tags textinput title updated uri url webmaster where width
    xhtml_body"""
)
TITLES = frozenset(("title", "dc_title", "media_title"))
DESCRIPTIONS = frozenset(("description", "dc_description", "media_description"))
SUMMARIES = frozenset(("summary", "itunes_summary"))
AUTHORS = frozenset(("author", "managingeditor", "dc_author", "dc_creator", "itunes_author"))
PERSON_PARTS = {
    "name": "name",
    "itunes_name": "name",
    "email": "email",
    "itunes_email": "email",
    "uri": "href",
    "url": "href",
    "homepage": "href",
}
PUBLISHED = frozenset(("published", "pubdate", "issued", "dcterms_issued"))
UPDATED = frozenset(("updated", "modified", "lastbuilddate", "dc_date", "dcterms_modified"))
CATEGORIES = frozenset(("category", "keywords", "dc_subject", "media_category"))
KEYWORD_LISTS = {"media_keywords": None, "itunes_keywords": "http://www.itunes.com/"}
HTML_TYPES = frozenset(("text/html", "application/xhtml+xml"))

# HTML elements that make an RSS text/plain value count as HTML (the list
# feedparser 6.0 checks against; a value with any other tag stays text).
_HTML_ELEMENTS = words(
    """a abbr acronym address area article aside audio b big blockquote br button canvas caption
    center cite code col colgroup command datagrid datalist dd del details dfn dialog dir div dl
    dt em event-source fieldset figcaption figure font footer form h1 h2 h3 h4 h5 h6 header hr i
    img input ins kbd keygen label legend li m map menu meter multicol nav nextid noscript ol
    optgroup option output p pre progress q s samp section select small sound source spacer span
    strike strong sub sup table tbody td textarea tfoot th thead time tr tt u ul var
    video"""
)
_CLOSE_TAG = re.compile(r"</(\w+)>")
_ENTITY_REF = re.compile(r"&#?\w+;")
_TAG_NAMES = re.compile(r"</?(\w+)")
_NAMED_ENTITIES = re.compile(r"&(\w+);")
_URIFIX = re.compile(r"^([A-Za-z][A-Za-z0-9+-.]*://)(/*)(.*?)")
LINK_REF = re.compile(r"&([A-Za-z0-9_]+);")
EMAIL = re.compile(
    r"(([a-zA-Z0-9\_\-\.\+]+)@((\[[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.)|(([a-zA-Z0-9\-]+\.)+))"
    r"([a-zA-Z]{2,4}|[0-9]{1,3})(\]?))(\?subject=\S+)?"
)
# C1 controls in UTF-8: C2 80 to C2 9F (searched in bytes: several times faster
# than a character class over long text).
_C1 = re.compile(b"\xc2[\x80-\x9f]")
_CP1252 = {}
for _byte in range(0x80, 0xA0):
    with contextlib.suppress(UnicodeDecodeError):  # 0x81, 0x8d, 0x8f, 0x90, 0x9d
        _CP1252[_byte] = bytes([_byte]).decode("cp1252")


_ENTITY_NAMES = frozenset(html.entities.entitydefs)


def looks_like_html(value: str) -> bool:
    """Whether a value declared text/plain is really HTML (feedparser's test)."""
    if not (_CLOSE_TAG.search(value) or _ENTITY_REF.search(value)):
        return False
    if any(t.lower() not in _HTML_ELEMENTS for t in _TAG_NAMES.findall(value)):
        return False
    return all(e in _ENTITY_NAMES for e in _NAMED_ENTITIES.findall(value))


def content_type(value: str) -> str:
    value = value.lower()
    return {"text": "text/plain", "plain": "text/plain", "html": "text/html"}.get(
        value, "application/xhtml+xml" if value == "xhtml" else value
    )


def fix(value: str) -> str:
    """A value as feedparser hands it out: UTF-8 read as Latin-1 undone, C1
    controls read as Windows-1252."""
    if not value.isascii():
        with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
            value = value.encode("iso-8859-1").decode("utf-8")
        if _C1.search(value.encode("utf-8", "surrogatepass")):
            value = value.translate(_CP1252)
    return value


def resolve(value: str, base: str) -> str:
    """A URL resolved as feedparser does: slashes after ``scheme://`` dropped,
    then joined to the ``xml:base`` in force (none without one: "")."""
    if "://" in value:
        # feedparser's _URIFIX.sub(r"\1\3", value), without a template expanded per call
        fixed = _URIFIX.match(value)
        if fixed is not None and fixed.group(2):
            value = fixed.group(1) + value[fixed.end(2) :]
    if not base:
        return value
    try:
        return urljoin(base, value)
    except ValueError:
        return ""


def safe_base(base: str, relative: str | None = None) -> str:
    """An ``xml:base`` applied to the base in force, kept only when its scheme is
    one a feed may use (what feedparser accepts); "" otherwise."""
    if not base:
        return relative or ""
    if not relative:
        try:
            scheme = urlparse(base)[0]
        except ValueError:
            return ""
        return base if not scheme or scheme in _SCHEMES else ""
    joined = resolve(relative, base)
    return joined if joined.strip().split(":", 1)[0] in _SCHEMES else ""


def text_of(el: etree._Element) -> str:
    """The text of an element holding only text (and comments)."""
    if len(el) == 0:
        return (el.text or "").strip()
    parts = [el.text or ""]
    for child in el:
        if not isinstance(child, etree._Comment | etree._ProcessingInstruction):
            raise Unsupported(f"markup inside <{etree.QName(el).localname}>")
        parts.append(child.tail or "")
    return "".join(parts).strip()


def attributes(el: etree._Element) -> dict[str, str]:
    """Attributes keyed by lower-cased local name (a namespaced one keeps its
    ``{uri}`` so that it never passes for a plain one); rel and type values
    lower-cased."""
    out: dict[str, str] = {}
    for raw_key, raw_value in el.attrib.items():
        key, value = str(raw_key), str(raw_value)
        name = key if key[0] == "{" else key.lower()
        out[name] = value.lower() if name in ("rel", "type") else value
    return out


# Field names of the tags whose name the tag alone gives (no namespace or a
# known one), a few thousand at most: a feed names the same few dozen
# elements again and again.
_FIELD_NAMES: dict[str, str] = {}
_FIELD_NAMES_KEPT = 4096


def field_name(el: etree._Element) -> str:
    """The name feedparser gives an element: known prefix, underscore, local name."""
    tag = el.tag
    if not isinstance(tag, str):
        return ""
    name = _FIELD_NAMES.get(tag)
    if name is not None:
        return name
    if tag[0] == "{":
        uri, _, local = tag[1:].partition("}")
        lowered = uri.lower()
        if "backend.userland.com/rss" in lowered:
            lowered = "http://backend.userland.com/rss"
        prefix = _PREFIXES.get(lowered)
        if prefix is None:
            # The document's own prefix: not the tag's alone, not kept.
            prefix = el.prefix or ""
            local = local.lower()
            return f"{prefix}_{local}" if prefix else local
    else:
        local, prefix = tag, ""
    local = local.lower()
    name = f"{prefix}_{local}" if prefix else local
    if len(_FIELD_NAMES) < _FIELD_NAMES_KEPT:
        _FIELD_NAMES[tag] = name
    return name
