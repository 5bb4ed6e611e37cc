"""Where a post lives: its URL (``permalink``/``url`` against the source's
``base_url``, else an absolute ``guid`` or ``wordpress_url``) and the key it
falls back to, built from the source it came from (the path relative to a
folder source, the last path segment, a Hugo page bundle's folder)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

from seedwatch.models import Document, Source
from seedwatch.plugins.builtin.frontmatter.values import absolute

URL_KEYS = ("permalink", "url")


def item_url(meta: Mapping[str, Any], source: Source | None) -> str | None:
    link = next(
        (meta[k] for k in URL_KEYS if isinstance(meta.get(k), str) and meta[k].strip()), None
    )
    base = source.options.get("base_url") if source is not None else None
    if isinstance(link, str):
        link = link.strip()
        if absolute(link):
            return link
        if isinstance(base, str) and base.strip():
            return base.strip().rstrip("/") + "/" + link.lstrip("/")
    return absolute(meta.get("guid")) or absolute(meta.get("wordpress_url"))


def fallback_key(document: Document, meta: Mapping[str, Any]) -> str:
    local = _local_name(document)
    for key in ("id", "slug"):
        value = meta.get(key)
        if value is not None and not isinstance(value, list | dict) and str(value).strip():
            local = str(value).strip()
            break
    prefix = document.source.id if document.source is not None else _local_name(document)
    return f"{prefix}:{local}"


def _local_name(document: Document) -> str:
    parts = urlsplit(document.url)
    path = PurePosixPath(unquote(parts.path))
    source = document.source
    if parts.scheme == "file" and source is not None and source.path:
        folder = Path(source.path).expanduser()
        for base in (folder.absolute(), folder.resolve()):  # as listed, or through links
            if Path(path).is_relative_to(base):
                return Path(path).relative_to(base).as_posix()
    if path.stem in ("index", "_index") and path.parent.name:
        return f"{path.parent.name}/{path.name}"
    return path.name or document.url


def extension(document: Document) -> str:
    return PurePosixPath(urlsplit(document.url).path).suffix.lower()
