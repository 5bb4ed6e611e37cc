"""The further pages a backfill follows from a feed: RFC 5005 ``prev-archive``
/ ``next`` links, else WordPress's ``?paged=N`` while pages come full."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from lxml import etree

from seedwatch.models import Document
from seedwatch.plugins.builtin.feedparse import trim_leading_space
from seedwatch.urls import join

_ATOM = "http://www.w3.org/2005/Atom"
_PAGING_RELS = ("prev-archive", "next")
# WordPress's default "Syndication feeds show the most recent" setting; a
# source whose blog shows more or fewer per page sets ``feed_page_size``.
WORDPRESS_PAGE_SIZE = 10
MAX_WORDPRESS_PAGE = 10_000


def _xml_tree(document: Document) -> etree._Element | None:
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(trim_leading_space(document.content), parser, base_url=document.url)
    except etree.LxmlError:
        return None
    return root


def feed_next_pages(document: Document) -> list[str]:
    """RFC 5005 ``prev-archive`` / ``next`` links of the feed (not of its entries),
    else the next ``?paged=N`` page of a full WordPress feed page."""
    root = _xml_tree(document)
    if root is None:
        return []
    containers = [root, *root.findall("{*}channel")]
    pages: list[str] = []
    for rel in _PAGING_RELS:
        for container in containers:
            for link in container.iterfind(f"{{{_ATOM}}}link"):
                href = (link.get("href") or "").strip()
                if link.get("rel") == rel and href:
                    url = join(link.base or document.url, href)
                    if url and url != document.url and url not in pages:
                        pages.append(url)
    if pages:
        return pages
    return _wordpress_next(document, root)


def _wordpress_next(document: Document, root: etree._Element) -> list[str]:
    channel = root.find("channel")
    if channel is None:
        return []
    generator = channel.findtext("generator") or ""
    if "wordpress.org" not in generator:
        return []
    options = document.source.options if document.source else {}
    try:
        page_size = int(options.get("feed_page_size", WORDPRESS_PAGE_SIZE))
    except (TypeError, ValueError):
        page_size = WORDPRESS_PAGE_SIZE
    if len(channel.findall("item")) < page_size:
        return []  # a short page is the last one
    parts = urlsplit(document.url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    current = next((v for k, v in query if k == "paged"), "1")
    page = int(current) if current.isdigit() else 1
    if page >= MAX_WORDPRESS_PAGE:
        return []
    query = [(k, v) for k, v in query if k != "paged"] + [("paged", str(page + 1))]
    return [urlunsplit(parts._replace(query=urlencode(query)))]
