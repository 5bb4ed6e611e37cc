"""The capabilities plugins provide, as abstract classes, and the values they exchange.

A plugin registers *objects* once, at start-up (see ``hookspecs``); the
pipeline then calls these objects directly on the hot path:

- ``Parser``: turns a ``Document`` into ``Item``s;
- ``SourceKind``: fetches the Documents of a ``Source`` (plain HTTP, a local
  folder, a git checkout, the FreshRSS API, ...);
- ``Sink``: stores accepted items (the corpus folder, JSONL, ...);
- ``Filter`` / ``Transform``: applied to every item, in a stated order.

Also here: ``Cursor`` (what a source's poll leaves behind for the next one),
``Page`` (one fetched Document with the cursor to keep once its items are
recorded), ``Fetcher`` (the HTTP access a source kind is given), ``Verdict``
and ``Accepted`` (the de-duplication outcome, and what sinks receive).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Protocol

from seedwatch.models import Document, Item, Source

# The most further pages one live poll fetches (``Parser.live_pages``): a thread
# that gained more since the last poll is caught up by ``seedwatch backfill``.
MAX_LIVE_PAGES = 10


class Capability:
    """Common base: a unique ``name`` and an optional ``configure`` step.

    ``source_options`` (source kinds and parsers): the keys of a
    ``[[sources]]`` entry this capability reads from ``Source.options``. A
    key that neither the source's kind, its parser (every parser, when it is
    sniffed) nor the pipeline reads is a config error naming it, so a typo
    never goes unnoticed. ``None``, the default, declares nothing: sources
    of that kind (or naming that parser) are not checked.
    """

    name: ClassVar[str] = ""
    source_options: ClassVar[frozenset[str] | None] = None

    def configure(self, options: Mapping[str, Any]) -> None:
        """Receive this capability's table from the config (``[sinks.corpus]``...), once."""


class Parser(Capability, ABC):
    """Turns Documents of one format into Items. Never does I/O."""

    @abstractmethod
    def sniff(self, document: Document) -> float:
        """Confidence in [0, 1] that this parser reads ``document``; 0 means "not mine".

        Must be cheap (look at the head, headers, media type) and must not
        rely on one weak signal.
        """

    @abstractmethod
    def parse(self, document: Document) -> Iterable[Item]:
        """Yield the document's items; raise ``ParseError`` for input it cannot read.

        Zero items is a valid answer (a page that holds none).
        """

    def next_pages(self, document: Document) -> Iterable[str]:
        """Absolute URLs of further pages to fetch during a backfill (older entries,
        later thread pages, a feed's archive). Default: none."""
        return ()

    def live_pages(self, document: Document) -> Iterable[str]:
        """Absolute URLs of further pages to fetch during a live poll, newest first
        (a forum thread's last page, then the one before...). The pipeline fetches
        them in order and stops at the first page that brings nothing new, and
        after ``MAX_LIVE_PAGES`` pages in any case. Default: none (a feed's one
        document is all there is)."""
        return ()


@dataclass(frozen=True, slots=True)
class Cursor:
    """What a source's poll leaves behind for the next one.

    ``mark`` is kind-specific progress (the last git commit seen, the newest
    FreshRSS timestamp...). A cursor is saved only after the items of its
    page are recorded (crash-safety rule).
    """

    etag: str | None = None
    last_modified: str | None = None
    mark: str | None = None


@dataclass(frozen=True, slots=True)
class Page:
    """One fetched Document, or ``None`` when the server said "not modified",
    with the cursor to save once the Document's items are recorded."""

    document: Document | None
    cursor: Cursor


class Fetcher(Protocol):
    """HTTP (and, for configured sources only, local file) access for source kinds."""

    def fetch(
        self,
        url: str,
        *,
        source: Source,
        etag: str | None = None,
        last_modified: str | None = None,
        local_ok: bool = False,
        method: str = "GET",
        data: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        site: str | None = None,
    ) -> Document | None:
        """Fetch ``url``; ``None`` on 304 Not Modified; ``FetchError`` on failure.

        ``local_ok`` allows ``file://`` URLs and paths: only for locations the
        config names, never for links found inside documents. ``site``, for a
        link found in a document, is that document's URL: the link and each hop
        of its redirects must stay on its site, else ``OffSiteError``.
        """
        ...


