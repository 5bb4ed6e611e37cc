"""Indexing the corpus folder into the state, so nothing already there is written again.

Runs at every start (cheap when nothing changed: one directory listing and
one query) and as ``seedwatch corpus index``. Each file not yet known is read
back by ``corpus.read`` if it is one of ours (``seedwatch: 1``), else by the
parser that claims it (blog posts with front-matter, forum and FreshRSS text
renderings, plain articles) and its
items are recorded; a file no parser reads is still indexed as one plain
item, so its text is known, and so is a file whose parser fails on it. A
file that cannot be read at all (permissions, an I/O error) is skipped with
a warning naming it and is not recorded: the next index tries it again, and
``corpus verify`` lists it. The next sequence number moves past the highest
file found. File names are taken as they are (the seeds predate us).
Nodes sharing a corpus folder and a PostgreSQL state index one at a time
(``Store.exclusive``): the second finds the files known.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from seedwatch.corpus import read, scan
from seedwatch.errors import ItemValidationError, ParseError
from seedwatch.models import Document, Item, clean_item
from seedwatch.plugins.registry import Registry
from seedwatch.state.store import Store
from seedwatch.text import clean_text

log = logging.getLogger("seedwatch.indexer")
# Files (or items: seed 000 alone holds hundreds) recorded per transaction.
BATCH_FILES = 200
BATCH_ITEMS = 2000


@dataclass
class IndexReport:
    files: int = 0
    skipped: int = 0
    items: int = 0
    bytes: int = 0
    unreadable: int = 0


def read_corpus_file(registry: Registry, path: Path) -> list[Item]:
    """The items a corpus file holds, by the parser that claims it."""
    return _read(registry, path, path.stat(), path.resolve())


def _read(registry: Registry, path: Path, stat: os.stat_result, resolved: Path) -> list[Item]:
    content = path.read_bytes()
    document = Document(
        url=resolved.as_uri(),
        content=content,
        fetched=datetime.fromtimestamp(stat.st_mtime, UTC),
        media_type="text/plain",
        charset="utf-8",
    )
    name = "sniffing"
    try:
        # Our own files first: no parser, built-in or not, gets to claim them.
        ours = read(document.text(), path.name)
        if ours is not None:
            items = [ours]
        else:
            parser = registry.sniff(document)
            name = f"{parser.name} parser"
            items = list(parser.parse(document))
    except ParseError as exc:
        log.warning("corpus file %s: %s; indexing its whole text as one item", path.name, exc)
        items = []
    except Exception as exc:
        # A parser's bug (a front-matter date no calendar has, say) must not
        # stop the daemon at start-up: the text is still worth knowing.
        log.warning(
            "corpus file %s: %s failed (%s: %s); indexing its whole text as one item",
            path.name,
            name,
            type(exc).__name__,
            exc,
        )
        items = []
    items = _cleaned(items, path)
    if items:
        return items
    text = clean_text(document.text())
    return [Item(key=f"file:{path.name}", text=text, parser="file")] if text else []


def _cleaned(items: list[Item], path: Path) -> list[Item]:
    """The items made safe to record, as the pipeline does (a hand-made file may
    hold a year-1 date); an item that cannot be is left out, with a warning."""
    kept = []
    for item in items:
        try:
            cleaned, notes = clean_item(item)
        except ItemValidationError as exc:
            log.warning("corpus file %s: item %s left out: %s", path.name, item.key, exc)
            continue
        if notes:
            log.warning("corpus file %s: item %s: %s", path.name, item.key, "; ".join(notes))
        kept.append(cleaned)
    return kept


def _record(store: Store, batch: list[tuple[str, int, int, list[Item]]]) -> None:
    if batch:
        store.index_files(batch)
        for name, _seq, _size, items in batch:
            log.info("indexed %s: %d item(s)", name, len(items))


def index_corpus(registry: Registry, store: Store, folder: Path) -> IndexReport:
    with store.exclusive("corpus-index"):
        return _index(registry, store, folder)


def index_before_judging(registry: Registry, store: Store, folder: Path) -> IndexReport:
    """``index_corpus`` for the commands that judge items without polling (``dedup
    explain``, ``explain``): files the state does not know yet are indexed
    first, as ``run`` does at start, so an item the folder already holds is
    not called new. Says so on stderr when it indexes anything."""
    unknown = len({f.name for f in scan(folder)} - store.indexed_files())
    if not unknown:
        return IndexReport()
    log.warning(
        "%d file(s) of the corpus folder %s are not in the state yet: indexing them first, "
        "as `seedwatch run` does (`seedwatch corpus index` does it alone)",
        unknown,
        folder,
    )
    return index_corpus(registry, store, folder)


def _index(registry: Registry, store: Store, folder: Path) -> IndexReport:
    report = IndexReport()
    files = scan(folder)
    known = store.indexed_files()
    # Recorded a batch at a time (one transaction each): a stop in between
    # loses nothing, the next run indexes the files not recorded yet.
    batch: list[tuple[str, int, int, list[Item]]] = []
    held = 0
    base = folder.resolve()  # once, not for every file (only a symlink's own target differs)
    for entry in files:
        if entry.name in known:
            report.skipped += 1
            continue
        try:
            path = entry.path
            stat = path.stat()
            resolved = path.resolve() if path.is_symlink() else base / entry.name
            items = _read(registry, path, stat, resolved)
            size = stat.st_size
        except OSError as exc:
            log.warning(
                "corpus file %s cannot be read (%s); skipped, not indexed: "
                "its text is unknown to de-duplication until it can be read",
                entry.name,
                exc.strerror or exc,
            )
            report.unreadable += 1
            continue
        batch.append((entry.name, entry.seq, size, items))
        held += len(items)
        report.files += 1
        report.items += len(items)
        report.bytes += size
        if len(batch) >= BATCH_FILES or held >= BATCH_ITEMS:
            _record(store, batch)
            batch, held = [], 0
    _record(store, batch)
    if files:
        store.ensure_seq_at_least(files[-1].seq + 1)
    return report
