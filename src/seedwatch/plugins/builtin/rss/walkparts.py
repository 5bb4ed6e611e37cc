"""Parts of the fast reader's walk that keep no walk state, for ``fields``.

Not a plugin: a helper of ``seedwatch.plugins.builtin.rss.fields``. Owns the
feed version read from the root element (as feedparser names it), a category
added once, the ``author`` string kept in step with the last person (as
feedparser does) and an element's own ``xml:base``.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from seedwatch.plugins.builtin.rss.names import (
    ATOM10,
    EMAIL,
    RSS090,
    RSS10,
    XML_BASE,
    Unsupported,
    safe_base,
)


def add_tag(tags: list[dict[str, Any]], term: Any, scheme: Any, label: Any) -> None:
    if not term and not scheme and not label:
        return
    value = {"term": term, "scheme": scheme, "label": label}
    if value not in tags:
        tags.append(value)


def sync_author(ctx: dict[str, Any]) -> None:
    """The ``author`` string from the last person, or the last person from a
    raw ``author`` string ("email (Name)" split by feedparser's e-mail pattern)."""
    detail = (ctx.get("authors") or [{}])[-1]
    if detail:
        name, email = detail.get("name"), detail.get("email")
        if name and email:
            ctx["author"] = f"{name} ({email})"
        elif name:
            ctx["author"] = name
        elif email:
            ctx["author"] = email
        return
    author, email = ctx.get("author"), None
    if not author:
        return
    match = EMAIL.search(author)
    if match:
        email = match.group(0)
        author = author.replace(email, "").replace("()", "").replace("<>", "")
        author = author.replace("&lt;&gt;", "").strip()
        if author and author[0] == "(":
            author = author[1:]
        if author and author[-1] == ")":
            author = author[:-1]
        author = author.strip()
    if author:
        detail["name"] = author
    if email:
        detail["email"] = email


def own_base(el: etree._Element, base: str) -> str:
    """The base of ``el``: its ``xml:base`` applied to its parent's ``base``."""
    if base:
        declared = el.get(XML_BASE)
        if declared:
            return safe_base(base, declared) or base
    return base


_RSS_VERSIONS = {"0.91": "rss091u", "0.92": "rss092", "0.93": "rss093", "0.94": "rss094"}
_ATOM_VERSIONS = {"0.1": "atom01", "0.2": "atom02", "0.3": "atom03"}


def feed_version(root: etree._Element, name: str) -> str:
    uris = {u.lower(): p for p, u in root.nsmap.items() if u}
    if name == "rss":
        declared = root.get("version", "")
        return _RSS_VERSIONS.get(declared) or ("rss20" if declared.startswith("2.") else "rss")
    if name == "feed":
        if RSS10 in uris or uris.get(RSS090, "") is None:
            raise Unsupported("an Atom feed declaring the RSS 1.0 namespace")
        if ATOM10 in uris:
            return "atom10"
        return _ATOM_VERSIONS.get(root.get("version", ""), "atom")
    if name == "rdf_rdf":
        if ATOM10 in uris:
            raise Unsupported("an RDF feed declaring the Atom namespace")
        if root.nsmap.get(None, "").lower() == RSS090:
            return "rss090"
        if RSS10 in uris:
            return "rss10"
    raise Unsupported(f"root element <{name}>")