@dataclass(frozen=True, slots=True)
class PollContext:
    """What a source kind gets for one poll."""

    fetcher: Fetcher
    backfill: bool = False
    since: datetime | None = None
    max_pages: int | None = None


class SourceKind(Capability, ABC):
    """A way to fetch a Source's Documents (``kind = "..."`` in the config)."""

    def check(self, source: Source) -> None:
        """Raise ``ConfigError`` when ``source`` lacks what this kind needs."""

    @abstractmethod
    def poll(self, source: Source, cursor: Cursor, context: PollContext) -> Iterator[Page]:
        """Yield the Pages of one poll (one for a feed; many for a folder or an API
        walk). The pipeline records each page's items, then saves its cursor."""

    def link_headers(self, source: Source, url: str) -> Mapping[str, str]:
        """Request headers for ``url``, a link the pipeline follows for ``source``
        (the next or live pages a parser names): a members-only board's session
        cookie. Default: none."""
        return {}

    def notes(self, source: Source) -> list[str]:
        """What the last poll of ``source`` learnt that its user may want to know
        (``seedwatch sources check`` prints it): a forum's own feed. Default: none."""
        return []

    def use_parsers(self, parsers: Mapping[str, Parser]) -> None:
        """Called once, after every plugin has registered, with every registered
        parser by name (built-in and external alike). A kind that reads pages
        itself keeps the ones it can use: the ``forum`` kind keeps every forum
        engine, so an engine installed with pip works with ``kind = "forum"``.
        Default: nothing."""


@dataclass(frozen=True, slots=True)
class Verdict:
    """The de-duplication decision for one item, with the reason and matched keys."""

    accepted: bool
    layer: str  # "new", "identity", "exact", "containment", "near", "revision", "filter"...
    reason: str
    matched: tuple[str, ...] = ()
    revision_of: str | None = None


@dataclass(frozen=True, slots=True)
class Accepted:
    """An accepted item as recorded in the state: what sinks write.

    ``seq`` is the corpus sequence number (never reused), ``name`` the
    corpus file name, ``rendered`` the exact text of that file.
    """

    item: Item
    seq: int
    name: str
    rendered: str
    fetched: datetime
    extra: Mapping[str, Any] = field(default_factory=dict)


# What seedwatch adds to every sink's ``configure`` options (unless its table sets
# them): the corpus folder (``[corpus] path``) and the config file's folder, which
# relative paths in a sink's table are relative to; both absolute.
SINK_CONTEXT = ("corpus_path", "config_dir")


class Sink(Capability, ABC):
    """Stores accepted items. ``write`` must be idempotent: after a crash the
    pipeline calls it again for items recorded but not yet marked written.

    ``configure`` receives the sink's ``[sinks.NAME]`` table and the keys of
    ``SINK_CONTEXT`` (the built-in ``corpus`` sink writes to ``corpus_path``
    unless its table names a ``path``)."""

    @abstractmethod
    def write(self, entry: Accepted) -> None:
        """Store ``entry``; raise to leave it pending (retried while the daemon
        runs and at the next start). A ``UserError`` (``DiskError`` for an
        ``OSError``) is logged as its message says; anything else as the
        sink plugin's failure, with a traceback."""

    def flush(self) -> None:
        """Make the entries written so far durable. Called after each batch of
        ``write`` calls, before the entries are marked written in the state."""


class Filter(Capability, ABC):
    """Drops items (keywords, language, length...)."""

    @abstractmethod
    def check(self, item: Item, source: Source | None) -> str | None:
        """Return why ``item`` is dropped, or ``None`` to keep it."""


class Transform(Capability, ABC):
    """Rewrites items (text clean-up, ...)."""

    @abstractmethod
    def apply(self, item: Item, source: Source | None) -> Item:
        """Return the item to keep going with (``dataclasses.replace`` it)."""


@dataclass(slots=True)
class PollResult:
    """What one poll of one source did (counts, and the error that ended it if any)."""

    source: str
    documents: int = 0
    not_modified: int = 0
    items: int = 0
    accepted: int = 0
    rejected: int = 0
    failed_documents: int = 0
    error: str | None = None
    error_category: str | None = None
    written: list[str] = field(default_factory=list)
    # Failures of single items that do not fail the poll (a full-text page
    # that could not be extracted), by error class.
    item_errors: dict[str, int] = field(default_factory=dict)
    # Items dropped by filters, by rule (``rules.count_key``).
    filtered: dict[str, int] = field(default_factory=dict)
