"""Indexing the corpus folder into the state, so nothing already there is written again.

Runs at every start (cheap when nothing changed: one directory listing and
one query) and as ``seedwatch corpus index``. Each file not yet known is read
back by ``corpus.read`` if it is one of ours (``seedwatch: 1``), else by the
parser that claims it (blog posts with front-matter, forum and FreshRSS text
renderings, plain articles) and its
items are recorded; a file no parser reads is still indexed as one plain
item, so its text is known. The next sequence number moves past the highest
file found. File names are taken as they are (the seeds predate us).
Nodes sharing a corpus folder and a PostgreSQL state index one at a time
(``Store.exclusive``): the second finds the files known.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from seedwatch.corpus import read, scan
from seedwatch.errors import ParseError
from seedwatch.models import Document, Item
from seedwatch.plugins.registry import Registry
from seedwatch.state.store import Store
from seedwatch.text import clean_text

log = logging.getLogger("seedwatch.indexer")


@dataclass
class IndexReport:
    files: int = 0
    skipped: int = 0
    items: int = 0
    bytes: int = 0
    unreadable: int = 0


def read_corpus_file(registry: Registry, path: Path) -> list[Item]:
    """The items a corpus file holds, by the parser that claims it."""
    content = path.read_bytes()
    document = Document(
        url=path.resolve().as_uri(),
        content=content,
        fetched=datetime.fromtimestamp(path.stat().st_mtime, UTC),
        media_type="text/plain",
        charset="utf-8",
    )
    try:
        # Our own files first: no parser, built-in or not, gets to claim them.
        ours = read(document.text(), path.name)
        if ours is not None:
            return [ours]
        parser = registry.sniff(document)
        items = list(parser.parse(document))
    except ParseError as exc:
        log.warning("corpus file %s: %s; indexing its whole text as one item", path.name, exc)
        items = []
    if items:
        return items
    text = clean_text(document.text())
    return [Item(key=f"file:{path.name}", text=text, parser="file")] if text else []


def index_corpus(registry: Registry, store: Store, folder: Path) -> IndexReport:
    with store.exclusive("corpus-index"):
        return _index(registry, store, folder)


def _index(registry: Registry, store: Store, folder: Path) -> IndexReport:
    report = IndexReport()
    files = scan(folder)
    known = store.indexed_files()
    for entry in files:
        if entry.path.name in known:
            report.skipped += 1
            continue
        items = read_corpus_file(registry, entry.path)
        size = entry.path.stat().st_size
        store.index_file(entry.path.name, entry.seq, size, items)
        report.files += 1
        report.items += len(items)
        report.bytes += size
        log.info("indexed %s: %d item(s)", entry.path.name, len(items))
    if files:
        store.ensure_seq_at_least(files[-1].seq + 1)
    return report
