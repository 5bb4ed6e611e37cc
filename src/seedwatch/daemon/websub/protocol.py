"""WebSub's wire rules that hold no state: whether a source wants push (and
its config is right), the hub and topic a feed advertises (``Link`` headers,
then the feed itself), and ``X-Hub-Signature`` checked in constant time."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import urljoin

import lxml.etree

from seedwatch.errors import ConfigError
from seedwatch.models import Document, Source

if TYPE_CHECKING:
    from seedwatch.daemon.config import Config

ATOM = "http://www.w3.org/2005/Atom"
ALGORITHMS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha384": hashlib.sha384,
              "sha512": hashlib.sha512}  # fmt: skip


def wanted(source: Source) -> bool:
    return bool(source.options.get("websub"))


def check(source: Source, config: Config) -> None:
    """Config errors in a source's ``websub`` key, naming the source and the key."""
    value = source.options.get("websub")
    if value is None:
        return
    if not isinstance(value, bool):
        raise ConfigError(
            f'config {config.where}, source {source.id!r}: field "websub": expected true or '
            f"false, got {value!r}"
        )
    if value and not config.websub.callback:
        raise ConfigError(
            f'config {config.where}, source {source.id!r}: field "websub": needs the public '
            f'callback URL of this daemon, [websub] callback = "https://..."'
        )


# -- discovery ------------------------------------------------------------------


def hub_links(document: Document) -> tuple[str | None, str | None]:
    """The hub and the topic (``self``) a feed advertises: in its HTTP ``Link``
    headers first (7.1 of the spec), then in the feed (Atom ``link``, RSS's
    ``atom:link``, JSON Feed's ``hubs`` and ``feed_url``)."""
    hub, topic = _header_links(document.headers)
    if hub and topic:
        return hub, topic
    body_hub, body_topic = _feed_links(document)
    return hub or body_hub, topic or body_topic


def _header_links(headers: Mapping[str, str]) -> tuple[str | None, str | None]:
    value = next((v for k, v in headers.items() if k.lower() == "link"), "")
    found: dict[str, str] = {}
    for part in value.split(","):
        target, _, params = part.partition(";")
        target = target.strip()
        if not (target.startswith("<") and target.endswith(">")):
            continue
        for param in params.split(";"):
            name, _, rel = param.strip().partition("=")
            if name.strip().lower() == "rel":
                for r in rel.strip().strip('"').lower().split():
                    found.setdefault(r, target[1:-1])
    return found.get("hub"), found.get("self")


def _feed_links(document: Document) -> tuple[str | None, str | None]:
    content = document.content.lstrip()
    if content.startswith(b"{"):
        try:
            data = json.loads(content)
        except ValueError:
            return None, None
        hubs = [h.get("url") for h in data.get("hubs") or [] if isinstance(h, dict)]
        return (hubs[0] if hubs else None), data.get("feed_url")
    try:
        root = lxml.etree.fromstring(
            content, lxml.etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
        )
    except lxml.etree.XMLSyntaxError:
        return None, None
    found: dict[str, str] = {}
    for link in root.iter(f"{{{ATOM}}}link", "link"):
        rel, href = (link.get("rel") or "").lower(), (link.get("href") or "").strip()
        if rel in ("hub", "self") and href:
            found.setdefault(rel, urljoin(document.url, href))
    return found.get("hub"), found.get("self")


def signature_ok(header: str | None, body: bytes, secret: bytes) -> bool:
    """``X-Hub-Signature: method=hex`` checked in constant time."""
    if not header or "=" not in header:
        return False
    method, _, given = header.strip().partition("=")
    digest = ALGORITHMS.get(method.lower())
    if digest is None:
        return False
    expected = hmac.new(secret, body, digest).hexdigest()
    return hmac.compare_digest(expected, given.strip().lower())
