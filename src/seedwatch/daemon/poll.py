"""One poll of one source: its pages walked, what ended it classified.

``Pipeline.poll_source`` builds a ``PollRun`` per poll and runs it. The run
holds everything that poll needs and learns, passed in and handed back, never
through globals: the source (at its effective URL), the options (backfill,
``since``, ``max_pages``, dry run, a progress callback), the counts
(``PollResult``), the scheduler's ``Observation``, and a ``RecordingFetcher``
through which every fetch of the poll goes (the source kind's, and the links
the parsers name), keeping each fetch's ``FetchResult`` for the scheduler
(caching headers, permanent redirects, byte counts).

Pages: the source kind yields them; each document is processed (its items
recorded), then the page's cursor saved; with ``backfill`` the parsers'
``next_pages`` are followed breadth-first, else their ``live_pages`` newest
first until one brings nothing new (at most ``MAX_LIVE_PAGES``).

What ends a poll or fails a document is classified by its type: a
``FetchError`` by its category, a ``ParseError`` (or any other ``UserError``)
as ``parse``, a ``PluginError`` (a parser or source kind that raised
something else than our errors) as ``plugin``, a state database that
refused a write (a full disk, a read-only file: ``StateError``) as
``state``. A refused write rolls its transaction back: the page's items
and cursor are not recorded, and the next poll fetches them again.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from seedwatch.contracts import (
    MAX_LIVE_PAGES,
    Cursor,
    Fetcher,
    Parser,
    PollContext,
    PollResult,
    SourceKind,
)
from seedwatch.daemon.schedule import Observation, Plan
from seedwatch.errors import (
    FetchError,
    OffSiteError,
    ParseError,
    PluginError,
    StateError,
    UserError,
)
from seedwatch.models import Document, Source
from seedwatch.plugins.registry import Registry
from seedwatch.state.failures import is_state_failure, state_error

if TYPE_CHECKING:
    from seedwatch.daemon.fetch import FetchResult
    from seedwatch.daemon.pipeline import Pipeline
    from seedwatch.state.store import SourceState

log = logging.getLogger("seedwatch.pipeline")

Progress = Callable[[PollResult], None]
# Our own errors pass through a source kind's pages as they are; anything else a
# source kind raises is its plugin's failure.
_OURS = (FetchError, UserError, PluginError)
# After a write the state refused: its transaction was rolled back, so what
# it held is fetched again (or, written but not marked, completed later).
_STATE_THEN = "nothing is marked written that is not on disk; the source is polled again later"


@dataclass(frozen=True, slots=True)
class Poll:
    """What one poll did: its counts (``result``), the source's state as recorded
    afterwards and the scheduler's ``plan`` (both ``None`` for a dry run), and
    the poll's first document (where WebSub looks for a feed's hub)."""

    result: PollResult
    state: SourceState | None = None
    plan: Plan | None = None
    document: Document | None = None


class RecordingFetcher:
    """One poll's fetcher: fetches through ``inner``, keeping every ``FetchResult``."""

    def __init__(self, inner: Fetcher) -> None:
        self.inner = inner
        self.results: list[FetchResult] = []

    def fetch(self, url: str, **kwargs: Any) -> Document | None:
        if getattr(self.inner, "fetch_result", None) is None:
            return self.inner.fetch(url, **kwargs)
        return self.fetch_result(url, **kwargs).document

    def fetch_result(self, url: str, **kwargs: Any) -> FetchResult:
        result: FetchResult = self.inner.fetch_result(url, **kwargs)  # type: ignore[attr-defined]
        self.results.append(result)
        return result


def fetch_link(
    registry: Registry, fetcher: Fetcher, source: Source, url: str, base: str
) -> Document | None:
    """Fetch a link found in a document: on the site of ``base`` (its redirects
    too) unless the source allows more, never local files; with the headers
    the source's kind asks for (a members-only board's cookie)."""
    headers = registry.source_kind(source.kind).link_headers(source, url)
    site = None if source.options.get("follow_offsite") else base
    try:
        return fetcher.fetch(url, source=source, local_ok=False, headers=headers or None, site=site)
    except OffSiteError as exc:
        log.warning("source %s: not following off-site link %s: %s", source.id, url, exc)
        return None


