"""Editing the sources of a config file (add, remove, OPML import/export).

Edits go through tomlkit so the user's comments and layout survive; every
change is validated by loading the result before the file is replaced.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
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


def _write(
    path: Path, doc: tomlkit.TOMLDocument, check: Callable[[config_mod.Config], None] | None
) -> None:
    text = tomlkit.dumps(doc)
    # validate before replacing: the model, then what ``check`` adds (config check's checks)
    config = config_mod.from_dict(tomllib.loads(text), file=path)
    if check is not None:
        check(config)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def slug(text: str) -> str:
    value = re.sub(r"[^A-Za-z0-9._-]+", "-", text.strip()).strip("-.").lower()
    return value[:80] or "source"


@dataclass
class Added:
    """What ``add_sources`` did: the ids added; the URLs skipped, with the id
    of the source that already has each."""

    ids: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


def add_sources(
    path: Path,
    entries: list[dict[str, Any]],
    *,
    check: Callable[[config_mod.Config], None] | None = None,
    rename: bool = True,
) -> Added:
    """Append ``entries`` as ``[[sources]]``, skipping URLs already configured.
    A taken id is made unique (``rename``, for ids made from titles) or refused."""
    doc = _read(path)
    if "sources" not in doc:
        doc["sources"] = tomlkit.aot()
    table = doc["sources"]
    ids = {str(s["id"]) for s in table}
    urls = {str(s["url"]): str(s["id"]) for s in table if s.get("url")}
    report = Added()
    for entry in entries:
        if entry.get("url") and entry["url"] in urls:
            report.skipped.append((entry["url"], urls[entry["url"]]))
            continue
        base = entry["id"]
        if base in ids and not rename:
            raise ConfigError(
                f"config {path}: a source with id {base!r} already exists; "
                f"choose another id (or `seedwatch sources remove {base}` first)"
            )
        sid, n = base, 2
        while sid in ids:
            sid, n = f"{base}-{n}", n + 1
        entry = {**entry, "id": sid}
        item = tomlkit.table()
        for key, value in entry.items():
            if isinstance(value, dict):  # credentials = { password = "ENV" }, on one line
                inline = tomlkit.inline_table()
                inline.update(value)
                value = inline
            if value is not None:
                item[key] = value
        table.append(item)
        ids.add(sid)
        urls[entry.get("url") or ""] = sid
        report.ids.append(sid)
    if report.ids:
        _write(path, doc, check)
    return report


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
    _write(path, doc, None)


def set_enabled(path: Path, source_id: str, enabled: bool) -> bool:
    """Write the source's ``enabled`` key; False when it already had that value."""
    doc = _read(path)
    for s in doc.get("sources") or []:
        if s["id"] == source_id:
            if bool(s.get("enabled", True)) == enabled:
                return False
            if enabled:
                del s["enabled"]  # the default: the entry reads as before the pause
            else:
                s["enabled"] = False
            _write(path, doc, None)
            return True
    raise ConfigError(f"config {path}: no source {source_id!r}")


def read_opml(file: Path) -> list[dict[str, Any]]:
    """Sources from an OPML subscription list (every outline with an xmlUrl).

    The folders (outlines holding outlines) a feed sits in become its
    ``group`` ("Tech/Python"); a feed outside any folder takes its first
    ``category`` attribute instead (OPML 2.0: "/Tech/Python,/News").
    """
    try:
        parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
        root = etree.parse(str(file), parser).getroot()
    except (OSError, etree.XMLSyntaxError) as exc:
        raise ConfigError(f"OPML {file}: cannot read it: {exc}") from None
    body = root.find("body")
    entries: list[dict[str, Any]] = []
    _read_outlines(body if body is not None else root, [], entries)
    return entries


def _read_outlines(parent: Any, folders: list[str], entries: list[dict[str, Any]]) -> None:
    for outline in parent.iterchildren("outline"):
        url = outline.get("xmlUrl")
        name = (outline.get("title") or outline.get("text") or "").strip()
        if not url:
            _read_outlines(outline, [*folders, name] if name else folders, entries)
            continue
        title = name or url
        category = (outline.get("category") or "").split(",")[0].strip().strip("/")
        group = "/".join(folders) or category or None
        entries.append(
            {"id": slug(title), "kind": "http", "url": url, "title": title, "group": group}
        )


def write_opml(sources: list[config_mod.SourceConfig]) -> str:
    """The http sources as OPML 2.0; a source's ``group`` is its folder
    (nested for "Tech/Python") and its ``category`` attribute."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<opml version="2.0">',
        "  <head><title>seedwatch sources</title></head>",
        "  <body>",
    ]
    open_folders: list[str] = []
    feeds = [s for s in sources if s.kind == "http" and s.url]
    # grouped feeds first, by folder, so each folder is written once
    feeds.sort(key=lambda s: (s.group is None, (s.group or "").split("/")))
    for src in feeds:
        folders = [part for part in (src.group or "").split("/") if part]
        common = 0
        while common < min(len(folders), len(open_folders)) and (
            folders[common] == open_folders[common]
        ):
            common += 1
        while len(open_folders) > common:
            open_folders.pop()
            lines.append("    " + "  " * len(open_folders) + "</outline>")
        for name in folders[common:]:
            lines.append(
                "    " + "  " * len(open_folders) + f"<outline text={quoteattr(name)} "
                f"title={quoteattr(name)}>"
            )
            open_folders.append(name)
        title = src.title or src.id
        category = f" category={quoteattr('/' + '/'.join(folders))}" if folders else ""
        lines.append(
            "    " + "  " * len(open_folders) + f'<outline type="rss" text={quoteattr(title)} '
            f"title={quoteattr(title)} xmlUrl={quoteattr(src.url or '')}{category}/>"
        )
    while open_folders:
        open_folders.pop()
        lines.append("    " + "  " * len(open_folders) + "</outline>")
    lines += ["  </body>", "</opml>", ""]
    return "\n".join(lines)
