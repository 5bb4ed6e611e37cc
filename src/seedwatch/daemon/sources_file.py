"""Editing the sources of a config file (add, remove, OPML import/export).

Edits go through tomlkit so the user's comments and layout survive; every
change is validated by loading the result before the file is replaced.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import tomlkit
from lxml import etree

from seedwatch.daemon import config as config_mod
from seedwatch.errors import ConfigError


def _read(path: Path) -> tomlkit.TOMLDocument:
    if not path.exists():
        return tomlkit.document()
    return tomlkit.parse(path.read_text(encoding="utf-8"))


def _write(path: Path, doc: tomlkit.TOMLDocument) -> None:
    text = tomlkit.dumps(doc)
    config_mod.from_dict(tomllib.loads(text), file=path)  # validate before replacing
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def slug(text: str) -> str:
    value = re.sub(r"[^A-Za-z0-9._-]+", "-", text.strip()).strip("-.").lower()
    return value[:80] or "source"


def add_sources(path: Path, entries: list[dict[str, Any]]) -> list[str]:
    """Append ``entries`` as ``[[sources]]``; ids made unique; returns the ids added."""
    doc = _read(path)
    if "sources" not in doc:
        doc["sources"] = tomlkit.aot()
    table = doc["sources"]
    ids = {str(s["id"]) for s in table}
    urls = {str(s.get("url")) for s in table}
    added = []
    for entry in entries:
        if entry.get("url") and entry["url"] in urls:
            continue
        base = entry["id"]
        sid, n = base, 2
        while sid in ids:
            sid, n = f"{base}-{n}", n + 1
        entry = {**entry, "id": sid}
        item = tomlkit.table()
        for key, value in entry.items():
            if value is not None:
                item[key] = value
        table.append(item)
        ids.add(sid)
        added.append(sid)
    _write(path, doc)
    return added


def remove_source(path: Path, source_id: str) -> None:
    doc = _read(path)
    table = doc.get("sources")
    if table is None or not any(s["id"] == source_id for s in table):
        raise ConfigError(f"config {path}: no source {source_id!r} to remove")
    kept = tomlkit.aot()
    for s in table:
        if s["id"] != source_id:
            kept.append(s)
    doc["sources"] = kept
    _write(path, doc)


def read_opml(file: Path) -> list[dict[str, Any]]:
    """Sources from an OPML subscription list (every outline with an xmlUrl)."""
    try:
        parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
        root = etree.parse(str(file), parser).getroot()
    except (OSError, etree.XMLSyntaxError) as exc:
        raise ConfigError(f"OPML {file}: cannot read it: {exc}") from None
    entries = []
    for outline in root.iter("outline"):
        url = outline.get("xmlUrl")
        if not url:
            continue
        title = outline.get("title") or outline.get("text") or url
        entries.append({"id": slug(title), "kind": "http", "url": url, "title": title})
    return entries


def write_opml(sources: list[config_mod.SourceConfig]) -> str:
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<opml version="2.0">',
        "  <head><title>seedwatch sources</title></head>",
        "  <body>",
    ]
    for src in sources:
        if src.kind != "http" or not src.url:
            continue
        title = str((src.model_extra or {}).get("title", src.id))
        lines.append(
            f'    <outline type="rss" text={quoteattr(title)} title={quoteattr(title)} '
            f"xmlUrl={quoteattr(src.url)}/>"
        )
    lines += ["  </body>", "</opml>", ""]
    return "\n".join(lines)