@dataclass
class PollRun:
    """One poll in progress (see the module's docstring)."""

    pipeline: Pipeline
    source: Source
    backfill: bool = False
    since: datetime | None = None
    max_pages: int | None = None
    dry_run: bool = False
    on_progress: Progress | None = None
    result: PollResult = field(init=False)
    seen: Observation = field(init=False)
    fetcher: RecordingFetcher = field(init=False)
    # The last page's cursor, not saved yet: the caller records it with the
    # poll's outcome (``Store.record_poll``), one transaction less a poll; an
    # earlier page's is saved when the next page comes. Saved late is safe: a
    # page whose cursor is lost is fetched again, its items known.
    cursor: Cursor | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.result = PollResult(source=self.source.id)
        self.fetcher = RecordingFetcher(self.pipeline.fetcher)
        self.seen = Observation(fetches=self.fetcher.results)

    def run(self, kind: SourceKind, start: Cursor, context: PollContext) -> None:
        """Record each page ``kind`` yields, then its cursor (the last page's is
        left in ``cursor``); an error ends the poll and is classified by its type."""
        source, result, store = self.source, self.result, self.pipeline.store
        try:
            try:
                for page in kind.poll(source, start, context):
                    if self.cursor is not None:
                        store.save_cursor(source.id, self.cursor)
                        self.cursor = None
                    if page.document is None:
                        result.not_modified += 1
                    else:
                        if self.seen.document is None:
                            self.seen.document = page.document
                        self._page(page.document)
                    # A 304 leaves the cursor the poll started from: nothing to save.
                    changed = page.cursor != start and not self.backfill
                    if not self.dry_run and (page.document is not None or changed):
                        self.cursor = page.cursor
                    if self.max_pages is not None and result.documents >= self.max_pages:
                        break
            except _OURS:
                raise
            except Exception as exc:
                if is_state_failure(exc):
                    raise state_error(store.url, exc, _STATE_THEN) from exc
                plugin = self.pipeline.registry.owner(kind)
                raise PluginError(plugin, f"source kind {source.kind!r}", exc) from exc
        except FetchError as exc:
            result.error, result.error_category = str(exc), exc.category
            self.seen.status, self.seen.retry_after = exc.status, exc.retry_after
            self.seen.error_url = exc.url
            if exc.category == "deferred":
                log.info("source %s: %s", source.id, exc)
            else:
                log.error("source %s: %s", source.id, exc)
        except StateError as exc:
            result.error, result.error_category = str(exc), exc.category
            log.error("source %s: %s", source.id, exc)
        except UserError as exc:
            result.error, result.error_category = str(exc), "parse"
            log.error("source %s: %s", source.id, exc)
        except PluginError as exc:
            result.error, result.error_category = str(exc), "plugin"
            log.error("source %s: %s", source.id, exc, exc_info=exc.error)

    def _page(self, document: Document) -> None:
        """Process a source's document and the further pages its parser points to."""
        parser = self._document(document)
        if parser is None:
            return
        if self.backfill:
            self._follow(document, parser.next_pages(document))
        else:
            self._walk_live(document, parser.live_pages(document))

    def _document(self, document: Document) -> Parser | None:
        """Process one document; ``None`` when it failed (counted, the poll goes on
        with the next page the source kind yields)."""
        result = self.result
        result.documents += 1
        try:
            parser, _ = self.pipeline.process_document(
                self.source, document, result, dry_run=self.dry_run, seen=self.seen
            )
        except (ParseError, PluginError) as exc:
            result.failed_documents += 1
            result.error = str(exc)
            result.error_category = "plugin" if isinstance(exc, PluginError) else "parse"
            log.error("source %s: %s", self.source.id, exc)
            return None
        if self.on_progress is not None:
            self.on_progress(result)
        return parser

    def _fetch_link(self, url: str, base: str) -> Document | None:
        return fetch_link(self.pipeline.registry, self.fetcher, self.source, url, base)

    def _follow(self, first: Document, links: Iterable[str]) -> None:
        """Backfill: breadth-first through ``next_pages``, each URL once."""
        visited = {first.url}
        queue = deque((url, first.url) for url in links)
        while queue:
            if self.max_pages is not None and self.result.documents >= self.max_pages:
                log.info("source %s: stopped at --max-pages %d", self.source.id, self.max_pages)
                return
            url, base = queue.popleft()
            if url in visited:
                continue
            visited.add(url)
            document = self._fetch_link(url, base)
            if document is None:
                continue
            parser = self._document(document)
            if parser is not None:
                queue.extend((u, document.url) for u in parser.next_pages(document))

    def _walk_live(self, first: Document, links: Iterable[str]) -> None:
        """Live poll: the pages a parser names newest first, until one brings nothing
        new, and never more than ``MAX_LIVE_PAGES`` of them (a parser may name a
        thread's every page; a backfill is the way to read them all)."""
        visited = {first.url}
        fetched = 0
        for url in links:
            if url in visited:
                continue
            visited.add(url)
            fetched += 1
            document = self._fetch_link(url, first.url)
            if document is None:
                return
            before = self.result.accepted
            if self._document(document) is None or self.result.accepted == before:
                return
            if fetched == MAX_LIVE_PAGES:
                log.warning(
                    "source %s: the live poll read %d further pages, each with new items,"
                    " and stops there; if more is missing, seedwatch backfill %s reads it",
                    self.source.id,
                    fetched,
                    self.source.id,
                )
                return
